/**
 * Online per-metric anomaly scoring: forecasters → surprise → likelihood → score 0..1.
 * See README.md in this folder for the method and its NAB figures.
 */
export { tailSurprisal } from "./tail.ts";
export {
  AnomalyLikelihood,
  DEFAULT_LIKELIHOOD_CONFIG,
  MAX_SHORT_WINDOW,
  likelihoodStateSchema,
  type LikelihoodConfig,
  type LikelihoodState,
} from "./likelihood.ts";
export {
  DEFAULT_DETECTOR_CONFIG,
  MetricAnomalyDetector,
  detectorSnapshotSchema,
  digitsToScore,
  type ChannelDigits,
  type DetectorConfig,
  type DetectorOptions,
  type DetectorSnapshot,
} from "./detector.ts";

import { MetricAnomalyDetector, type DetectorOptions } from "./detector.ts";

/**
 * The detector `npm run bench:nab` runs on univariate NAB series: one `MetricAnomalyDetector` with
 * the default configuration and no external forecast.
 *
 * @example
 * const d = createNabDetector();
 * const score = d.update(Date.parse("2014-04-01T00:00:00Z"), 42); // fraction 0..1
 */
export function createNabDetector(options: DetectorOptions = {}): {
  update(timestampMs: number, value: number): number;
} {
  const d = new MetricAnomalyDetector(options);
  return { update: (timestampMs, value) => d.update(timestampMs, value) };
}

/**
 * Factory in the shape the host scorer takes (`AnomalyFactory` in model/core/scorer.ts): one detector
 * per metric, fed the raw value and the LSTM's one-step forecast error (z units).
 *
 * @example
 * const d = anomalyFactory.create("cpu_usage");
 * d.update(87.5, 0.4, Date.now());
 * const restored = anomalyFactory.restore("cpu_usage", d.toJSON());
 */
export const anomalyFactory = {
  create(_metric: string): ScorerDetector {
    return new ScorerDetector(new MetricAnomalyDetector());
  },
  restore(_metric: string, state: unknown): ScorerDetector {
    return new ScorerDetector(MetricAnomalyDetector.fromJSON(state));
  },
};

/** A detector in the scorer's argument order (a class: clones are made on every prediction). */
class ScorerDetector {
  constructor(readonly detector: MetricAnomalyDetector) {}

  update(value: number | null, forecastError: number | null, timestampMs: number): number {
    return this.detector.update(timestampMs, value, forecastError);
  }

  toJSON(): unknown {
    return this.detector.toJSON();
  }

  /** Independent copy (≈ 0.5 µs; `restore(toJSON())` validates and costs ≈ 60 µs). */
  clone(): ScorerDetector {
    return new ScorerDetector(this.detector.clone());
  }
}
