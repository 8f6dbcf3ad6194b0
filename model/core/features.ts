import { DEFAULT_MAX_SECONDS, DEFAULT_MIN_POINTS, breachSeconds } from "./breach.ts";
import { METRICS, METRIC_SPECS, N_METRICS, type MetricVector } from "./metrics.ts";
import { HostNormalizer, type NormalizerState } from "./normalize.ts";

/** Per metric: fixed-scale value, per-host z-score, observed mask, breach urgency. */
export const FEATURES_PER_METRIC = 4;
export const N_FEATURES = N_METRICS * FEATURES_PER_METRIC;

/** Feature names in model input order: `<metric>:scaled`, `:z`, `:mask`, `:urgency` per metric. */
export const FEATURE_NAMES: readonly string[] = METRICS.flatMap((m) => [
  `${m}:scaled`,
  `${m}:z`,
  `${m}:mask`,
  `${m}:urgency`,
]);

/** Scaled values are clipped to this range so a wild sender cannot saturate the LSTM gates. */
const SCALED_MAX = 2;
/** Steps of raw history behind the trend (time-to-breach) of each metric. */
export const TREND_STEPS = 30;
/** urgency = exp(−time-to-breach / URGENCY_SCALE_S): 1 at the breach, 0.37 half an hour before it. */
const URGENCY_SCALE_S = 1800;

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
  mask: "1 when the metric was observed in the step, else 0 (scaled, z and urgency are then 0)",
  urgency: `exp(-ttb / ${URGENCY_SCALE_S} s), ttb = least-squares trend over the last ${TREND_STEPS} steps (≥ 10 observed) extrapolated to the breach level (cpu 95 %, memory 95 %, latency 1000 ms, error rate 0.1); 0 when no breach is forecast within 6 h`,
} as const;

/** Serialisable feature-builder state. */
export interface FeatureState {
  normalizer: NormalizerState;
  /** Last TREND_STEPS − 1 committed raw values per metric (null = missing), oldest first. */
  recent: (number | null)[][];
}

/**
 * Turns resampled steps into model input rows. Stateful (per-host normaliser and trend window);
 * `row()` without `commit` lets a caller evaluate the open bucket without moving either.
 *
 * @example
 * const fb = new FeatureBuilder();
 * const x = fb.row([42, 61, 120, 0.01]); // Float32Array(16), statistics updated
 */
export class FeatureBuilder {
  readonly normalizer: HostNormalizer;
  /**
   * Last TREND_STEPS − 1 committed raw values per metric (NaN = missing) as ring buffers: `head` is
   * the oldest slot once full. Together with a step's own value they make its trend window.
   */
  private readonly recent: Float64Array[];
  private recentCount: number;
  private recentHead = 0;
  /** Scratch buffer for the trend window (no allocation per step). */
  private readonly window = new Float64Array(TREND_STEPS);
  /** Scratch vector for the scaled values of the step in `row`. */
  private readonly scaled: MetricVector = new Array<number | null>(N_METRICS).fill(null);

  /** @param stepSeconds spacing of the steps, for the trend's time scale */
  constructor(
    state?: FeatureState,
    readonly stepSeconds = 60,
  ) {
    this.normalizer = new HostNormalizer(state ? { state: state.normalizer } : {});
    this.recent = METRICS.map(() => new Float64Array(KEEP).fill(Number.NaN));
    // Older states kept TREND_STEPS values; the oldest of them no longer reaches any window.
    const saved = state?.recent.map((r) => r.slice(Math.max(0, r.length - KEEP)));
    this.recentCount = saved ? Math.max(0, ...saved.map((r) => r.length)) : 0;
    saved?.forEach((r, i) => r.forEach((v, k) => (this.recent[i]![k] = v ?? Number.NaN)));
    this.recentHead = this.recentCount % KEEP;
  }

