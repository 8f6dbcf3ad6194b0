/**
 * The four canonical host metrics: their names (in the model's feature order), units and the ranges
 * the edge accepts. What the model does with them (scales, breach levels) lives in `model/core/`.
 */
import { z } from "zod";

export const METRICS = ["cpu_usage", "memory_usage", "network_latency", "error_rate"] as const;
export type MetricName = (typeof METRICS)[number];
export const MetricNameSchema = z.enum(METRICS);

export interface MetricRange {
  /** Human unit of the raw value. */
  unit: "%" | "ms" | "fraction";
  /** Valid raw range (inclusive); the edge rejects values outside it. */
  min: number;
  max: number;
}

export const METRIC_RANGES: Readonly<Record<MetricName, MetricRange>> = {
  cpu_usage: { unit: "%", min: 0, max: 100 },
  memory_usage: { unit: "%", min: 0, max: 100 },
  network_latency: { unit: "ms", min: 0, max: Number.MAX_VALUE },
  error_rate: { unit: "fraction", min: 0, max: 1 },
};

/**
 * The ranges the edge accepts for new points: METRIC_RANGES with a finite ceiling on latency (1 h in
 * ms). METRIC_RANGES itself stays as it was, so points stored before still read back.
 */
export const INGEST_METRIC_RANGES: Readonly<Record<MetricName, MetricRange>> = {
  ...METRIC_RANGES,
  network_latency: { unit: "ms", min: 0, max: 3_600_000 },
};
