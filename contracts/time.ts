/**
 * The accepted range of a point's timestamp, defined once for every side: the Worker checks a request
 * against it (with the receive time and the retention), a host object checks what it is handed against
 * its receive-time-free part (integer epoch ms from 2000-01-01 to the end of the Date range), so
 * anything the Worker accepts, the object accepts too. ISO-8601 strings are turned into epoch ms here,
 * exactly (any number of fraction digits, truncated to the millisecond), not with `Date.parse`, whose
 * reading of long fractions is engine-specific (V8 reads `.0909999999999999999999` as 909 ms).
 */
import { z } from "zod";

/** Earliest timestamp accepted (2000-01-01); smaller epoch numbers are almost always seconds, not ms. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/** Latest instant a JS Date can hold (+275760-09-13): beyond it, `new Date(ms).toISOString()` throws. */
export const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;
/** Points may be at most this far ahead of the receive time (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

/**
 * Epoch milliseconds as a host object accepts them: an integer from 2000-01-01 to the end of the Date
 * range. The receive-time part of the range (retention, clock skew) is the Worker's to check: an
 * object's clock may differ from the Worker's a little.
 */
export const EpochMs = z
  .number()
  .int()
  .min(MIN_TIMESTAMP_MS, { message: "must be epoch milliseconds from 2000-01-01 on" })
  .max(MAX_TIMESTAMP_MS, { message: "must be a date a JavaScript Date can hold" });

/** `EpochMs` checked by hand (the RPC fast path). */
export function isEpochMs(t: unknown): t is number {
  return typeof t === "number" && Number.isInteger(t) && t >= MIN_TIMESTAMP_MS && t <= MAX_TIMESTAMP_MS;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch ms of an ISO-8601 date-time with a zone (`2026-11-24T06:39:14.703Z`, `…+02:00`), the fraction
 * truncated to the millisecond; null when the text is not one (or names a day that does not exist).
 */
export function isoToEpochMs(text: string): number | null {
  const m = ISO_RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const offsetMin = m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  if (m[8] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  if (t.getUTCDate() !== d) return null; // 2026-02-30
  t.setUTCHours(h, mi, s, ms);
  return t.getTime() - offsetMin * 60_000;
}

/**
 * What is wrong with a point's timestamp (epoch ms) received at `receivedMs`, or null when it is in the
 * accepted range: from 2000-01-01 and, when `retentionHours` is given (a route that stores), from the
 * receive time minus the retention, up to MAX_FUTURE_MS after the receive time.
 */
export function timestampIssue(ms: number, receivedMs: number, retentionHours: number | null): string | null {
  if (!Number.isInteger(ms)) return "must be an integer (epoch milliseconds)";
  if (ms > receivedMs + MAX_FUTURE_MS) return "more than 5 minutes in the future";
  if (retentionHours !== null && ms < receivedMs - retentionHours * HOUR_MS) {
    return `older than the retention of ${retentionHours} h (RETENTION_HOURS); it would be deleted by the next hourly trim`;
  }
  if (ms < MIN_TIMESTAMP_MS) return "must be from 2000-01-01 on";
  return null;
}
