/**
 * Ensemble of online detectors: the edge's detector (detector.ts, default configuration) with the
 * alternative detectors (bocpd.ts, art.ts, default configurations), combined per row.
 *
 * Combinations:
 * - "max" / "mean": of the members' 0..1 scores as they are;
 * - "tail-max": each member's score is first calibrated per stream into a tail probability, the
 *   fraction of that member's own past scores at or above it (a decayed histogram), and the ensemble
 *   reports the most surprising member, −log10 of its tail probability, as digits.
 *
 * Members run with their own defaults: the ensemble's grid chooses only the members, the
 * combination and the weight of the other members against the edge's (their scores are not on the
 * same scale), so `--cv` never tunes a member inside the ensemble. Pure TypeScript.
 */
import { MetricAnomalyDetector } from "./detector.ts";
import { ArtDetector } from "./art.ts";
import { BocpdDetector } from "./bocpd.ts";
import { PeakDamper, clampValue, digitsToScore, stateBytes } from "./score-shaping.ts";

export type EnsembleConfig = {
  /** Which detectors run next to the edge's. */
  members: "edge+art" | "edge+bocpd" | "edge+art+bocpd";
  combine: "max" | "mean" | "tail-max";
  /** "max" / "mean": the other members' scores are multiplied by this before combining (the edge's by 1). */
  otherWeight: number;
  /** Histogram bins of the "tail-max" calibration (over the score range 0..1). */
  calibrationBins: number;
  /** Memory of the calibration histogram, rows (exponential forgetting). */
  calibrationMemory: number;
  /** "tail-max": digits that score 0.5. */
  scoreScale: number;
  /** "tail-max": per-row decay of the recent peak and the damping of rows not above it. */
  peakDecay: number;
  peakDamping: number;
};

export const DEFAULT_ENSEMBLE_CONFIG: Readonly<EnsembleConfig> = {
  members: "edge+art",
  combine: "max",
  otherWeight: 1,
  calibrationBins: 64,
  calibrationMemory: 5000,
  scoreScale: 2,
  peakDecay: 0.99,
  peakDamping: 0.5,
};

interface Member {
  update(timestampMs: number, value: number | null): number;
}

/** The edge detector in the members' argument order. */
class EdgeMember implements Member {
  constructor(readonly detector: MetricAnomalyDetector) {}
  update(timestampMs: number, value: number | null): number {
    return this.detector.update(timestampMs, value);
  }
}

/**
 * Per-stream calibration of one member's scores: a decayed histogram of its past scores, and the
 * tail probability P(past score ≥ s) of a new score s (with one pseudo-row at the top, so it is > 0).
 */
class TailCalibrator {
  private readonly counts: Float64Array;
  private total = 0;
  constructor(
    bins: number,
    private readonly decay: number,
  ) {
    this.counts = new Float64Array(bins);
  }

  /** −log10 P(past ≥ s), then adds s to the history. */
  digits(s: number): number {
    const bins = this.counts.length;
    const k = Math.min(bins - 1, Math.max(0, Math.floor(s * bins)));
    let above = 1; // pseudo-row: a score never seen before has tail 1 / (total + 1)
    for (let i = k; i < bins; i++) above += this.counts[i]!;
    const d = Math.log10((this.total + 1) / above);
    for (let i = 0; i < bins; i++) this.counts[i] = this.counts[i]! * this.decay;
    this.total = this.total * this.decay + 1;
    this.counts[k] = this.counts[k]! + 1;
    return d;
  }
}

export class EnsembleDetector {
  readonly config: Readonly<EnsembleConfig>;
  private readonly members: Member[];
  private readonly calibrators: TailCalibrator[];
  private readonly damper: PeakDamper;

  constructor(config: Partial<EnsembleConfig> = {}) {
    const c = { ...DEFAULT_ENSEMBLE_CONFIG, ...config };
    if (!(Number.isInteger(c.calibrationBins) && c.calibrationBins >= 2 && c.calibrationBins <= 1024))
      throw new RangeError("calibrationBins must be an integer 2..1024");
    this.config = c;
    this.members = [new EdgeMember(new MetricAnomalyDetector())];
    if (c.members.includes("art")) this.members.push(new ArtDetector());
    if (c.members.includes("bocpd")) this.members.push(new BocpdDetector());
    const decay = 1 - 1 / c.calibrationMemory;
    this.calibrators = this.members.map(() => new TailCalibrator(c.calibrationBins, decay));
    this.damper = new PeakDamper(c.peakDecay, c.peakDamping);
  }

  /** Scores one row; a missing value (null, NaN, ±Infinity) scores 0 and leaves the calibration alone. */
  update(timestampMs: number, value: number | null): number {
    const c = this.config;
    if (clampValue(value) === null) {
      for (const m of this.members) m.update(timestampMs, value);
      return 0;
    }
    let max = 0;
    let sum = 0;
    let maxDigits = 0;
    for (let i = 0; i < this.members.length; i++) {
      const raw = this.members[i]!.update(timestampMs, value);
      const s = i === 0 ? raw : raw * c.otherWeight;
      if (s > max) max = s;
      sum += s;
      if (c.combine === "tail-max") {
        const d = this.calibrators[i]!.digits(raw);
        if (d > maxDigits) maxDigits = d;
      }
    }
    if (c.combine === "max") return max;
    if (c.combine === "mean") return sum / this.members.length;
    return this.damper.apply(digitsToScore(maxDigits, c.scoreScale));
  }

  /** Bytes of per-stream state: every member's, the calibration histograms (if used) and the damper. */
  stateBytes(): number {
    const calibration = this.config.combine === "tail-max" ? stateBytes(this.calibrators) : 0;
    return stateBytes(this.members, new Set(["config", "consts"])) + calibration + 16;
  }
}

const ensembleAt = (changes: Partial<EnsembleConfig>): EnsembleConfig => ({
  ...DEFAULT_ENSEMBLE_CONFIG,
  ...changes,
});

/** `bench:nab`'s shape: one detector per file. */
export function createEnsembleDetector(config: Partial<EnsembleConfig> = {}): {
  update(timestampMs: number, value: number): number;
} {
  const d = new EnsembleDetector(config);
  return { update: (t, v) => d.update(t, v) };
}

/** For `bench:nab` (the `DetectorSpec` shape of scripts/bench/nab-detectors.ts). */
export const ensembleSpec = {
  grid: [
    ensembleAt({}),
    ensembleAt({ otherWeight: 0.5 }),
    ensembleAt({ otherWeight: 0.25 }),
    ensembleAt({ combine: "mean" }),
    ensembleAt({ members: "edge+bocpd", otherWeight: 0.5 }),
    ensembleAt({ members: "edge+bocpd", otherWeight: 0.25 }),
    ensembleAt({ members: "edge+art+bocpd", otherWeight: 0.5 }),
    ensembleAt({ members: "edge+art+bocpd", combine: "tail-max" }),
  ] as readonly EnsembleConfig[],
  create: (p: EnsembleConfig) => createEnsembleDetector(p),
  ablations: {
    members: ["edge+bocpd", "edge+art+bocpd"],
    combine: ["mean", "tail-max"],
    otherWeight: [0.25, 0.5],
  },
};
