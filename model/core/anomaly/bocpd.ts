/**
 * Bayesian online change-point detection (Adams & MacKay 2007, "Bayesian Online Changepoint
 * Detection", arXiv:0710.3742) as an online anomaly detector: a Normal model with unknown mean and
 * variance per run (Normal-Gamma prior, Student-t predictive), a constant hazard, and a bounded number
 * of run-length hypotheses so that the cost and the state per stream are fixed.
 *
 * Written from the paper; see README.md ("Other detectors") for the choices and NAB figures.
 * Pure TypeScript (no node:/cloudflare: imports), O(maxRuns) per row.
 */
import { AnomalyLikelihood } from "./likelihood.ts";
import { EvidenceTail, PeakDamper, clampValue, digitsToScore, stateBytes } from "./score-shaping.ts";

export type BocpdConfig = {
  /** Expected run length between change points, rows: the constant hazard is 1 / this. */
  hazardRunLength: number;
  /** Run-length hypotheses kept; longer runs are merged into the last one (bounds cost and state). */
  maxRuns: number;
  /** Effective samples the merged longest run remembers (older ones are forgotten exponentially). */
  memory: number;
  /** Memory, rows, of the stream-wide mean/variance the prior of a new run is centred on. */
  baselineMemory: number;
  /**
   * How the evidence becomes digits. "bayes-factor": log10 of the Bayes factor "this row starts a
   * new run" vs "it continues one of the current runs". "likelihood": that same Bayes factor judged
   * against the stream's own history of Bayes factors (likelihood.ts, one-row window). "rank": its
   * empirical tail among the stream's past Bayes factors (score-shaping.ts EvidenceTail, memory
   * `baselineMemory` rows), so a change point that recurs every day stops counting.
   */
  evidence: "bayes-factor" | "likelihood" | "rank";
  /**
   * Model the residual from a time-of-day profile (96 UTC bins, learned online) instead of the value:
   * a daily pattern's regular level changes are then not change points.
   */
  seasonal: boolean;
  /** Rows the "likelihood" evidence averages over (likelihood.ts short window, 1..64). */
  likelihoodWindow: number;
  /** Rows without evidence at the start (the baseline is still forming); the model learns anyway. */
  warmupRows: number;
  /** Digits of evidence that score 0.5 (score = d / (d + scale)). */
  scoreScale: number;
  /** Per-row decay of the recent peak score. */
  peakDecay: number;
  /** Scores not above the decayed recent peak are multiplied by this. */
  peakDamping: number;
};

/**
 * Hazard 1/250 from the paper and NAB's port; run-length cap and memories for cost and state. The
 * seasonal residual and the "rank" evidence were chosen after the paper's plain model scored 27 on the
 * NAB subset (README.md "Other detectors" lists every variant looked at there).
 */
export const DEFAULT_BOCPD_CONFIG: Readonly<BocpdConfig> = {
  hazardRunLength: 250,
  maxRuns: 64,
  memory: 500,
  baselineMemory: 1000,
  evidence: "rank",
  likelihoodWindow: 1,
  seasonal: true,
  warmupRows: 50,
  scoreScale: 5,
  peakDecay: 0.99,
  peakDamping: 0.5,
};

const bocpdAt = (changes: Partial<BocpdConfig>): BocpdConfig => ({ ...DEFAULT_BOCPD_CONFIG, ...changes });

/**
 * For `bench:nab` (the `DetectorSpec` shape of scripts/bench/nab-detectors.ts): the defaults first,
 * then the configurations `--cv` may choose among (≤ 8), and single-parameter ablations.
 */
export const bocpdSpec = {
  grid: [
    bocpdAt({}),
    bocpdAt({ hazardRunLength: 100 }),
    bocpdAt({ hazardRunLength: 1000 }),
    bocpdAt({ evidence: "likelihood" }),
    bocpdAt({ evidence: "bayes-factor" }),
    bocpdAt({ seasonal: false }),
    bocpdAt({ seasonal: false, evidence: "likelihood" }),
    bocpdAt({ maxRuns: 16 }),
  ] as readonly BocpdConfig[],
  create: (p: BocpdConfig) => createBocpdDetector(p),
  ablations: {
    hazardRunLength: [50, 1000],
    maxRuns: [16, 128],
    memory: [200, 2000],
    baselineMemory: [300, 3000],
    evidence: ["likelihood", "bayes-factor"],
    seasonal: [false],
    peakDecay: [0, 0.999],
    peakDamping: [0, 1],
  },
};

