import { METRICS, METRIC_SPECS, N_METRICS, type MetricVector } from "./metrics.ts";
import { HostNormalizer, type NormalizerState } from "./normalize.ts";

/** Per metric: fixed-scale value, per-host z-score, observed mask. */
export const FEATURES_PER_METRIC = 3;
export const N_FEATURES = N_METRICS * FEATURES_PER_METRIC;

/** Feature names in model input order: `<metric>:scaled`, `<metric>:z`, `<metric>:mask`. */
export const FEATURE_NAMES: readonly string[] = METRICS.flatMap((m) => [
  `${m}:scaled`,
  `${m}:z`,
  `${m}:mask`,
]);

/** Scaled values are clipped to this range so a wild sender cannot saturate the LSTM gates. */
const SCALED_MAX = 2;

/** Written into the model metadata so any consumer can rebuild the features. */
export const SCALER_POLICY = {
  scaled: {
    cpu_usage: "value / 100",
    memory_usage: "value / 100",
    network_latency: "log1p(ms) / log1p(1000)",
    error_rate: "sqrt(fraction)",
    clip: [0, SCALED_MAX],
  },
  z: "(scaled - mean) / max(std, minStd) with per-host exponentially weighted mean/variance (half-life 1440 steps), statistics taken before the step updates them, updates winsorised at ±4σ, clipped to ±8",
  mask: "1 when the metric was observed in the step, else 0 (scaled and z are then 0)",
} as const;

/** Serialisable feature-builder state. */
export interface FeatureState {
  normalizer: NormalizerState;
}

/**
 * Turns resampled steps into model input rows. Stateful (per-host normaliser); `row()` without
 * `commit` lets a caller evaluate the open bucket without moving the statistics.
 *
 * @example
 * const fb = new FeatureBuilder();
 * const x = fb.row([42, 61, 120, 0.01]); // Float32Array(12), statistics updated
 */
export class FeatureBuilder {
  readonly normalizer: HostNormalizer;

  constructor(state?: FeatureState) {
    this.normalizer = new HostNormalizer(state ? { state: state.normalizer } : {});
  }

  /**
   * One input row for a step's raw values (METRICS order, null = missing). With `commit` (default)
   * the normaliser folds the step in afterwards; without, the state is untouched.
   */
  row(values: MetricVector, commit = true, out: Float32Array = new Float32Array(N_FEATURES)): Float32Array {
    const scaled = scaleVector(values);
    for (let i = 0; i < N_METRICS; i++) {
      const s = scaled[i];
      const o = i * FEATURES_PER_METRIC;
      if (s === null || s === undefined) {
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = 0;
      } else {
        out[o] = s;
        out[o + 1] = this.normalizer.z(i, s);
        out[o + 2] = 1;
      }
    }
    if (commit) this.normalizer.update(scaled);
    return out;
  }

  toJSON(): FeatureState {
    return { normalizer: this.normalizer.toJSON() };
  }
}

/** Applies each metric's fixed transform (clipped to 0..SCALED_MAX); null stays null. */
export function scaleVector(values: MetricVector): MetricVector {
  const out: MetricVector = [];
  for (let i = 0; i < N_METRICS; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out.push(null);
      continue;
    }
    const s = METRIC_SPECS[METRICS[i]!].scale(Math.max(0, v));
    out.push(Math.min(SCALED_MAX, Math.max(0, s)));
  }
  return out;
}

/** Index of metric i's scaled feature in a row. */
export const scaledIndex = (i: number): number => i * FEATURES_PER_METRIC;
/** Index of metric i's z feature in a row. */
export const zIndex = (i: number): number => i * FEATURES_PER_METRIC + 1;
/** Index of metric i's mask feature in a row. */
export const maskIndex = (i: number): number => i * FEATURES_PER_METRIC + 2;
