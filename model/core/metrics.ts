/**
 * The four canonical host metrics the model reads, their units, and the fixed transforms that put
 * them on comparable scales before per-host normalisation.
 *
 * Order matters: it is the feature order of the ONNX model (recorded in its metadata).
 */
import { METRIC_RANGES, METRICS, type MetricName, type MetricRange } from "../../contracts/metrics.ts";

export { METRICS, type MetricName };

/** Number of canonical metrics (4). */
export const N_METRICS = METRICS.length;

/** A metric's unit and valid range (from `contracts/`) and what the model does with it. */
export interface MetricSpec extends MetricRange {
  /**
   * Fixed transform raw → "scaled" (roughly 0..1 in normal operation). Latency is log-compressed
   * (20 ms and 2 s should not be 100× apart to an LSTM), error rate square-root-compressed (0.1 %
   * vs 1 % matters as much as 10 % vs 40 %).
   */
  scale: (raw: number) => number;
  /** Smallest per-host standard deviation in scaled units, so flat metrics do not explode z-scores. */
  minStd: number;
  /** Standard deviation assumed before a host has history, scaled units. */
  priorStd: number;
  /**
   * Level that counts as a breach for time-to-breach estimates (raw units). Defaults; the model
   * metadata may override them.
   */
  breach: number;
}

const LOG_LATENCY_DIVISOR = Math.log1p(1000); // 1 s → 1.0

export const METRIC_SPECS: Record<MetricName, MetricSpec> = {
  cpu_usage: { ...METRIC_RANGES.cpu_usage, scale: (v) => v / 100, minStd: 0.01, priorStd: 0.1, breach: 95 },
  memory_usage: {
    ...METRIC_RANGES.memory_usage,
    scale: (v) => v / 100,
    minStd: 0.005,
    priorStd: 0.05,
    breach: 95,
  },
  network_latency: {
    ...METRIC_RANGES.network_latency,
    scale: (v) => Math.log1p(v) / LOG_LATENCY_DIVISOR,
    minStd: 0.01,
    priorStd: 0.1,
    breach: 1000,
  },
  error_rate: {
    ...METRIC_RANGES.error_rate,
    scale: (v) => Math.sqrt(v),
    minStd: 0.01,
    priorStd: 0.05,
    breach: 0.1,
  },
};

/** A step's raw metric values in METRICS order; `null` = not observed in that step. */
export type MetricVector = (number | null)[];