const DAY_MS = 86_400_000;
const PROFILE_BINS = 96;
const BIN_MS = DAY_MS / PROFILE_BINS;
/** A profile bin is a plain average of its first visits, then an exponential one with this memory. */
const PROFILE_VISITS = 5;

/** Normal-Gamma prior strength: one pseudo-observation for the mean, α0 = 1 (2-dof prior predictive). */
const KAPPA0 = 1;
const ALPHA0 = 1;
const LOG10E = Math.LOG10E;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-13). Only builds tables. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Student-t log-density constants by sample count c (α = α0 + c/2):
 * ln Γ(α + ½) − ln Γ(α) − ½ ln(2πα). Shared by every stream with the same `memory` (not state).
 */
const constTables = new Map<number, Float64Array>();
function logDensityConstants(memory: number): Float64Array {
  let t = constTables.get(memory);
  if (t === undefined) {
    t = new Float64Array(memory + 1);
    for (let c = 0; c <= memory; c++) {
      const a = ALPHA0 + c / 2;
      t[c] = lnGamma(a + 0.5) - lnGamma(a) - 0.5 * Math.log(2 * Math.PI * a);
    }
    constTables.set(memory, t);
  }
  return t;
}

/**
 * One stream's detector.
 *
 * Each hypothesis i is "the current run started i + 1 rows ago" (the last one: "at least maxRuns
 * rows ago", with an exponentially forgetting summary) and keeps its posterior mass and the count,
 * mean and sum of squared deviations of its rows. A new run's prior is centred on the stream's slow
 * mean with the stream's slow variance as its predictive scale (empirical Bayes; the paper fixes the
 * prior by hand, which does not carry across series whose scales differ by 10^6).
 *
 * Per row: the predictive density of the row under each run (Student-t), the Bayes factor of "a new
 * run starts here" (prior predictive) against the run-length mixture, the growth/change-point message
 * passing of the paper, and normalisation. The evidence is log10 of that Bayes factor: a row the
 * current runs predict well scores ≈ 0, a spike or the first row after a level shift scores high.
 *
 * @example
 * const d = new BocpdDetector();
 * const score = d.update(Date.now(), 42); // 0..1
 */
export class BocpdDetector {
  readonly config: Readonly<BocpdConfig>;
  private readonly consts: Float64Array;
  private readonly logH: number;
  private readonly log1mH: number;
  /** Posterior mass, count, mean, sum of squared deviations, per hypothesis. */
  private mass: Float64Array;
  private cnt: Float64Array;
  private mean: Float64Array;
  private m2: Float64Array;
  /** Scratch: log predictive density per hypothesis. */
  private readonly logp: Float64Array;
  private len = 0;
  /** Seasonal mode: time-of-day profile (mean per bin, visits counted up to PROFILE_VISITS) and level. */
  private readonly profile: Float64Array;
  private readonly profileCount: Float64Array;
  private level = 0;
  private rows = 0;
  private baseMean = 0;
  private baseVar = 0;
  private readonly likelihood: AnomalyLikelihood | null;
  private readonly tail: EvidenceTail | null;
  private readonly damper: PeakDamper;
  private lastEvidence = 0;

