/**
 * Events → database rows, pure (no I/O): one `metric_points` row per point, one `predictions` row per
 * prediction, one `alerts` row per transition, and per host the newest point and prediction of the
 * batch for `host_latest`. Every row carries its natural key (tenant, host, time[, to_level]); a
 * replayed event maps to the same rows, which the database then ignores (`ON CONFLICT DO NOTHING`).
 */
import type { Event } from "../../contracts/events.ts";
import { PredictionSchema, type Prediction } from "../../contracts/prediction.ts";

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
  const latestOf = (tenant: string, host: string) => {
    const k = `${tenant}/${host}`;
    let l = out.latest.get(k);
    if (!l) out.latest.set(k, (l = { tenant, host, point: null, prediction: null }));
    return l;
  };
  for (const e of events) {
    const { tenant } = e;
    switch (e.topic) {
      case "metrics": {
        const host = e.payload.host;
        const l = latestOf(tenant, host);
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
        const l = latestOf(tenant, p.host);
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

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

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
  return `${prefix}${pad2(hour)}:${pad2(min)}:${pad2(sec)}.${pad3(milli)}Z`;
}

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** The contracts' datetime pattern: a real calendar date and time of day. */
const DATETIME = PredictionSchema.shape.as_of.def.pattern ?? /(?!)/;

/** The canonical form of an ISO-8601 time with an offset: `new Date(Date.parse(s)).toISOString()`. */
export function normalIso(s: string): string {
  // Already canonical (a valid UTC date and time with milliseconds): the round trip returns it unchanged.
  if (s.length === 24 && CANONICAL.test(s) && DATETIME.test(s)) return s;
  return new Date(Date.parse(s)).toISOString();
}
