/**
 * Writes one batch of rows in one transaction, COPY first: the rows go straight into the event tables
 * with `COPY … FROM STDIN` (what a bulk load costs, no per-row statement work), and `host_latest`
 * gets one upsert per table with the newest point and prediction per host of the batch.
 *
 * COPY cannot skip rows that are already there, so a replayed event (a redelivery after a restart or
 * a rebalance, or a duplicate inside the batch) makes it fail with a unique violation. That
 * transaction rolls back as a whole, and the batch is written again the idempotent way: COPY into a
 * temporary table, then `INSERT … SELECT … ON CONFLICT DO NOTHING` on the natural keys — so a fully
 * or partly replayed batch inserts exactly the rows that are missing. Replays are the rare case; the
 * common one runs at COPY's speed (npm run bench:pipeline measures both designs).
 *
 * `host_latest` only moves forward in time, so a replay of an older batch cannot set it back.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Sql, TransactionSql } from "postgres";
import {
  ALERT_COLUMNS,
  alertLines,
  POINT_COLUMNS,
  pointLines,
  PREDICTION_COLUMNS,
  predictionLines,
} from "./copy.ts";
import type { BatchRows } from "./rows.ts";

export interface WriteResult {
  /** Rows inserted per table (replays and duplicates excluded). */
  inserted: { metric_points: number; predictions: number; alerts: number };
  /** host_latest rows inserted or moved forward. */
  latest: number;
  /** True when the batch held rows already written and took the idempotent path. */
  replayed: boolean;
}

type Table = "metric_points" | "predictions" | "alerts";

/** The event tables of a batch with their COPY text (tables without rows left out). */
function tablesOf(rows: BatchRows): { table: Table; columns: readonly string[]; n: number; text: string }[] {
  const out = [];
  if (rows.points.length > 0)
    out.push({
      table: "metric_points" as const,
      columns: POINT_COLUMNS,
      n: rows.points.length,
      text: pointLines(rows.points),
    });
  if (rows.predictions.length > 0)
    out.push({
      table: "predictions" as const,
      columns: PREDICTION_COLUMNS,
      n: rows.predictions.length,
      text: predictionLines(rows.predictions),
    });
  if (rows.alerts.length > 0)
    out.push({
      table: "alerts" as const,
      columns: ALERT_COLUMNS,
      n: rows.alerts.length,
      text: alertLines(rows.alerts),
    });
  return out;
}

export async function writeBatch(sql: Sql, rows: BatchRows): Promise<WriteResult> {
  const tables = tablesOf(rows);
  const inserted = { metric_points: 0, predictions: 0, alerts: 0 };
  try {
    return await sql.begin(async (tx) => {
      for (const t of tables) {
        await copyInto(tx, t.table, t.columns, t.text);
        inserted[t.table] = t.n;
      }
      return { inserted, latest: await upsertLatest(tx, rows), replayed: false };
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
  return sql.begin(async (tx) => {
    const done = { metric_points: 0, predictions: 0, alerts: 0 };
    for (const t of tables) {
      const stage = `connector_stage_${t.table}`;
      const cols = t.columns.join(", ");
      await tx.unsafe(`CREATE TEMP TABLE ${stage} (LIKE ${t.table} INCLUDING DEFAULTS) ON COMMIT DROP`);
      await copyInto(tx, stage, t.columns, t.text);
      const r = await tx.unsafe(
        `INSERT INTO ${t.table} (${cols}) SELECT ${cols} FROM ${stage} ON CONFLICT DO NOTHING`,
      );
      done[t.table] = r.count;
    }
    return { inserted: done, latest: await upsertLatest(tx, rows), replayed: true };
  });
}

const isUniqueViolation = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === "23505";

async function copyInto(
  tx: TransactionSql,
  table: string,
  columns: readonly string[],
  text: string,
): Promise<void> {
  const writable = await tx.unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`).writable();
  await pipeline(Readable.from([text]), writable);
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
