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
            time: new Date(p.timestamp).toISOString(),
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
          time: new Date(Date.parse(p.as_of)).toISOString(),
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
          time: new Date(Date.parse(a.at)).toISOString(),
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
