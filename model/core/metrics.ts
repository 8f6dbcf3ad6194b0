/**
 * The four canonical host metrics the model reads, their units, and the fixed transforms that put
 * them on comparable scales before per-host normalisation.
 *
 * Order matters: it is the feature order of the ONNX model (recorded in its metadata).
 */
export const METRICS = ["cpu_usage", "memory_usage", "network_latency", "error_rate"] as const;
export type MetricName = (typeof METRICS)[number];

/** Number of canonical metrics (4). */
export const N_METRICS = METRICS.length;

export interface MetricSpec {
  /** Human unit of the raw value. */
  unit: "%" | "ms" | "fraction";
  /** Valid raw range (inclusive); the edge rejects values outside it. */
  min: number;
  max: number;
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
  cpu_usage: { unit: "%", min: 0, max: 100, scale: (v) => v / 100, minStd: 0.01, priorStd: 0.1, breach: 95 },
  memory_usage: {
    unit: "%",
    min: 0,
    max: 100,
    scale: (v) => v / 100,
    minStd: 0.005,
    priorStd: 0.05,
    breach: 95,
  },
  network_latency: {
    unit: "ms",
    min: 0,
    max: Number.MAX_VALUE,
    scale: (v) => Math.log1p(v) / LOG_LATENCY_DIVISOR,
    minStd: 0.01,
    priorStd: 0.1,
    breach: 1000,
  },
  error_rate: {
    unit: "fraction",
    min: 0,
    max: 1,
    scale: (v) => Math.sqrt(v),
    minStd: 0.01,
    priorStd: 0.05,
    breach: 0.1,
  },
};

/** A step's raw metric values in METRICS order; `null` = not observed in that step. */
export type MetricVector = (number | null)[];
