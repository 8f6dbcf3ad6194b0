/**
 * An adaptive-resonance detector in the spirit of ARTime (M. Hampton, NAB 2021): Fuzzy ART
 * (Carpenter, Grossberg & Rosen 1991) over sliding windows of the normalised signal. A window that no
 * learned category (a box in feature space) contains is novel; how far it lies outside the nearest
 * box, judged against the stream's own history of such distances, is the evidence.
 *
 * Written from the Fuzzy ART paper and a reading of ARTime's description; differences from ARTime
 * (online range instead of the file's min/max, a bounded category memory, no downsampling, a
 * likelihood instead of ARTime's hand-set vigilance schedule) are in README.md ("Other detectors").
 * Pure TypeScript (no node:/cloudflare: imports), O(maxCategories × window) per row.
 */
import { PeakDamper, SurpriseTail, clampValue, digitsToScore, stateBytes } from "./score-shaping.ts";

export type ArtConfig = {
  /** Buckets per window (features: the window's levels, and with `shape` its shape too). */
  window: number;
  /** Rows per bucket (downsampling, as ARTime does; 1 = none). */
  stride: number;
  /** Categories kept; when full, a new category replaces the least recently resonating one. */
  maxCategories: number;
  /**
   * Vigilance ρ in 0..1: a window joins a category only if the grown box keeps ≥ ρ of the feature
   * space's total width free, i.e. the box's widths sum to ≤ (1 − ρ) × features.
   */
  vigilance: number;
  /** Learning rate β: 1 = fast learning (the box grows to include the window), < 1 = partial. */
  learningRate: number;
  /** Add the window's shape (min-subtracted, span-normalised values) to its levels as features. */
  shape: boolean;
  /** The shape half divides by max(window span, this × the seen range), so noise on a flat stretch is not stretched to full shapes. */
  shapeFloor: number;
  /** Margin added to the seen range when a value falls outside it (fraction of the new range). */
  rangeMargin: number;
  /**
   * Adaptive vigilance: when > 0, vigilance is nudged after every learned window so that about this
   * fraction of windows match no category (starting from `vigilance`); 0 keeps it fixed.
   */
  mismatchRate: number;
  /**
   * Evidence gate. "hard": evidence only on rows whose window resonates with no category (ARTime's
   * anomaly event; every other row scores exactly 0). "soft": a window that resonates counts for the
   * share of the vigilance budget its category used (continuous). "none": every row's evidence counts.
   */
  gate: "soft" | "hard" | "none";
  /** Rows without evidence at the start (the likelihood's warm-up); the categories learn anyway. */
  warmupRows: number;
  /** Digits of evidence that score 0.5. */
  scoreScale: number;
  /** Per-row decay of the recent peak score. */
  peakDecay: number;
  /** Scores not above the decayed recent peak are multiplied by this. */
  peakDamping: number;
};

/**
 * Defaults: textbook Fuzzy ART (fast learning), ARTime's window of 8 and its "anomaly = no category
 * resonates" event; the adaptive-vigilance rate 0.01 was picked after looking at 0.003 / 0.01 / 0.03
 * on the NAB subset (README.md "Other detectors": which choices saw NAB data).
 */
export const DEFAULT_ART_CONFIG: Readonly<ArtConfig> = {
  window: 8,
  stride: 1,
  maxCategories: 32,
  vigilance: 0.9,
  learningRate: 1,
  shape: false,
  shapeFloor: 0.1,
  rangeMargin: 0.05,
  mismatchRate: 0.01,
  gate: "soft",
  warmupRows: 50,
  scoreScale: 5,
  peakDecay: 0.99,
  peakDamping: 0.5,
};

const artAt = (changes: Partial<ArtConfig>): ArtConfig => ({ ...DEFAULT_ART_CONFIG, ...changes });

/**
 * For `bench:nab` (the `DetectorSpec` shape of scripts/bench/nab-detectors.ts): the defaults first,
 * then the configurations `--cv` may choose among (≤ 8), and single-parameter ablations.
 */
