/** Pure TypeScript re-implementation of the Numenta Anomaly Benchmark scorer (NAB v1.1). */
export { NabInputError, type NabInputErrorCode } from "./errors.ts";
export { parseNabTimestamp, type NabInstant } from "./timestamp.ts";
export {
  NAB_PROFILES,
  PROFILE_NAMES,
  PROBATION_FRACTION,
  type CostMatrix,
  type ProfileName,
} from "./profiles.ts";
export { resolveWindows, type WindowLimits, type WindowRows } from "./windows.ts";
export {
  OUTSIDE,
  PROBATION,
  START_THRESHOLD,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreSeriesAt,
  scoresByThreshold,
  sweepSeries,
  type FileScore,
  type RowCounts,
  type SeriesSweep,
  type ThresholdScore,
} from "./sweep.ts";
export {
  baselines,
  nabBenchmark,
  normalise,
  nullDetections,
  scoreCorpus,
  type Baselines,
  type CorpusScore,
  type LabelledScores,
  type ProfileResult,
} from "./corpus.ts";
export {
  CrossValidator,
  assignFolds,
  type CvCorpus,
  type CvProfileResult,
  type FoldChoice,
  type InSampleResult,
} from "./cv.ts";
