/**
 * What the edge answers about a host: alert levels and the prediction (the body of
 * `GET /hosts/:host/prediction`, the `predictions` event payload, part of `POST /metrics` answers).
 */
import { z } from "zod";
import { MetricNameSchema } from "./metrics.ts";

/** Alert levels, least severe first. */
export const LEVELS = ["ok", "warning", "critical"] as const;
export type Level = (typeof LEVELS)[number];
export const LevelSchema = z.enum(LEVELS);

/** Ranking order of alert levels: ok 0, warning 1, critical 2. */
export function severity(level: Level): number {
  return LEVELS.indexOf(level);
}

export const ContributorSchema = z.object({
  metric: MetricNameSchema,
  /**
   * How much the warning-horizon probability drops (fraction 0..1) when this metric is replayed at the
   * host's own normal level over the recent window (30–60 steps) — what the model attributes to it.
   * Null when the risk is too low to be worth attributing; the ranking then follows `anomaly`.
   */
  risk_delta: z.number().nullable(),
  value: z.number().nullable(),
  /** Deviation from the host's own normal, in standard deviations. */
  z: z.number().nullable(),
  anomaly: z.number(),
});
export type Contributor = z.infer<typeof ContributorSchema>;

export const PredictionSchema = z.object({
  host: z.string(),
  /** Timestamp of the newest point the prediction includes, ISO-8601. */
  as_of: z.iso.datetime({ offset: true }),
  /** Calibrated probability (0..1) that a downtime starts within each horizon, keyed "5m", "15m", … */
  risk: z.record(z.string(), z.number()),
  level: LevelSchema,
  /** When the current level was entered, ISO-8601 (null while ok since the host was first seen). */
  level_since: z.iso.datetime({ offset: true }).nullable(),
  /** Earliest horizon (minutes) whose risk is at least 0.5 — "down within N minutes" — or null. */
  downtime_within_minutes: z.number().nullable(),
  /** Seconds until each metric reaches its breach level on its recent trend; only metrics with one. */
  time_to_breach: z.partialRecord(MetricNameSchema, z.number()),
  /** Anomaly score per metric, fraction 0..1 (tail probability of recent forecast errors). */
  anomaly: z.record(MetricNameSchema, z.number()),
  /** Metrics ranked by how much they drive the risk (top 3 with a positive delta or anomaly). */
  contributors: z.array(ContributorSchema),
  model_version: z.string(),
  /** Steps this host has been scored on; predictions for the first hours are less reliable. */
  steps_seen: z.number(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

/** One alert level transition as the host's object recorded it (a committed step; `at` = the step's end). */
export const AlertTransitionSchema = z.object({
  host: z.string(),
  from: LevelSchema,
  to: LevelSchema,
  /** ISO-8601. */
  at: z.iso.datetime({ offset: true }),
  risk: z.record(z.string(), z.number()),
});
export type AlertTransition = z.infer<typeof AlertTransitionSchema>;