export const artSpec = {
  grid: [
    artAt({}),
    artAt({ window: 4 }),
    artAt({ window: 2 }),
    artAt({ window: 4, gate: "hard" }),
    artAt({ window: 2, gate: "hard" }),
    artAt({ mismatchRate: 0.003 }),
    artAt({ mismatchRate: 0.03 }),
    artAt({ gate: "none" }),
  ] as readonly ArtConfig[],
  create: (p: ArtConfig) => createArtDetector(p),
  ablations: {
    window: [4, 16],
    maxCategories: [16, 64],
    vigilance: [0.8, 0.95],
    learningRate: [0.5],
    stride: [2, 4],
    shape: [true],
    mismatchRate: [0, 0.003, 0.03],
    gate: ["hard", "none"],
    rangeMargin: [0, 0.2],
    peakDecay: [0, 0.999],
    peakDamping: [0, 1],
  },
};

/** Choice function's small constant (Fuzzy ART's α): prefers the smaller of two boxes that fit equally. */
const CHOICE_ALPHA = 0.001;

/**
 * One stream's detector.
 *
 * Features per row (once `window` rows are in): for each of the last `window` values, its level in
 * the range seen so far (0..1) and (with `shape`) its shape, (value − window min) / max(window span, shapeFloor ×
 * range); complement-coded, so each category is a box [lower, upper] per feature. When the seen range
 * grows, the level bounds of every box are mapped to the new range exactly (an affine map keeps a box
 * a box), so categories learned early stay valid.
 *
 * Per row: the L1 distance from the feature vector to each box (0 inside), the Fuzzy ART choice
 * |x ∧ w| / (α + |w|) among the boxes that pass vigilance, learning of the winner (or a new category).
 * Evidence: the distance to the nearest box, divided by its running mean (the stream's own units),
 * through the likelihood stage (score-shaping.ts SurpriseTail); with the default `gate: "soft"`, a
 * window that resonated counts only for the share of the vigilance budget it used.
 *
 * @example
 * const d = new ArtDetector();
 * const score = d.update(Date.now(), 42); // 0..1
 */
export class ArtDetector {
  readonly config: Readonly<ArtConfig>;
  private readonly dims: number;
  /** Box lower bounds (dims per category), then complement bounds 1 − upper (dims per category). */
  private readonly lower: Float32Array;
  private readonly comp: Float32Array;
  /** Row of the last resonance per category (LRU replacement). */
  private readonly lastUsed: Float64Array;
  private categories = 0;
  /** Current vigilance (fixed at `vigilance` unless `mismatchRate` adapts it). */
  private rho: number;
  /** The last row matched no category (a new one was made). */
  private mismatch = false;
  /** The last `window` bucket values (one row per bucket without downsampling), ring buffer. */
  private readonly ring: Float64Array;
  /** Ring slot of the current (newest, possibly partial) bucket. */
  private head = 0;
  /** Completed buckets so far. */
  private buckets = 0;
  private bucketRows = 0;
  private bucketMin = 0;
  private bucketMax = 0;
  private bucketSum = 0;
  /** Running level the bucket's extreme is chosen against (ARTime's moving average of bucket means). */
  private level = 0;
  private rows = 0;
  private lo = 0;
  private hi = 0;
  private meanDistance = 0;
  private readonly x: Float64Array;
  private readonly likelihood: SurpriseTail;
  /** How much of the vigilance budget the winning category used (1 on a mismatch), 0..1. */
  private gate = 1;
  private readonly damper: PeakDamper;
  private lastEvidence = 0;

  constructor(config: Partial<ArtConfig> = {}) {
    const c = { ...DEFAULT_ART_CONFIG, ...config };
    if (!(Number.isInteger(c.window) && c.window >= 1 && c.window <= 256))
      throw new RangeError(`window must be an integer 1..256, got ${c.window}`);
    if (!(Number.isInteger(c.stride) && c.stride >= 1 && c.stride <= 1000))
      throw new RangeError(`stride must be an integer 1..1000, got ${c.stride}`);
    if (!(Number.isInteger(c.maxCategories) && c.maxCategories >= 1 && c.maxCategories <= 4096))
      throw new RangeError(`maxCategories must be an integer 1..4096, got ${c.maxCategories}`);
    if (!(c.vigilance >= 0 && c.vigilance <= 1)) throw new RangeError("vigilance must be in 0..1");
    if (!(c.learningRate > 0 && c.learningRate <= 1)) throw new RangeError("learningRate must be in (0, 1]");
    this.config = c;
    this.dims = c.shape ? 2 * c.window : c.window;
    this.rho = c.vigilance;
    this.lower = new Float32Array(c.maxCategories * this.dims);
    this.comp = new Float32Array(c.maxCategories * this.dims);
    this.lastUsed = new Float64Array(c.maxCategories);
    this.ring = new Float64Array(c.window);
    this.x = new Float64Array(this.dims);
    this.likelihood = new SurpriseTail(c.warmupRows);
    this.damper = new PeakDamper(c.peakDecay, c.peakDamping);
  }

