/**
 * HTTP request bodies. A point arrives in the seed's shape (`{"cpu_usage": 75.5, …}`) or with `host`,
 * `timestamp`, `metrics` and `labels`; a batch is `{"points": [...]}`.
 */
import { z } from "zod";
import {
  CanonicalMetrics,
  ExtraMetrics,
  HostName,
  Labels,
  type StoredPoint,
} from "../durable-objects/protocol.ts";
import { METRICS } from "../model/core/metrics.ts";
import { ApiError, type Issue } from "./errors.ts";

export const MAX_POINTS_PER_REQUEST = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;
/** Points may be at most this far ahead of the receive time (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Earliest timestamp accepted (2000-01-01); smaller epoch numbers are almost always seconds, not ms. */
const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);

const TIMESTAMP_FORMS = "must be ISO-8601 with a time zone, or epoch milliseconds";

/** ISO-8601 (with a zone) or epoch milliseconds. */
const Timestamp = z.union([
  z
    // The message for a value that is neither a number nor a string (the union then reports it).
    .number({ error: TIMESTAMP_FORMS })
    .refine(Number.isFinite, { message: "must be a finite number" })
    .pipe(
      z.number().int({ message: "must be an integer (epoch milliseconds)" }).min(MIN_TIMESTAMP_MS, {
        message: "must be epoch milliseconds from 2000-01-01 on (a smaller number is usually seconds)",
      }),
    ),
  z.iso.datetime({ offset: true, message: TIMESTAMP_FORMS }),
]);

/** One point as sent over HTTP. Unknown keys are rejected so typos (`cpu_usge`) do not vanish silently. */
export const PointBody = z
  .strictObject({
    host: HostName.optional(),
    timestamp: Timestamp.optional(),
    ...CanonicalMetrics,
    metrics: ExtraMetrics.optional(),
    labels: Labels.optional(),
  })
  .refine(
    (p) =>
      METRICS.some((m) => p[m] !== undefined && p[m] !== null) || Object.keys(p.metrics ?? {}).length > 0,
    { message: `a point needs at least one of ${METRICS.join(", ")} or a non-empty metrics object` },
  );
export type PointBody = z.infer<typeof PointBody>;

/** A batch; its length is checked before this schema runs (more than 1000 points is a 413). */
export const BatchBody = z.strictObject({
  points: z.array(PointBody).min(1, { message: "must not be empty" }),
});

export const PredictBody = z.strictObject({
  host: HostName.optional(),
  points: z.array(PointBody).min(1, { message: "must not be empty" }),
});

/**
 * Stored forms of validated points, plus an issue for each timestamp more than MAX_FUTURE_MS ahead of
 * the receive time and, when `retentionHours` is given (a route that stores), for each timestamp older
 * than the retention: the object's next hourly trim would delete such a point, and its host would be
 * listed as silent for longer than its history lasts. `pathOf(i)` names point i's timestamp field.
 */
export function toStoredPoints(
  points: readonly PointBody[],
  receivedMs: number,
  opts: { pathOf: (i: number) => string; retentionHours: number | null },
): { points: StoredPoint[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const oldestMs = opts.retentionHours === null ? -Infinity : receivedMs - opts.retentionHours * 3_600_000;
  const stored = points.map((p, i) => {
    const s = toStoredPoint(p, receivedMs);
    if (s.timestamp > receivedMs + MAX_FUTURE_MS) {
      issues.push({ path: opts.pathOf(i), message: "more than 5 minutes in the future" });
    } else if (s.timestamp < oldestMs) {
      issues.push({
        path: opts.pathOf(i),
        message: `older than the retention of ${opts.retentionHours} h (RETENTION_HOURS); it would be deleted by the next hourly trim`,
      });
    }
    return s;
  });
  return { points: stored, issues };
}

/** Turns a validated point into the stored form: epoch ms timestamp (receive time when absent). */
export function toStoredPoint(p: PointBody, receivedMs: number): StoredPoint {
  const timestamp =
    p.timestamp === undefined
      ? receivedMs
      : typeof p.timestamp === "number"
        ? p.timestamp
        : Date.parse(p.timestamp);
  const out: StoredPoint = { timestamp };
  for (const m of METRICS) {
    const v = p[m];
    if (v !== undefined && v !== null) out[m] = v;
  }
  if (p.metrics && Object.keys(p.metrics).length > 0) out.metrics = p.metrics;
  if (p.labels && Object.keys(p.labels).length > 0) out.labels = p.labels;
  return out;
}

/**
 * A body with more than MAX_POINTS_PER_REQUEST points is a 413, checked before the (costly) per-point
 * validation.
 */
export function checkPointCount(body: unknown): void {
  const n =
    typeof body === "object" && body !== null && "points" in body && Array.isArray(body.points)
      ? body.points.length
      : 0;
  if (n > MAX_POINTS_PER_REQUEST) {
    throw new ApiError(
      "payload_too_large",
      `at most ${MAX_POINTS_PER_REQUEST} points per request (got ${n})`,
      {
        issues: [{ path: "points", message: `at most ${MAX_POINTS_PER_REQUEST} points` }],
      },
    );
  }
}
