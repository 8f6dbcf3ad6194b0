/**
 * From HTTP request bodies (their schemas are in `contracts/api.ts`) to the points the objects store:
 * timestamps resolved and checked against the receive time and the retention, the point count capped.
 */
import { MAX_POINTS_PER_REQUEST, type Issue, type PointBody } from "../contracts/api.ts";
import { METRICS } from "../contracts/metrics.ts";
import type { StoredPoint } from "../contracts/points.ts";
import { isoToEpochMs, timestampIssue } from "../contracts/time.ts";
import { ApiError } from "./errors.ts";

/**
 * Stored forms of validated points, plus an issue for each timestamp outside the accepted range
 * (`timestampIssue`, contracts/time.ts, the one definition the host objects check too): from
 * 2000-01-01, at most MAX_FUTURE_MS ahead of the receive time and, when `retentionHours` is given (a
 * route that stores), not older than the retention: the object's next hourly trim would delete such a
 * point, and its host would be listed as silent for longer than its history lasts. `pathOf(i)` names
 * point i's timestamp field.
 */
export function toStoredPoints(
  points: readonly PointBody[],
  receivedMs: number,
  opts: { pathOf: (i: number) => string; retentionHours: number | null },
): { points: StoredPoint[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const stored = points.map((p, i) => {
    const s = toStoredPoint(p, receivedMs);
    const issue = timestampIssue(s.timestamp, receivedMs, opts.retentionHours);
    if (issue !== null) issues.push({ path: opts.pathOf(i), message: issue });
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
        : (isoToEpochMs(p.timestamp) ?? Number.NaN);
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
