import {
  NAB_PROFILES,
  PROFILE_NAMES,
  PROBATION_FRACTION,
  type CostMatrix,
  type ProfileName,
} from "./profiles.ts";
import {
  optimizeThreshold,
  scoreSeriesAt,
  sumFileScores,
  sweepSeries,
  type FileScore,
  type RowCounts,
  type SeriesSweep,
} from "./sweep.ts";
import type { WindowRows } from "./windows.ts";

/** One file of a detector's results, with its label windows already mapped to rows. */
export interface LabelledScores {
  /** `category/file.csv`, unique in the corpus. */
  name: string;
  /** Detector output per data row, 0..1. */
  anomalyScores: ArrayLike<number>;
  /** Ordered, disjoint, inclusive row ranges. */
  windows: readonly WindowRows[];
}

/** A detector's corpus score for one profile, at one threshold for the whole corpus. */
export interface CorpusScore {
  threshold: number;
  /** Sum of the per-file scores at `threshold` (what NAB reports as the detector's score). */
  rawScore: number;
  /** The optimiser's corpus score at `threshold`; equals `rawScore` up to rounding. */
  optimiserScore: number;
  counts: RowCounts;
  windows: number;
  windowsDetected: number;
  files: FileScore[];
}

function sweepAll(corpus: readonly LabelledScores[], cost: CostMatrix, fraction: number): SeriesSweep[] {
  return corpus.map((f) => sweepSeries(f.name, f.anomalyScores, f.windows, cost, fraction));
}

/** NAB's optimise + score steps for one profile: best threshold over the corpus, then per-file scores. */
export function scoreCorpus(
  corpus: readonly LabelledScores[],
  cost: CostMatrix,
  probationFraction: number = PROBATION_FRACTION,
): CorpusScore {
  const sweeps = sweepAll(corpus, cost, probationFraction);
  const best = optimizeThreshold(sweeps, cost);
  const files = sweeps.map((s) => scoreSeriesAt(s, cost, best.threshold));
  const { rawScore, counts, windows, windowsDetected } = sumFileScores(files);
  return {
    threshold: best.threshold,
    rawScore,
    optimiserScore: best.score,
    counts,
    windows,
    windowsDetected,
    files,
  };
}

/** The reference points of NAB's normalisation for one profile. */
export interface Baselines {
  /** Score of NAB's null detector (0.5 on every row), optimised like any detector. */
  nullScore: number;
  /** One earliest-possible detection per window and nothing else: windows × tpWeight. */
  perfectScore: number;
}

/** NAB's null detector output for a corpus: 0.5 on every row. */
export function nullDetections(corpus: readonly LabelledScores[]): LabelledScores[] {
  return corpus.map((f) => ({ ...f, anomalyScores: new Float64Array(f.anomalyScores.length).fill(0.5) }));
}

export function baselines(
  corpus: readonly LabelledScores[],
  cost: CostMatrix,
  probationFraction: number = PROBATION_FRACTION,
): Baselines {
  const nullScore = scoreCorpus(nullDetections(corpus), cost, probationFraction).rawScore;
  const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
  return { nullScore, perfectScore: windows * cost.tpWeight };
}

/**
 * 100 · (raw − null) / (perfect − null): null detector → 0, perfect → 100. Null when undefined
 * (a corpus where the null detector already scores perfectly, e.g. one without windows).
 */
export function normalise(rawScore: number, b: Baselines): number | null {
  const span = b.perfectScore - b.nullScore;
  return span === 0 ? null : (100 * (rawScore - b.nullScore)) / span;
}

export interface ProfileResult extends CorpusScore, Baselines {
  profile: ProfileName;
  costMatrix: CostMatrix;
  normalisedScore: number | null;
}

/**
 * Scores a detector's results on all three NAB profiles, each with its own corpus-wide threshold.
 *
 * @example
 * const windows = resolveWindows(name, timestampKeys, labels[name]);
 * const [standard] = nabBenchmark([{ name, anomalyScores, windows }]);
 * standard.normalisedScore; // 0 = NAB's null detector, 100 = perfect
 */
export function nabBenchmark(
  corpus: readonly LabelledScores[],
  probationFraction: number = PROBATION_FRACTION,
): ProfileResult[] {
  return PROFILE_NAMES.map((profile) => {
    const costMatrix = NAB_PROFILES[profile];
    const score = scoreCorpus(corpus, costMatrix, probationFraction);
    const base = baselines(corpus, costMatrix, probationFraction);
    return { profile, costMatrix, ...score, ...base, normalisedScore: normalise(score.rawScore, base) };
  });
}