  /** Scores one row (the timestamp is not used: windows are counted in rows). Missing values score 0. */
  update(_timestampMs: number, value: number | null): number {
    const v = clampValue(value);
    if (v === null) return 0;
    const c = this.config;
    this.rows++;
    if (this.rows === 1) {
      this.lo = v;
      this.hi = v;
    } else if (v < this.lo || v > this.hi) {
      this.growRange(v);
    }
    // Downsampling: a bucket of `stride` rows stands for its value furthest from the running level
    // (spikes survive); the newest, partial bucket is scored on every row, learned when complete.
    if (this.bucketRows === 0) {
      this.bucketMin = v;
      this.bucketMax = v;
      this.bucketSum = 0;
    }
    if (v < this.bucketMin) this.bucketMin = v;
    if (v > this.bucketMax) this.bucketMax = v;
    this.bucketSum += v;
    this.bucketRows++;
    const level = this.buckets === 0 ? this.bucketSum / this.bucketRows : this.level;
    this.ring[this.head] =
      Math.abs(this.bucketMax - level) >= Math.abs(this.bucketMin - level) ? this.bucketMax : this.bucketMin;
    const complete = this.bucketRows >= c.stride;
    let distance = -1;
    if (this.buckets >= c.window - 1) {
      this.features();
      distance = this.resonate(complete);
    }
    if (complete) {
      const mean = this.bucketSum / this.bucketRows;
      this.level = this.buckets === 0 ? mean : 0.5 * (this.level + mean);
      this.buckets++;
      this.bucketRows = 0;
      this.head = (this.head + 1) % c.window;
    }
    if (distance < 0) return 0;

    // Distance in the stream's own units: / its running mean (plain average, then memory ≈ 1000 rows).
    const a = Math.max(0.001, 1 / this.rows);
    const floor = 1e-6;
    const surprise = distance / (this.meanDistance + floor);
    this.meanDistance += a * (distance - this.meanDistance);
    let digits = this.likelihood.update(surprise);
    // A window that resonated counts for the share of the vigilance budget it used: continuous, and
    // a near-mismatch counts almost as much as a mismatch.
    if (c.gate === "soft") digits *= this.gate;
    else if (c.gate === "hard" && !this.mismatch) digits = 0;
    this.lastEvidence = digits;
    return this.damper.apply(digitsToScore(digits, c.scoreScale));
  }

  /** Evidence (digits) behind the last score, before shaping. */
  lastDigits(): number {
    return this.lastEvidence;
  }

  /** Categories learned so far (≤ maxCategories). */
  categoryCount(): number {
    return this.categories;
  }

  /** Bytes of per-stream state (the object graph, without the configuration and shared tables). */
  stateBytes(): number {
    return stateBytes(this, new Set(["config"]));
  }

  /** Fills this.x: levels in the seen range, then the window's shape. Oldest value first. */
  private features(): void {
    const c = this.config;
    const w = c.window;
    const span = this.hi - this.lo;
    let wmin = Infinity;
    let wmax = -Infinity;
    for (let k = 0; k < w; k++) {
      const v = this.ring[(this.head + 1 + k) % w]!;
      if (v < wmin) wmin = v;
      if (v > wmax) wmax = v;
    }
    const shapeDiv = Math.max(wmax - wmin, c.shapeFloor * span);
    for (let k = 0; k < w; k++) {
      const v = this.ring[(this.head + 1 + k) % w]!;
      this.x[k] = span > 0 ? clamp01((v - this.lo) / span) : 0.5;
      if (this.dims > w) this.x[w + k] = shapeDiv > 0 ? clamp01((v - wmin) / shapeDiv) : 0;
    }
  }