  constructor(config: Partial<BocpdConfig> = {}) {
    const c = { ...DEFAULT_BOCPD_CONFIG, ...config };
    if (!(Number.isInteger(c.maxRuns) && c.maxRuns >= 2 && c.maxRuns <= 4096))
      throw new RangeError(`maxRuns must be an integer 2..4096, got ${c.maxRuns}`);
    if (!(Number.isInteger(c.memory) && c.memory >= c.maxRuns && c.memory <= 1e6))
      throw new RangeError(`memory must be an integer maxRuns..1e6, got ${c.memory}`);
    if (!(c.hazardRunLength > 1)) throw new RangeError("hazardRunLength must be > 1");
    if (!(c.baselineMemory >= 1)) throw new RangeError("baselineMemory must be >= 1");
    this.config = c;
    this.consts = logDensityConstants(c.memory);
    this.logH = -Math.log(c.hazardRunLength);
    this.log1mH = Math.log1p(-1 / c.hazardRunLength);
    this.mass = new Float64Array(c.maxRuns);
    this.cnt = new Float64Array(c.maxRuns);
    this.mean = new Float64Array(c.maxRuns);
    this.m2 = new Float64Array(c.maxRuns);
    this.logp = new Float64Array(c.maxRuns);
    this.profile = new Float64Array(c.seasonal ? PROFILE_BINS : 0);
    this.profileCount = new Float64Array(c.seasonal ? PROFILE_BINS : 0);
    this.likelihood =
      c.evidence === "likelihood"
        ? new AnomalyLikelihood({ shortWindows: [c.likelihoodWindow], warmupSteps: c.warmupRows })
        : null;
    this.tail = c.evidence === "rank" ? new EvidenceTail(1 - 1 / c.baselineMemory) : null;
    this.damper = new PeakDamper(c.peakDecay, c.peakDamping);
  }

  /** Scores one row (the timestamp is not used: runs are counted in rows). Missing values score 0. */
  update(timestampMs: number, value: number | null): number {
    const raw = clampValue(value);
    if (raw === null) return 0;
    const c = this.config;
    this.rows++;
    // Seasonal mode: the model sees the residual from a time-of-day profile (UTC, 15-minute bins).
    let bin = -1;
    let x = raw;
    if (c.seasonal && Number.isFinite(timestampMs)) {
      bin = Math.floor((((timestampMs % DAY_MS) + DAY_MS) % DAY_MS) / BIN_MS);
      const seen = this.profileCount[bin]! > 0;
      x = raw - (seen ? this.profile[bin]! : this.level);
    }

    // Prior of a new run: the stream's slow mean; predictive variance = the slow variance.
    const varFloor = Math.max(1e-18 * this.baseMean * this.baseMean, 1e-300);
    const v0 = this.baseVar > varFloor ? this.baseVar : varFloor;
    const mu0 = this.baseMean;
    const beta0 = (ALPHA0 * KAPPA0 * v0) / (KAPPA0 + 1);

    let evidence = 0;
    if (this.len === 0) {
      this.mass[0] = 1;
      this.cnt[0] = 1;
      this.mean[0] = x;
      this.m2[0] = 0;
      this.len = 1;
    } else {
      const logPrior = this.logPredictive(x, 0, 0, 0, mu0, beta0, varFloor);
      // Log predictive density under each run; the mixture with the current run-length posterior.
      let maxLp = -Infinity;
      for (let i = 0; i < this.len; i++) {
        const lp = this.logPredictive(x, this.cnt[i]!, this.mean[i]!, this.m2[i]!, mu0, beta0, varFloor);
        this.logp[i] = lp;
        if (lp > maxLp) maxLp = lp;
      }
      let mix = 0;
      for (let i = 0; i < this.len; i++) {
        const w = this.mass[i]! * Math.exp(this.logp[i]! - maxLp);
        this.logp[i] = w; // now the unnormalised growth weight
        mix += w;
      }
      const logMix = maxLp + Math.log(mix);
      const logBf = logPrior - logMix;
      // Signed for "rank" (continuous below "no evidence" too), clipped at 0 for the other two.
      evidence = c.evidence === "rank" ? logBf * LOG10E : logBf > 0 ? logBf * LOG10E : 0;

      // Message passing: growth (each run gains this row) and change point (a new run starts here).
      // Weights are kept relative to exp(maxLp); the change-point weight is H·π0 / exp(maxLp)·Σmass.
      const growth = Math.exp(this.log1mH);
      const cp = Math.exp(this.logH + logPrior - maxLp);
      const R = c.maxRuns;
      const keep = this.len;
      let lastMass = -1;
      let lastFrom = -1;
      if (keep === R) {
        // The two oldest hypotheses merge into the last slot: keep the statistics of the heavier one.
        const a = this.logp[R - 2]! * growth;
        const b = this.logp[R - 1]! * growth;
        lastMass = a + b;
        lastFrom = b >= a ? R - 1 : R - 2;
      }
      const newLen = keep === R ? R : keep + 1;
      if (keep === R && lastFrom === R - 1) {
        this.grow(R - 1, R - 1, x, lastMass);
      } else if (keep === R) {
        this.grow(R - 2, R - 1, x, lastMass);
      }
      for (let i = (keep === R ? R - 2 : keep) - 1; i >= 0; i--) {
        this.grow(i, i + 1, x, this.logp[i]! * growth);
      }
      this.mass[0] = cp;
      this.cnt[0] = 1;
      this.mean[0] = x;
      this.m2[0] = 0;
      this.len = newLen;
      let total = 0;
      for (let i = 0; i < newLen; i++) total += this.mass[i]!;
      if (total > 0 && Number.isFinite(total)) {
        for (let i = 0; i < newLen; i++) this.mass[i] = this.mass[i]! / total;
      } else {
        // Everything underflowed (cannot happen with finite inputs, kept as a guard): restart.
        this.mass.fill(0);
        this.mass[0] = 1;
        this.len = 1;
      }
    }

    if (bin >= 0) {
      const n = Math.min(this.profileCount[bin]! + 1, PROFILE_VISITS);
      this.profileCount[bin] = n;
      this.profile[bin] = this.profile[bin]! + (raw - this.profile[bin]!) / n;
      this.level += Math.max(1 / c.baselineMemory, 1 / this.rows) * (raw - this.level);
    }
    // Slow baseline (plain average until 1 / alpha rows, then exponential forgetting).
    const a = Math.max(1 / c.baselineMemory, 1 / this.rows);
    const d = x - this.baseMean;
    this.baseMean += a * d;
    this.baseVar = (1 - a) * (this.baseVar + a * d * d);

    let digits = evidence;
    if (this.likelihood !== null) digits = this.likelihood.update(evidence);
    else if (this.tail !== null) digits = this.tail.update(evidence);
    if (this.rows <= c.warmupRows) digits = 0;
    this.lastEvidence = digits;
    return this.damper.apply(digitsToScore(digits, c.scoreScale));
  }

