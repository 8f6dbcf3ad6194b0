/**
 * Helpers shared by the alternative online detectors (bocpd.ts, art.ts, ensemble.ts): how evidence in
 * decimal digits becomes a continuous 0..1 score, the decaying-peak damping, and input clamping.
 * Pure TypeScript (no node:/cloudflare: imports): it runs in the edge Worker too.
 */
import { DEFAULT_LIKELIHOOD_CONFIG } from "./likelihood.ts";
import { tailSurprisal } from "./tail.ts";

/** Values beyond this magnitude are clamped (squares and sums of squares stay finite). */
export const VALUE_LIMIT = 1e100;

/** A finite value clamped to ±VALUE_LIMIT, or null for a missing one (NaN, ±Infinity, null). */
export function clampValue(value: number | null | undefined): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  return value > VALUE_LIMIT ? VALUE_LIMIT : value < -VALUE_LIMIT ? -VALUE_LIMIT : value;
}

/**
 * Digits of evidence (−log10 of a tail probability, ≥ 0) to a score in [0, 1): d / (d + scale).
 * Continuous and strictly increasing, so 1000 digits still scores above 100 (no pile-up at 1.0);
 * `scale` is the evidence that scores 0.5. NaN and negative evidence score 0.
 */
export function digitsToScore(digits: number, scale: number): number {
  if (!(digits > 0)) return 0;
  if (digits === Infinity) return 1 - Number.EPSILON;
  return digits / (digits + scale);
}

/**
 * Decaying-peak damping: a score that does not exceed the recent peak (decaying by `decay` per row)
 * is multiplied by `damping`, so one event gives one sharp alert instead of a run of them (NAB rewards
 * the earliest detection in a window and charges every extra row outside one).
 */
export class PeakDamper {
  peak = 0;
  constructor(
    readonly decay: number,
    readonly damping: number,
  ) {}

  apply(score: number): number {
    const decayed = this.peak * this.decay;
    this.peak = score > decayed ? score : decayed;
    return score > decayed ? score : score * this.damping;
  }
}

/** Deterministic standard-normal source (LCG + Box–Muller) for tests and micro-benchmarks. */
export function gaussianSource(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Bytes a detector's state takes in memory, counted from the object graph itself: 8 per number,
 * 4 per boolean, 2 per string character, a typed array's byteLength; nested arrays and objects
 * recursively (each object once). Fields named in `skip` (shared, read-only data such as the
 * configuration or a lookup table every stream uses) are not counted.
 */
export function stateBytes(root: unknown, skip: ReadonlySet<string> = new Set(["config"])): number {
  const seen = new Set<object>();
  const walk = (v: unknown): number => {
    if (typeof v === "number") return 8;
    if (typeof v === "boolean") return 4;
    if (typeof v === "string") return 2 * v.length;
    if (v === null || typeof v !== "object") return 0;
    if (seen.has(v)) return 0;
    seen.add(v);
    if (ArrayBuffer.isView(v)) return v.byteLength;
    let n = 0;
    if (Array.isArray(v)) {
      for (const x of v) n += walk(x);
      return n;
    }
    for (const [k, x] of Object.entries(v)) if (!skip.has(k)) n += walk(x);
    return n;
  };
  return walk(root);
}

/**
 * Per-stream empirical tail of a signed evidence measure (e.g. log10 of a Bayes factor): a decayed
 * histogram of its past values in bins spaced like a signed logarithm (asinh(v / 0.01), 2 bins per
 * doubling, ±10^4 covered), and for a new value v the surprisal −log10 P̂(past ≥ v), with one
 * pseudo-observation at the top so that P̂ > 0; plus one digit per doubling beyond the largest value
 * in memory (a decaying maximum), so magnitude still counts at the top. Rank-based below the top, so
 * recurring spikes stop counting; continuous from "far below usual" (≈ 0) upwards.
 */
export class EvidenceTail {
  static readonly BINS = 128;
  private readonly counts = new Float64Array(EvidenceTail.BINS);
  private total = 0;
  private max = 0;
  constructor(private readonly decay: number) {}

  private static bin(v: number): number {
    const half = EvidenceTail.BINS / 2;
    const k = Math.floor(half + (2 * Math.asinh(v / 0.01)) / Math.LN2);
    return k < 0 ? 0 : k >= EvidenceTail.BINS ? EvidenceTail.BINS - 1 : k;
  }

  /** −log10 P̂(past ≥ v) (+ doublings beyond the decaying maximum), then adds v to the history. */
  update(v: number): number {
    if (!(v === v)) return 0;
    const k = EvidenceTail.bin(v);
    let above = 1;
    for (let i = k; i < EvidenceTail.BINS; i++) above += this.counts[i]!;
    let digits = Math.log10((this.total + 1) / above);
    if (v > this.max && this.max > 0) digits += Math.log2(v / this.max);
    const d = this.decay;
    this.max = v > this.max * d ? v : this.max * d;
    for (let i = 0; i < EvidenceTail.BINS; i++) this.counts[i] = this.counts[i]! * d;
    this.total = this.total * d + 1;
    this.counts[k] = this.counts[k]! + 1;
    return digits;
  }
}

/**
 * The likelihood stage of likelihood.ts with a one-row window, unclipped: a surprise (≥ 0, in the
 * stream's own units) is compressed with log1p, compared with the long-run exponentially weighted
 * mean/std of the compressed surprises (same constants as likelihood.ts), and reported as the Gaussian
 * upper-tail surprisal −log10 P(Z ≥ z) — > 0 for every row after warm-up, so scores built on it are
 * continuous instead of piling up at 0 for every row at or below the usual surprise.
 */
export class SurpriseTail {
  private count = 0;
  private mean = 0;
  private variance = 0;
  constructor(
    private readonly warmupRows: number,
    private readonly longRunAlpha = DEFAULT_LIKELIHOOD_CONFIG.longRunAlpha,
    private readonly minStd = DEFAULT_LIKELIHOOD_CONFIG.minStd,
  ) {}

  /** Digits ≥ 0 (0 during warm-up), then folds the surprise into the long-run statistics. */
  update(surprise: number): number {
    const u = Math.log1p(surprise > 0 ? Math.min(surprise, 1e12) : 0);
    this.count++;
    let digits = 0;
    if (this.count > this.warmupRows) {
      const sd = Math.max(Math.sqrt(this.variance), this.minStd);
      digits = tailSurprisal((u - this.mean) / sd);
    }
    const a = Math.max(this.longRunAlpha, 1 / this.count);
    const d = u - this.mean;
    this.mean += a * d;
    this.variance = (1 - a) * (this.variance + a * d * d);
    return digits;
  }
}