  /**
   * Seconds until metric i breaches on its recent trend including `value` as the newest step, or null.
   */
  timeToBreach(
    i: number,
    value: number | null,
    breach: number = METRIC_SPECS[METRICS[i]!].breach,
  ): number | null {
    // The last TREND_STEPS values including `value`, oldest first, in a reused buffer (4× per step).
    const r = this.recent[i]!;
    const w = this.window;
    const kept = this.recentCount;
    let n = 0;
    for (let k = kept < KEEP ? 0 : this.recentHead, m = 0; m < kept; m++, k = k + 1 === KEEP ? 0 : k + 1)
      w[n++] = r[k]!;
    w[n++] = value ?? Number.NaN;
    return breachSeconds(w, n, this.stepSeconds, breach, DEFAULT_MIN_POINTS, DEFAULT_MAX_SECONDS);
  }

  /**
   * One input row for a step's raw values (METRICS order, null = missing). With `commit` (default)
   * the normaliser and trend window fold the step in afterwards; without, the state is untouched.
   */
  row(values: MetricVector, commit = true, out: Float32Array = new Float32Array(N_FEATURES)): Float32Array {
    // Runs for every step of every host: no allocation besides `out` (the scratch vector is reused).
    const scaled = scaleVector(values, this.scaled);
    for (let i = 0; i < N_METRICS; i++) {
      const s = scaled[i];
      const o = i * FEATURES_PER_METRIC;
      if (s === null || s === undefined) {
        out.fill(0, o, o + FEATURES_PER_METRIC);
      } else {
        const ttb = this.timeToBreach(i, values[i] ?? null);
        out[o] = s;
        out[o + 1] = this.normalizer.z(i, s);
        out[o + 2] = 1;
        out[o + 3] = ttb === null ? 0 : Math.exp(-ttb / URGENCY_SCALE_S);
      }
    }
    if (commit) {
      this.normalizer.update(scaled);
      const slot = this.recentHead;
      for (let i = 0; i < N_METRICS; i++) {
        const v = values[i];
        this.recent[i]![slot] = v === undefined || v === null || !Number.isFinite(v) ? Number.NaN : v;
      }
      this.recentHead = slot + 1 === KEEP ? 0 : slot + 1;
      if (this.recentCount < KEEP) this.recentCount++;
    }
    return out;
  }

  toJSON(): FeatureState {
    const kept = this.recentCount;
    const from = kept < KEEP ? 0 : this.recentHead;
    return {
      normalizer: this.normalizer.toJSON(),
      recent: this.recent.map((r) => {
        const out: (number | null)[] = [];
        for (let k = from, m = 0; m < kept; m++, k = k + 1 === KEEP ? 0 : k + 1) {
          const v = r[k]!;
          out.push(Number.isNaN(v) ? null : v);
        }
        return out;
      }),
    };
  }
}

/** Committed values kept per metric: a step's trend window is these plus the step itself. */
const KEEP = TREND_STEPS - 1;

/** Applies each metric's fixed transform (clipped to 0..SCALED_MAX); null stays null. */
export function scaleVector(
  values: MetricVector,
  out: MetricVector = new Array<number | null>(N_METRICS),
): MetricVector {
  for (let i = 0; i < N_METRICS; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    const s = SCALES[i]!(Math.max(0, v));
    out[i] = Math.min(SCALED_MAX, Math.max(0, s));
  }
  return out;
}

const SCALES = METRICS.map((m) => METRIC_SPECS[m].scale);

/** Index of metric i's scaled feature in a row. */
export const scaledIndex = (i: number): number => i * FEATURES_PER_METRIC;
/** Index of metric i's z feature in a row. */
export const zIndex = (i: number): number => i * FEATURES_PER_METRIC + 1;
/** Index of metric i's mask feature in a row. */
export const maskIndex = (i: number): number => i * FEATURES_PER_METRIC + 2;
/** Index of metric i's urgency feature in a row. */
export const urgencyIndex = (i: number): number => i * FEATURES_PER_METRIC + 3;
