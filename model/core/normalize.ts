import { METRICS, METRIC_SPECS, N_METRICS, type MetricVector } from "./metrics.ts";

/** Serialisable per-host normaliser state (plain JSON). */
export interface NormalizerState {
  halfLifeSteps: number;
  /** Observations seen per metric. */
  n: number[];
  /** Exponentially weighted mean per metric, scaled units. */
  mean: number[];
  /** Exponentially weighted variance per metric, scaled units². */
  variance: number[];
}

/** Pseudo-observations behind the prior variance, so the first few points cannot make std ≈ 0. */
const PRIOR_WEIGHT = 30;
/** Winsorising bound for updates: an outlier moves the statistics as if it were this many σ away. */
const UPDATE_CLIP_SIGMA = 4;
/** z-scores fed to the model are clipped to ±Z_CLIP. */
export const Z_CLIP = 8;

/**
 * Online per-host normalisation of the scaled metrics: z = (scaled − mean) / std, with mean and
 * variance tracked per host as exponentially weighted statistics (half-life `halfLifeSteps`, default
 * one day of 60 s steps). Before a host has `1/alpha` observations the statistics are plain running
 * averages; the variance starts from a per-metric prior worth PRIOR_WEIGHT observations.
 *
 * The z of a step is computed with the statistics *before* that step updates them, so the model's
 * next-step forecast target equals the next step's z input exactly.
 *
 * Updates are winsorised at ±4σ: a host heading for an OOM should not teach its own normaliser that
 * 97 % memory is normal within the hour.
 */
export class HostNormalizer {
  private s: NormalizerState;
  private readonly alpha: number;

  constructor(opts: { halfLifeSteps?: number } | { state: NormalizerState } = {}) {
    if ("state" in opts) {
      this.s = copyState(opts.state);
    } else {
      this.s = {
        halfLifeSteps: opts.halfLifeSteps ?? 1440,
        n: new Array<number>(N_METRICS).fill(0),
        mean: new Array<number>(N_METRICS).fill(0),
        variance: METRICS.map((m) => METRIC_SPECS[m].priorStd ** 2),
      };
    }
    this.alpha = 1 - Math.pow(2, -1 / this.s.halfLifeSteps);
  }

  /** Current std of metric i, scaled units (never below the metric's floor). */
  std(i: number): number {
    const spec = METRIC_SPECS[METRICS[i]!];
    return Math.max(Math.sqrt(this.s.variance[i]!), spec.minStd);
  }

  /** Current mean of metric i, scaled units. */
  mean(i: number): number {
    return this.s.mean[i]!;
  }

  /** Observations seen for metric i. */
  count(i: number): number {
    return this.s.n[i]!;
  }

  /** z-score of a scaled value against the current statistics (no update); clipped to ±Z_CLIP. */
  z(i: number, scaled: number): number {
    if (this.s.n[i] === 0) return 0;
    const z = (scaled - this.s.mean[i]!) / this.std(i);
    return Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
  }

  /** Folds one step's scaled values (null = missing, skipped) into the statistics. */
  update(scaled: MetricVector): void {
    for (let i = 0; i < N_METRICS; i++) {
      const x = scaled[i];
      if (x === null || x === undefined) continue;
      const n = this.s.n[i]!;
      if (n === 0) {
        this.s.mean[i] = x;
        this.s.n[i] = 1;
        continue;
      }
      const sd = this.std(i);
      const mean = this.s.mean[i]!;
      const clipped = Math.max(mean - UPDATE_CLIP_SIGMA * sd, Math.min(mean + UPDATE_CLIP_SIGMA * sd, x));
      const d = clipped - mean;
      const a = Math.max(1 / (n + 1), this.alpha);
      const aVar = Math.max(1 / (n + PRIOR_WEIGHT), this.alpha);
      this.s.mean[i] = mean + a * d;
      this.s.variance[i] = (1 - aVar) * (this.s.variance[i]! + aVar * d * d);
      this.s.n[i] = n + 1;
    }
  }

  toJSON(): NormalizerState {
    return copyState(this.s);
  }
}

/** A deep copy (plain arrays of numbers; cheaper than structuredClone, which runs on every save). */
function copyState(s: NormalizerState): NormalizerState {
  return {
    halfLifeSteps: s.halfLifeSteps,
    n: s.n.slice(),
    mean: s.mean.slice(),
    variance: s.variance.slice(),
  };
}