  /** Evidence (digits) behind the last score, before shaping. */
  lastDigits(): number {
    return this.lastEvidence;
  }

  /** Run-length posterior mass by hypothesis (index i = run started i + 1 rows ago). */
  runLengthPosterior(): Float64Array {
    return this.mass.slice(0, this.len);
  }

  /** Bytes of per-stream state (the object graph, without the configuration and shared tables). */
  stateBytes(): number {
    return stateBytes(this, new Set(["config", "consts"]));
  }

  /** ln of the Student-t predictive density of x for a run with (count, mean, M2) under the prior. */
  private logPredictive(
    x: number,
    count: number,
    mean: number,
    m2: number,
    mu0: number,
    beta0: number,
    varFloor: number,
  ): number {
    const kappa = KAPPA0 + count;
    const mu = (KAPPA0 * mu0 + count * mean) / kappa;
    const alpha = ALPHA0 + count / 2;
    const dm = mean - mu0;
    const beta = beta0 + 0.5 * m2 + (KAPPA0 * count * dm * dm) / (2 * kappa);
    let s2 = (beta * (kappa + 1)) / (alpha * kappa);
    if (!(s2 > varFloor)) s2 = varFloor;
    const z = x - mu;
    return (
      this.consts[Math.round(count)]! -
      0.5 * Math.log(s2) -
      (alpha + 0.5) * Math.log1p((z * z) / (2 * alpha * s2))
    );
  }

  /** Moves hypothesis `from` to slot `to` with mass `m`, adding x to its statistics (Welford). */
  private grow(from: number, to: number, x: number, m: number): void {
    let n = this.cnt[from]! + 1;
    const d = x - this.mean[from]!;
    const mean = this.mean[from]! + d / n;
    let m2 = this.m2[from]! + d * (x - mean);
    const cap = this.config.memory;
    if (n > cap) {
      m2 *= cap / n;
      n = cap;
    }
    this.mass[to] = m;
    this.cnt[to] = n;
    this.mean[to] = mean;
    this.m2[to] = m2;
  }
}

/** `bench:nab`'s shape: one detector per file. */
export function createBocpdDetector(config: Partial<BocpdConfig> = {}): {
  update(timestampMs: number, value: number): number;
} {
  const d = new BocpdDetector(config);
  return { update: (t, v) => d.update(t, v) };
}
