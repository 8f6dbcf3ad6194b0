/**
 * Writes one batch of rows in one transaction. Each table gets one statement whatever the batch size:
 * the rows travel as one JSON parameter that `jsonb_to_recordset` unpacks (no 65 535-parameter limit,
 * one round trip per table), and `ON CONFLICT DO NOTHING` on the natural keys makes a replayed event a
 * no-op. `host_latest` only moves forward in time, so a replay of an older batch cannot set it back.
 */
import type { Sql, TransactionSql } from "postgres";
import type { BatchRows } from "./rows.ts";

export interface WriteResult {
  /** Rows inserted per table (replays and duplicates excluded). */
  inserted: { metric_points: number; predictions: number; alerts: number };
  /** host_latest rows inserted or moved forward. */
  latest: number;
}

export async function writeBatch(sql: Sql, rows: BatchRows): Promise<WriteResult> {
  return sql.begin(async (tx) => {
    const inserted = {
      metric_points: await insertPoints(tx, rows),
      predictions: await insertPredictions(tx, rows),
      alerts: await insertAlerts(tx, rows),
    };
    const latest = await upsertLatest(tx, rows);
    return { inserted, latest };
  });
}

async function insertPoints(tx: TransactionSql, rows: BatchRows): Promise<number> {
  if (rows.points.length === 0) return 0;
  const r = await tx`
    INSERT INTO metric_points (time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate, metrics, labels)
    SELECT time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate, metrics, labels
    FROM jsonb_to_recordset(${tx.json(rows.points as never)}::jsonb) AS x(
      time timestamptz, tenant text, host text, cpu_usage double precision, memory_usage double precision,
      network_latency double precision, error_rate double precision, metrics jsonb, labels jsonb)
    ON CONFLICT DO NOTHING`;
  return r.count;
}

async function insertPredictions(tx: TransactionSql, rows: BatchRows): Promise<number> {
  if (rows.predictions.length === 0) return 0;
  const r = await tx`
    INSERT INTO predictions (time, tenant, host, risk, level, level_since, downtime_within_minutes,
      time_to_breach, anomaly, contributors, model_version, steps_seen)
    SELECT time, tenant, host, risk, level, level_since, downtime_within_minutes,
      time_to_breach, anomaly, contributors, model_version, steps_seen
    FROM jsonb_to_recordset(${tx.json(rows.predictions as never)}::jsonb) AS x(
      time timestamptz, tenant text, host text, risk jsonb, level text, level_since timestamptz,
      downtime_within_minutes double precision, time_to_breach jsonb, anomaly jsonb, contributors jsonb,
      model_version text, steps_seen integer)
    ON CONFLICT DO NOTHING`;
  return r.count;
}

async function insertAlerts(tx: TransactionSql, rows: BatchRows): Promise<number> {
  if (rows.alerts.length === 0) return 0;
  const r = await tx`
    INSERT INTO alerts (time, tenant, host, from_level, to_level, risk)
    SELECT time, tenant, host, from_level, to_level, risk
    FROM jsonb_to_recordset(${tx.json(rows.alerts as never)}::jsonb) AS x(
      time timestamptz, tenant text, host text, from_level text, to_level text, risk jsonb)
    ON CONFLICT DO NOTHING`;
  return r.count;
}

/** host_latest: the newest point and the newest prediction per host, each only when newer than stored. */
async function upsertLatest(tx: TransactionSql, rows: BatchRows): Promise<number> {
  let n = 0;
  const points = [...rows.latest.values()].flatMap((l) => (l.point ? [l.point] : []));
  const preds = [...rows.latest.values()].flatMap((l) => (l.prediction ? [l.prediction] : []));
  if (points.length > 0) n += await upsertLatestPoints(tx, points);
  if (preds.length > 0) n += await upsertLatestPredictions(tx, preds);
  return n;
}

async function upsertLatestPoints(tx: TransactionSql, points: BatchRows["points"]): Promise<number> {
  const r = await tx`
    INSERT INTO host_latest AS h (tenant, host, point_time, cpu_usage, memory_usage, network_latency, error_rate,
      metrics, labels, updated_at)
    SELECT tenant, host, time, cpu_usage, memory_usage, network_latency, error_rate, metrics, labels, now()
    FROM jsonb_to_recordset(${tx.json(points as never)}::jsonb) AS x(
      time timestamptz, tenant text, host text, cpu_usage double precision, memory_usage double precision,
      network_latency double precision, error_rate double precision, metrics jsonb, labels jsonb)
    ON CONFLICT (tenant, host) DO UPDATE SET
      point_time = excluded.point_time, cpu_usage = excluded.cpu_usage, memory_usage = excluded.memory_usage,
      network_latency = excluded.network_latency, error_rate = excluded.error_rate, metrics = excluded.metrics,
      labels = excluded.labels, updated_at = now()
    WHERE h.point_time IS NULL OR excluded.point_time > h.point_time`;
  return r.count;
}

async function upsertLatestPredictions(tx: TransactionSql, preds: BatchRows["predictions"]): Promise<number> {
  const r = await tx`
    INSERT INTO host_latest AS h (tenant, host, prediction_time, risk, level, level_since,
      downtime_within_minutes, time_to_breach, anomaly, model_version, steps_seen, updated_at)
    SELECT tenant, host, time, risk, level, level_since, downtime_within_minutes, time_to_breach, anomaly,
      model_version, steps_seen, now()
    FROM jsonb_to_recordset(${tx.json(preds as never)}::jsonb) AS x(
      time timestamptz, tenant text, host text, risk jsonb, level text, level_since timestamptz,
      downtime_within_minutes double precision, time_to_breach jsonb, anomaly jsonb, model_version text,
      steps_seen integer)
    ON CONFLICT (tenant, host) DO UPDATE SET
      prediction_time = excluded.prediction_time, risk = excluded.risk, level = excluded.level,
      level_since = excluded.level_since, downtime_within_minutes = excluded.downtime_within_minutes,
      time_to_breach = excluded.time_to_breach, anomaly = excluded.anomaly, model_version = excluded.model_version,
      steps_seen = excluded.steps_seen, updated_at = now()
    WHERE h.prediction_time IS NULL OR excluded.prediction_time > h.prediction_time`;
  return r.count;
}
