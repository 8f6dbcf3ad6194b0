/**
 * Events → database rows, pure (no I/O): one `metric_points` row per point, one `predictions` row per
 * prediction, one `alerts` row per transition, and per host the newest point and prediction of the
 * batch for `host_latest`. Every row carries its natural key (tenant, host, time[, to_level]); a
 * replayed event maps to the same rows, which the database then ignores (`ON CONFLICT DO NOTHING`).
 */
import type { Event } from "../../contracts/events.ts";
import type { Prediction } from "../../contracts/prediction.ts";

/** Times are ISO-8601 strings (what `jsonb_to_recordset` turns into `timestamptz`). */
export interface PointRow {
  time: string;
  tenant: string;
  host: string;
  cpu_usage: number | null;
  memory_usage: number | null;
  network_latency: number | null;
  error_rate: number | null;
  metrics: Record<string, number>;
  labels: Record<string, string>;
}

export interface PredictionRow {
  time: string;
  tenant: string;
  host: string;
  risk: Record<string, number>;
  level: Prediction["level"];
  level_since: string | null;
  downtime_within_minutes: number | null;
  time_to_breach: Prediction["time_to_breach"];
  anomaly: Prediction["anomaly"];
  contributors: Prediction["contributors"];
  model_version: string;
  steps_seen: number;
}

export interface AlertRow {
  time: string;
  tenant: string;
  host: string;
  from_level: string;
  to_level: string;
  risk: Record<string, number>;
}

export interface BatchRows {
  points: PointRow[];
  predictions: PredictionRow[];
  alerts: AlertRow[];
  /** Per `<tenant>/<host>`: the newest point and the newest prediction in this batch. */
  latest: Map<
    string,
    { tenant: string; host: string; point: PointRow | null; prediction: PredictionRow | null }
  >;
}

export type TenantEvent = Event & { tenant: string };

export function toRows(events: readonly TenantEvent[]): BatchRows {
  const out: BatchRows = { points: [], predictions: [], alerts: [], latest: new Map() };
  // Keyed by the event's `<tenant>/<host>` key (parseEvent checked it names this tenant and host).
  const latestOf = (k: string, tenant: string, host: string) => {
    let l = out.latest.get(k);
    if (!l) out.latest.set(k, (l = { tenant, host, point: null, prediction: null }));
    return l;
  };
  for (const e of events) {
    const { tenant } = e;
    switch (e.topic) {
      case "metrics": {
        const host = e.payload.host;
        const l = latestOf(e.key, tenant, host);
        for (const p of e.payload.points) {
          const row: PointRow = {
            time: isoOfMs(p.timestamp),
            tenant,
            host,
            cpu_usage: p.cpu_usage ?? null,
            memory_usage: p.memory_usage ?? null,
            network_latency: p.network_latency ?? null,
            error_rate: p.error_rate ?? null,
            metrics: p.metrics ?? {},
            labels: p.labels ?? {},
          };
          out.points.push(row);
          if (!l.point || row.time > l.point.time) l.point = row;
        }
        break;
      }
      case "predictions": {
        const p = e.payload;
        const row: PredictionRow = {
          time: normalIso(p.as_of),
          tenant,
          host: p.host,
          risk: p.risk,
          level: p.level,
          level_since: p.level_since,
          downtime_within_minutes: p.downtime_within_minutes,
          time_to_breach: p.time_to_breach,
          anomaly: p.anomaly,
          contributors: p.contributors,
          model_version: p.model_version,
          steps_seen: p.steps_seen,
        };
        out.predictions.push(row);
        const l = latestOf(e.key, tenant, p.host);
        if (!l.prediction || row.time >= l.prediction.time) l.prediction = row;
        break;
      }
      case "alerts": {
        const a = e.payload;
        out.alerts.push({
          time: normalIso(a.at),
          tenant,
          host: a.host,
          from_level: a.from,
          to_level: a.to,
          risk: a.risk,
        });
        break;
      }
    }
  }
  return out;
}

/** Rows a batch adds per table (before the database drops replays). */
export function rowCounts(r: BatchRows): { metric_points: number; predictions: number; alerts: number } {
  return { metric_points: r.points.length, predictions: r.predictions.length, alerts: r.alerts.length };
}

/** Largest epoch ms a Date holds (±100 000 000 days); beyond it toISOString throws. */
const MAX_DATE_MS = 8.64e15;
const DAY_MS = 86_400_000;
/** "YYYY-MM-DDT" per day number: toISOString costs ~0.7 µs, and a batch's points share a few days. */
const dayPrefixes = new Map<number, string>();

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `new Date(ms).toISOString()`, the same string (rows.test.ts checks), faster for ms ≥ 0. */
export function isoOfMs(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= 0 && ms <= MAX_DATE_MS)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(day * DAY_MS).toISOString();
    prefix = iso.slice(0, iso.indexOf("T") + 1);
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;
  return `${prefix}${PAD2[hour]}:${PAD2[min]}:${PAD2[sec]}.${PAD3[milli]}Z`;
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` with a real calendar date and time of day (years 0000–9999). */
function isCanonical(s: string): boolean {
  if (s.length !== 24 || s[4] !== "-" || s[7] !== "-" || s[10] !== "T" || s[13] !== ":") return false;
  if (s[16] !== ":" || s[19] !== "." || s[23] !== "Z") return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59 && digits(s, 20, 3) >= 0;
}

/** The decimal number of s[at, at+n), or -1 when one of them is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The canonical form of an ISO-8601 time with an offset: `new Date(Date.parse(s)).toISOString()`. */
export function normalIso(s: string): string {
  // Already canonical (a valid UTC date and time with milliseconds): the round trip returns it unchanged.
  if (isCanonical(s)) return s;
  return new Date(Date.parse(s)).toISOString();
}
