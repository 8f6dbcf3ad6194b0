/** Public data types of the fleet simulator. Field names match the edge's `POST /metrics` format. */

import { METRICS, type MetricName } from "../model/core/metrics.ts";

/** The canonical metrics, in the model's order (one definition: model/core/metrics.ts). */
export const METRIC_NAMES = METRICS;
export type { MetricName };

/** One observation of one host. */
export interface MetricPoint {
  host: string;
  /** Epoch milliseconds (integer). Arrival jitters by a few seconds around the step grid. */
  timestamp: number;
  /** CPU usage, percent 0..100. */
  cpu_usage: number;
  /** Memory usage, percent 0..100. */
  memory_usage: number;
  /** Network latency, milliseconds >= 0. */
  network_latency: number;
  /** Error rate, fraction 0..1 of requests. */
  error_rate: number;
}

export const FAILURE_FAMILIES = [
  "memory_leak",
  "cpu_saturation",
  "network_degradation",
  "error_cascade",
  "sudden_crash",
] as const;
export type FailureFamily = (typeof FAILURE_FAMILIES)[number];

/** A labelled outage: no points are emitted in [startMs, endMs). */
export interface Downtime {
  host: string;
  family: FailureFamily;
  /** When the precursor starts deviating from normal (epoch ms); null for sudden_crash. */
  precursorStartMs: number | null;
  /** First missing instant (epoch ms, on the step grid). */
  startMs: number;
  /** End, exclusive (epoch ms, on the step grid): the host's first point after restart is at or after it. */
  endMs: number;
}

export const BENIGN_KINDS = ["deploy", "cron", "traffic_peak", "metrics_gap"] as const;
export type BenignKind = (typeof BENIGN_KINDS)[number];

/** A burst that looks unusual but must not be predicted as downtime. */
export interface BenignEvent {
  host: string;
  /** deploy: restart with CPU spike, memory reset, error blip, a few missing points;
   * cron: daily CPU/IO burst at a fixed local time; traffic_peak: fleet-wide load peak (CPU, latency,
   * slight errors); metrics_gap: the agent stops reporting for a few minutes while the host is fine. */
  kind: BenignKind;
  startMs: number;
  /** Exclusive. */
  endMs: number;
}

export const HOST_CLASSES = ["web", "api", "db", "batch"] as const;
export type HostClass = (typeof HOST_CLASSES)[number];

/** Sortable host id: host-000, host-001, … (wider past 999). */
export function hostId(index: number): string {
  return `host-${String(index).padStart(3, "0")}`;
}
