/**
 * Helpers shared by the alternative online detectors (bocpd.ts, art.ts, ensemble.ts): how evidence in
 * decimal digits becomes a continuous 0..1 score, the decaying-peak damping, and input clamping.
 * Pure TypeScript (no node:/cloudflare: imports): it runs in the edge Worker too.
 */

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
 * Per-stream empirical tail of an evidence measure (≥ 0, e.g. digits): a decayed histogram of its
 * past values in log-spaced bins (4 per doubling from 0.01 up, 80 bins ≈ 0.01 … 10^4), and for a new
 * value v the surprisal −log10 P̂(past ≥ v), with one pseudo-observation at the top so that P̂ > 0.
 * A value as large as one seen every 100 rows scores ≈ 2 digits however heavy the tail; a value above
 * everything in memory scores ≈ log10(memory rows), plus one digit per doubling beyond the largest
 * value in memory (a decaying maximum), so magnitude still counts at the top. Rank-based below the
 * top, so recurring spikes stop counting.
 */
export class EvidenceTail {
  static readonly BINS = 80;
  private readonly counts = new Float64Array(EvidenceTail.BINS);
  private total = 0;
  private max = 0;
  constructor(private readonly decay: number) {}

  private static bin(v: number): number {
    if (!(v >= 0.01)) return 0;
    const k = 1 + Math.floor(4 * Math.log2(v / 0.01));
    return k >= EvidenceTail.BINS ? EvidenceTail.BINS - 1 : k;
  }

  /** −log10 P̂(past ≥ v) (0 for v ≤ 0), then adds v to the history. */
  update(v: number): number {
    const k = EvidenceTail.bin(v);
    let above = 1;
    for (let i = k; i < EvidenceTail.BINS; i++) above += this.counts[i]!;
    let digits = v > 0 ? Math.log10((this.total + 1) / above) : 0;
    if (v > this.max && this.max > 0) digits += Math.log2(v / this.max);
    const d = this.decay;
    this.max = v > this.max * d ? v : this.max * d;
    for (let i = 0; i < EvidenceTail.BINS; i++) this.counts[i] = this.counts[i]! * d;
    this.total = this.total * d + 1;
    this.counts[k] = this.counts[k]! + 1;
    return digits;
  }
}
