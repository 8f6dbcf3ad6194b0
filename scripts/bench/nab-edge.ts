/**
 * The edge detector (model/core/anomaly, the code the edge runs) as a `bench:nab` detector: its
 * tunable constants as flat parameters, today's values as the default configuration, the grid that
 * `--cv` searches and the alternatives that `--ablate` tries (one constant changed at a time).
 */
import {
  DEFAULT_DETECTOR_CONFIG,
  createNabDetector,
  type DetectorOptions,
} from "../../model/core/anomaly/index.ts";
import type { DetectorSpec } from "./nab-detectors.ts";

const D = DEFAULT_DETECTOR_CONFIG;
const L = D.likelihood;

/** Every constant of the detector that is not learned online, flat. */
export type EdgeParams = {
  scaleAlpha: number;
  seasonBins: number;
  seasonAlpha: number;
  /** 0 = smoothing per step (`seasonSmoothing`) instead of per time. */
  seasonSmoothingMinutes: number;
  seasonDevFloor: number;
  rangeDecay: number;
  noveltyOffset: number;
  noveltyMinSteps: number;
  fullScoreDigits: number;
  peakDecay: number;
  peakDamping: number;
  stepChannel: boolean;
  seasonalChannel: boolean;
  noveltyChannel: boolean;
  /** The likelihood's short window (steps). */
  likelihoodWindow: number;
  longRunAlpha: number;
  minStd: number;
  /** Steps before any evidence (likelihood and range novelty). */
  likelihoodWarmupSteps: number;
};

export const EDGE_DEFAULTS: EdgeParams = {
  scaleAlpha: D.scaleAlpha,
  seasonBins: D.seasonBins,
  seasonAlpha: D.seasonAlpha,
  seasonSmoothingMinutes: D.seasonSmoothingMinutes,
  seasonDevFloor: D.seasonDevFloor,
  rangeDecay: D.rangeDecay,
  noveltyOffset: D.noveltyOffset,
  noveltyMinSteps: D.noveltyMinSteps,
  fullScoreDigits: D.fullScoreDigits,
  peakDecay: D.peakDecay,
  peakDamping: D.peakDamping,
  stepChannel: D.channels.step,
  seasonalChannel: D.channels.seasonal,
  noveltyChannel: D.channels.novelty,
  likelihoodWindow: L.shortWindows.length === 1 ? (L.shortWindows[0] as number) : 8,
  longRunAlpha: L.longRunAlpha,
  minStd: L.minStd,
  likelihoodWarmupSteps: L.warmupSteps,
};

/** The detector options a flat configuration stands for. */
export function edgeOptions(p: EdgeParams): DetectorOptions {
  return {
    scaleAlpha: p.scaleAlpha,
    seasonBins: p.seasonBins,
    seasonAlpha: p.seasonAlpha,
    seasonSmoothingMinutes: p.seasonSmoothingMinutes,
    seasonDevFloor: p.seasonDevFloor,
    rangeDecay: p.rangeDecay,
    noveltyOffset: p.noveltyOffset,
    noveltyMinSteps: p.noveltyMinSteps,
    fullScoreDigits: p.fullScoreDigits,
    peakDecay: p.peakDecay,
    peakDamping: p.peakDamping,
    channels: { step: p.stepChannel, seasonal: p.seasonalChannel, novelty: p.noveltyChannel },
    likelihood: {
      shortWindows: [p.likelihoodWindow],
      longRunAlpha: p.longRunAlpha,
      minStd: p.minStd,
      warmupSteps: p.likelihoodWarmupSteps,
    },
  };
}

const at = (changes: Partial<EdgeParams>): EdgeParams => ({ ...EDGE_DEFAULTS, ...changes });

export const edgeSpec: DetectorSpec<EdgeParams> = {
  // The defaults first; then the constants whose ablations moved the CV score most, one at a time.
  grid: [
    EDGE_DEFAULTS,
    at({ seasonBins: 144 }),
    at({ likelihoodWindow: 4 }),
    at({ rangeDecay: 2 * D.rangeDecay }),
    at({ noveltyOffset: D.noveltyOffset / 2 }),
  ],
  create: (p) => createNabDetector(edgeOptions(p)),
  ablations: {
    scaleAlpha: [D.scaleAlpha / 2, D.scaleAlpha * 2],
    seasonBins: [48, 144],
    seasonAlpha: [0.3, 0.8],
    seasonSmoothingMinutes: [0, 30, 120],
    seasonDevFloor: [0.25, 1],
    rangeDecay: [0, D.rangeDecay / 2, D.rangeDecay * 2],
    noveltyOffset: [0, D.noveltyOffset / 2, D.noveltyOffset * 2],
    noveltyMinSteps: [0.5, 1],
    fullScoreDigits: [2.5, 10],
    peakDecay: [0, 0.9, 0.999],
    peakDamping: [0, 1],
    stepChannel: [true],
    seasonalChannel: [false],
    noveltyChannel: [false],
    likelihoodWindow: [1, 4, 16],
    longRunAlpha: [L.longRunAlpha / 2, L.longRunAlpha * 2],
    minStd: [L.minStd / 2, L.minStd * 2],
    likelihoodWarmupSteps: [25, 100],
  },
};