  /** Distance to the nearest box, then Fuzzy ART search and (if `learn`) learning. */
  private resonate(learn: boolean): number {
    const c = this.config;
    const D = this.dims;
    const x = this.x;
    let nearest = Infinity;
    let best = -1;
    let bestChoice = -Infinity;
    let gate = 1;
    const minMatch = this.rho * D;
    // Also per feature: no single feature may lie further than 1 − ρ outside the box (the L1 test
    // alone lets a one-row spike stretch a box across the whole range).
    const maxExcursion = 1 - this.rho;
    for (let j = 0; j < this.categories; j++) {
      const o = j * D;
      let size = 0; // |w|: lower + comp summed
      let overlap = 0; // |x ∧ w|
      let dist = 0; // L∞ distance from x to the box (0 inside): the largest excursion of one feature
      for (let d = 0; d < D; d++) {
        const l = this.lower[o + d]!;
        const m = this.comp[o + d]!;
        const xd = x[d]!;
        size += l + m;
        const below = l - xd; // > 0: under the box's lower bound
        const above = xd - (1 - m); // > 0: over its upper bound
        overlap += (xd < l ? xd : l) + (1 - xd < m ? 1 - xd : m);
        if (below > dist) dist = below;
        if (above > dist) dist = above;
      }
      if (dist < nearest) nearest = dist;
      // Vigilance on the grown box: |x ∧ w| / |x| ≥ ρ, with |x| = D under complement coding.
      if (overlap >= minMatch && dist <= maxExcursion) {
        const choice = overlap / (CHOICE_ALPHA + size);
        if (choice > bestChoice) {
          bestChoice = choice;
          best = j;
          const budget = 1 - this.rho;
          gate = budget > 0 ? Math.max((D - overlap) / (budget * D), dist / budget) : 1;
        }
      }
    }
    this.mismatch = best < 0;
    this.gate = best < 0 ? 1 : Math.min(1, gate);
    if (learn && c.mismatchRate > 0) {
      // Adaptive vigilance: nudged so that about `mismatchRate` of the learned windows match no category.
      const step = 0.01 * c.mismatchRate;
      this.rho += this.mismatch ? -step * (1 / c.mismatchRate - 1) : step;
      if (this.rho < 0.5) this.rho = 0.5;
      if (this.rho > 0.999) this.rho = 0.999;
    }
    if (!learn) {
      // A partial bucket: scored, not learned.
    } else if (best >= 0) {
      const o = best * D;
      const beta = c.learningRate;
      for (let d = 0; d < D; d++) {
        const xd = x[d]!;
        const l = this.lower[o + d]!;
        const m = this.comp[o + d]!;
        this.lower[o + d] = beta * (xd < l ? xd : l) + (1 - beta) * l;
        this.comp[o + d] = beta * (1 - xd < m ? 1 - xd : m) + (1 - beta) * m;
      }
      this.lastUsed[best] = this.rows;
    } else {
      let slot = this.categories;
      if (slot < c.maxCategories) {
        this.categories++;
      } else {
        slot = 0;
        for (let j = 1; j < c.maxCategories; j++) if (this.lastUsed[j]! < this.lastUsed[slot]!) slot = j;
      }
      const o = slot * D;
      for (let d = 0; d < D; d++) {
        this.lower[o + d] = x[d]!;
        this.comp[o + d] = 1 - x[d]!;
      }
      this.lastUsed[slot] = this.rows;
    }
    return nearest === Infinity ? 0 : nearest;
  }

  /** Widens the seen range to include v (plus a margin) and maps every box's level bounds onto it. */
  private growRange(v: number): void {
    const c = this.config;
    const oldLo = this.lo;
    const oldSpan = this.hi - this.lo;
    let lo = Math.min(this.lo, v);
    let hi = Math.max(this.hi, v);
    const margin = (c.rangeMargin * (hi - lo)) / (1 - c.rangeMargin);
    if (v < this.lo) lo -= margin;
    if (v > this.hi) hi += margin;
    const span = hi - lo;
    if (!(span > 0) || !Number.isFinite(span)) return;
    const w = c.window;
    const D = this.dims;
    for (let j = 0; j < this.categories; j++) {
      const o = j * D;
      for (let k = 0; k < w; k++) {
        // Level bounds back to values (a zero old span: every level meant the old value), then to 0..1.
        const lowVal = oldLo + this.lower[o + k]! * oldSpan;
        const highVal = oldLo + (1 - this.comp[o + k]!) * oldSpan;
        this.lower[o + k] = clamp01((lowVal - lo) / span);
        this.comp[o + k] = clamp01(1 - (highVal - lo) / span);
      }
    }
    this.lo = lo;
    this.hi = hi;
  }
}

function clamp01(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : u;
}

/** `bench:nab`'s shape: one detector per file. */
export function createArtDetector(config: Partial<ArtConfig> = {}): {
  update(timestampMs: number, value: number): number;
} {
  const d = new ArtDetector(config);
  return { update: (t, v) => d.update(t, v) };
}
