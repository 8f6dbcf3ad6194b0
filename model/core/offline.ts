import { FeatureBuilder, N_FEATURES, zIndex, maskIndex } from "./features.ts";
import { N_METRICS, type MetricVector } from "./metrics.ts";
import { Resampler } from "./resample.ts";

/** A raw point as senders produce it (canonical metrics only). */
export interface RawPoint {
  timestamp: number;
  cpu_usage?: number | null;
  memory_usage?: number | null;
  network_latency?: number | null;
  error_rate?: number | null;
}

/** A whole host series turned into model rows, exactly as the online scorer would build them. */
export interface FeaturizedSeries {
  stepMs: number;
  /** Bucket start per row, epoch ms. */
  bucketStartMs: Float64Array;
  /** Raw resampled values per row (rows × N_METRICS, NaN = missing). */
  values: Float64Array;
  /** Model input rows (rows × N_FEATURES). */
  features: Float32Array;
  rows: number;
}

/** A point's values in METRICS order (null = not sent). Runs for every point: plain property reads. */
export function pointVector(p: RawPoint): MetricVector {
  return [p.cpu_usage ?? null, p.memory_usage ?? null, p.network_latency ?? null, p.error_rate ?? null];
}

/**
 * Runs the online pipeline (resample → per-host normalise → features) over a finite series in one go.
 * Training data and benchmarks come from this function, so the model is trained on exactly the
 * features the edge computes.
 */
export function featurizeSeries(
  points: Iterable<RawPoint>,
  stepMs: number,
  maxGapSteps = 120,
): FeaturizedSeries {
  const resampler = new Resampler({ stepMs, maxGapSteps });
  const fb = new FeatureBuilder(undefined, stepMs / 1000);
  const starts: number[] = [];
  const vals: number[] = [];
  const feats: number[] = [];
  const row = new Float32Array(N_FEATURES);
  const take = (step: { bucketStartMs: number; values: MetricVector }): void => {
    starts.push(step.bucketStartMs);
    for (const v of step.values) vals.push(v ?? Number.NaN);
    fb.row(step.values, true, row);
    for (const f of row) feats.push(f);
  };
  for (const p of points) {
    for (const step of resampler.push(p.timestamp, pointVector(p)).closed) take(step);
  }
  for (const step of resampler.flush()) take(step);
  return {
    stepMs,
    bucketStartMs: Float64Array.from(starts),
    values: Float64Array.from(vals),
    features: Float32Array.from(feats),
    rows: starts.length,
  };
}

/**
 * Next-step forecast targets: row t holds row t+1's z features (NaN when t+1 is not the next bucket
 * or the metric is missing there).
 */
export function forecastTargets(series: FeaturizedSeries): Float32Array {
  const out = new Float32Array(series.rows * N_METRICS).fill(Number.NaN);
  for (let t = 0; t + 1 < series.rows; t++) {
    if (series.bucketStartMs[t + 1]! - series.bucketStartMs[t]! !== series.stepMs) continue;
    for (let i = 0; i < N_METRICS; i++) {
      const next = (t + 1) * N_FEATURES;
      if (series.features[next + maskIndex(i)] === 1)
        out[t * N_METRICS + i] = series.features[next + zIndex(i)]!;
    }
  }
  return out;
}
