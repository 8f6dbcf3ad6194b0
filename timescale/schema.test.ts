/**
 * The schema against a real PostgreSQL 15 from scripts/postgres, on both paths: one cluster that
 * preloads TimescaleDB (when npm test's set-up built it) holds a database migrated with the extension and
 * one migrated as plain PostgreSQL. The same inserts and the same rollup queries give the same answers
 * on both. Skipped, loudly, without PostgreSQL; the TimescaleDB path is skipped, loudly, without the build.
 */
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postgresMissing,
  startPostgres,
  timescaleInstalled,
  type RunningPostgres,
} from "../scripts/postgres/postgres.ts";
import { migrate, type SchemaPath } from "./migrate.ts";

const missing = postgresMissing();
if (missing) console.warn(`\n[schema.test] SKIPPED: ${missing}\n`);
const timescale = missing === null && timescaleInstalled();
if (missing === null && !timescale) {
  console.warn(
    "\n[schema.test] TimescaleDB is not installed: the TimescaleDB path is SKIPPED, the plain path runs\n",
  );
}

const T0 = Date.parse("2026-11-24T06:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString();

/** What the connector will write for one metrics point (the envelope's tenant, the payload's point). */
async function insertPoint(
  sql: Sql,
  tenant: string,
  host: string,
  ms: number,
  v: Record<string, number | null>,
) {
  return sql`
    INSERT INTO metric_points (time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate, metrics, labels)
    VALUES (${iso(ms)}, ${tenant}, ${host}, ${v.cpu_usage ?? null}, ${v.memory_usage ?? null},
            ${v.network_latency ?? null}, ${v.error_rate ?? null}, ${sql.json({ disk_usage: 71.2 })},
            ${sql.json({ region: "eu-west" })})
    ON CONFLICT DO NOTHING`;
}

async function insertPrediction(
  sql: Sql,
  host: string,
  ms: number,
  risk: Record<string, number>,
  level: "ok" | "warning" | "critical",
) {
  return sql`
    INSERT INTO predictions (time, tenant, host, risk, level, level_since, downtime_within_minutes,
                             time_to_breach, anomaly, contributors, model_version, steps_seen)
    VALUES (${iso(ms)}, 't1', ${host}, ${sql.json(risk)}, ${level}, ${level === "ok" ? null : iso(T0)},
            ${level === "ok" ? null : 30}, ${sql.json({ memory_usage: 0 })}, ${sql.json({ cpu_usage: 0.2 })},
            ${sql.json([{ metric: "memory_usage", risk_delta: 0.8 }])}, 'lstm-test', 120)
    ON CONFLICT DO NOTHING`;
}

/** The connector's forward-only upsert of a host's newest prediction into host_latest. */
async function upsertLatestPrediction(
  sql: Sql,
  host: string,
  ms: number,
  risk: Record<string, number>,
  level: string,
) {
  return sql`
    INSERT INTO host_latest (tenant, host, prediction_time, risk, level, level_since, model_version, steps_seen)
    VALUES ('t1', ${host}, ${iso(ms)}, ${sql.json(risk)}, ${level}, ${iso(T0)}, 'lstm-test', 120)
    ON CONFLICT (tenant, host) DO UPDATE SET
      prediction_time = excluded.prediction_time, risk = excluded.risk, level = excluded.level,
      level_since = excluded.level_since, model_version = excluded.model_version,
      steps_seen = excluded.steps_seen, updated_at = now()
    WHERE host_latest.prediction_time IS NULL OR excluded.prediction_time > host_latest.prediction_time`;
}

const PATHS: { path: SchemaPath; run: boolean }[] = [
  { path: "timescaledb", run: timescale },
  { path: "postgres", run: missing === null },
];

describe.skipIf(missing !== null)("the schema on a real PostgreSQL", () => {
  let pg: RunningPostgres;
  const clients: Sql[] = [];
  beforeAll(async () => {
    pg = await startPostgres({ timescale: "auto" });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end({ timeout: 5 });
    await pg?.stop();
  }, 60_000);

  describe.each(PATHS)("path $path", ({ path, run }) => {
    let sql: Sql;
    beforeAll(async () => {
      if (!run) return;
      const url = await pg.createDatabase(`schema_${path}`);
      sql = postgres(url, { max: 4, onnotice: () => undefined });
      clients.push(sql);
    });

    it.skipIf(!run)("migrations build the tables (hypertables and policies with TimescaleDB)", async () => {
      // The plain path is forced here: this cluster preloads TimescaleDB, and a database without the
      // extension lives in it just as well (what a user's server without the extension gives).
      const r = await migrate(sql, { path });
      expect(r.path).toBe(path);
      expect(r.applied.map((m) => m.version)).toEqual([1, 2, 3]);
      expect((await migrate(sql)).applied).toEqual([]);

      const tables = await sql`SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name IN ('metric_points', 'predictions', 'alerts', 'host_latest')
        ORDER BY 1`;
      expect(tables.map((t) => t.table_name)).toEqual([
        "alerts",
        "host_latest",
        "metric_points",
        "predictions",
      ]);
      const [ext] = await sql`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`;
      expect(ext?.n).toBe(path === "timescaledb" ? 1 : 0);
      if (path === "timescaledb") {
        const hts = await sql`SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1`;
        expect(hts.map((h) => h.hypertable_name)).toEqual(["alerts", "metric_points", "predictions"]);
        const caggs =
          await sql`SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1`;
        expect(caggs).toEqual([
          { view_name: "metric_points_1h", materialized_only: false },
          { view_name: "metric_points_1m", materialized_only: false },
          { view_name: "predictions_1h", materialized_only: false },
          { view_name: "predictions_1m", materialized_only: false },
        ]);
        const jobs = await sql`SELECT proc_name, count(*)::int AS n FROM timescaledb_information.jobs
          WHERE hypertable_name IS NOT NULL GROUP BY 1 ORDER BY 1`;
        expect(jobs).toEqual([
          { proc_name: "policy_compression", n: 2 },
          { proc_name: "policy_refresh_continuous_aggregate", n: 4 },
          { proc_name: "policy_retention", n: 3 },
        ]);
      } else {
        const views =
          await sql`SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1`;
        expect(views.map((v) => v.table_name)).toEqual([
          "metric_points_1h",
          "metric_points_1m",
          "predictions_1h",
          "predictions_1m",
        ]);
      }
    });

    it.skipIf(!run)("a replayed event is a no-op: the same insert twice gives one row", async () => {
      const point = { cpu_usage: 45.2, memory_usage: 94.9, network_latency: 267, error_rate: 0.0326 };
      expect((await insertPoint(sql, "t1", "replay", T0, point)).count).toBe(1);
      expect((await insertPoint(sql, "t1", "replay", T0, point)).count).toBe(0);
      // The same host and time in another tenant is another point.
      expect((await insertPoint(sql, "t2", "replay", T0, point)).count).toBe(1);
      const risk = { "5m": 0.05, "15m": 0.48, "30m": 0.94 };
      expect((await insertPrediction(sql, "replay", T0, risk, "warning")).count).toBe(1);
      expect((await insertPrediction(sql, "replay", T0, risk, "warning")).count).toBe(0);
      for (let i = 0; i < 2; i++) {
        await sql`INSERT INTO alerts (time, tenant, host, from_level, to_level, risk)
          VALUES (${iso(T0)}, 't1', 'replay', 'ok', 'warning', ${sql.json(risk)}),
                 (${iso(T0)}, 't1', 'replay', 'warning', 'critical', ${sql.json(risk)})
          ON CONFLICT DO NOTHING`;
      }
      const [n] = await sql`SELECT
        (SELECT count(*)::int FROM metric_points WHERE host = 'replay') AS points,
        (SELECT count(*)::int FROM predictions WHERE host = 'replay') AS predictions,
        (SELECT count(*)::int FROM alerts WHERE host = 'replay') AS alerts`;
      expect(n).toEqual({ points: 2, predictions: 1, alerts: 2 });

      const [p] = await sql`SELECT risk, risk_5m, risk_15m, risk_30m, risk_60m, metrics, labels
        FROM predictions JOIN metric_points USING (tenant, host, time) WHERE host = 'replay'`;
      expect(p).toEqual({
        risk,
        risk_5m: 0.05,
        risk_15m: 0.48,
        risk_30m: 0.94,
        risk_60m: null,
        metrics: { disk_usage: 71.2 },
        labels: { region: "eu-west" },
      });
    });

    it.skipIf(!run)("host_latest only moves forward in time; hosts at a level, riskiest first", async () => {
      await upsertLatestPrediction(sql, "web-1", T0 + 120_000, { "30m": 0.7 }, "warning");
      await upsertLatestPrediction(sql, "web-1", T0 + 60_000, { "30m": 0.1 }, "ok"); // late: ignored
      await upsertLatestPrediction(sql, "web-2", T0, { "30m": 0.2 }, "ok");
      await upsertLatestPrediction(sql, "web-2", T0 + 60_000, { "30m": 0.9 }, "warning"); // newer: taken
      await upsertLatestPrediction(sql, "web-3", T0, { "30m": 0.99 }, "critical");
      const warning = await sql`SELECT host, risk_30m, prediction_time FROM host_latest
        WHERE tenant = 't1' AND level = 'warning' ORDER BY risk_30m DESC NULLS LAST`;
      expect(warning).toEqual([
        { host: "web-2", risk_30m: 0.9, prediction_time: new Date(T0 + 60_000) },
        { host: "web-1", risk_30m: 0.7, prediction_time: new Date(T0 + 120_000) },
      ]);
    });

    it.skipIf(!run)("the 1-minute and 1-hour rollups answer the same queries on both paths", async () => {
      // Host "roll": points every 20 s over 06:00–06:02 and one at 07:30; predictions every 30 s.
      for (let s = 0; s < 120; s += 20) {
        await insertPoint(sql, "t1", "roll", T0 + s * 1000, {
          cpu_usage: 10 + s,
          memory_usage: 50,
          network_latency: s === 40 ? null : 100 + s,
          error_rate: 0.01,
        });
      }
      await insertPoint(sql, "t1", "roll", T0 + 90 * 60_000, { cpu_usage: 99 });
      const risks = [0.1, 0.3, 0.2, 0.6];
      for (const [i, r] of risks.entries()) {
        await insertPrediction(
          sql,
          "roll",
          T0 + i * 30_000,
          { "5m": r / 10, "15m": r / 2, "30m": r },
          i === 3 ? "warning" : "ok",
        );
      }
      if (path === "timescaledb") {
        for (const view of ["metric_points_1m", "metric_points_1h", "predictions_1m", "predictions_1h"]) {
          await sql`CALL refresh_continuous_aggregate(${view}, NULL, NULL)`;
        }
        // The refresh materialised the rows (not only real-time aggregation answering at query time).
        await sql`ALTER MATERIALIZED VIEW metric_points_1m SET (timescaledb.materialized_only = true)`;
        const [materialised] = await sql`SELECT count(*)::int AS n FROM metric_points_1m WHERE host = 'roll'`;
        await sql`ALTER MATERIALIZED VIEW metric_points_1m SET (timescaledb.materialized_only = false)`;
        expect(materialised?.n).toBe(3);
      }

      const minutes = await sql`SELECT bucket, points, cpu_usage_avg, cpu_usage_max, network_latency_avg,
          network_latency_max, memory_usage_max, error_rate_avg
        FROM metric_points_1m WHERE tenant = 't1' AND host = 'roll' ORDER BY bucket`;
      expect(minutes).toEqual([
        {
          bucket: new Date(T0),
          points: "3",
          cpu_usage_avg: 30,
          cpu_usage_max: 50,
          network_latency_avg: 110,
          network_latency_max: 120,
          memory_usage_max: 50,
          error_rate_avg: 0.01,
        },
        {
          bucket: new Date(T0 + 60_000),
          points: "3",
          cpu_usage_avg: 90,
          cpu_usage_max: 110,
          network_latency_avg: 180,
          network_latency_max: 200,
          memory_usage_max: 50,
          error_rate_avg: 0.01,
        },
        {
          bucket: new Date(T0 + 90 * 60_000),
          points: "1",
          cpu_usage_avg: 99,
          cpu_usage_max: 99,
          network_latency_avg: null,
          network_latency_max: null,
          memory_usage_max: null,
          error_rate_avg: null,
        },
      ]);
      const hours = await sql`SELECT bucket, points, cpu_usage_max
        FROM metric_points_1h WHERE tenant = 't1' AND host = 'roll' ORDER BY bucket`;
      expect(hours).toEqual([
        { bucket: new Date(T0), points: "6", cpu_usage_max: 110 },
        { bucket: new Date(T0 + 3_600_000), points: "1", cpu_usage_max: 99 },
      ]);
      const risk = await sql`SELECT bucket, predictions, risk_30m_max, risk_30m_avg, risk_60m_max, level_max
        FROM predictions_1m WHERE tenant = 't1' AND host = 'roll' ORDER BY bucket`;
      expect(risk).toEqual([
        {
          bucket: new Date(T0),
          predictions: "2",
          risk_30m_max: 0.3,
          risk_30m_avg: 0.2,
          risk_60m_max: null,
          level_max: 0,
        },
        {
          bucket: new Date(T0 + 60_000),
          predictions: "2",
          risk_30m_max: 0.6,
          risk_30m_avg: 0.4,
          risk_60m_max: null,
          level_max: 1,
        },
      ]);
      const [h] = await sql`SELECT predictions, risk_30m_max, level_max FROM predictions_1h
        WHERE tenant = 't1' AND host = 'roll'`;
      expect(h).toEqual({ predictions: "4", risk_30m_max: 0.6, level_max: 1 });
    });

    // Compression exists on the TimescaleDB path only.
    if (path !== "timescaledb") return;
    it.skipIf(!run)("a replay into a compressed chunk is still a no-op", async () => {
      await insertPoint(sql, "t1", "old", T0 - 30 * 86_400_000, { cpu_usage: 1 });
      const chunks =
        await sql`SELECT show_chunks('metric_points', older_than => ${iso(T0 - 20 * 86_400_000)}::timestamptz) AS c`;
      expect(chunks.length).toBe(1);
      await sql`SELECT compress_chunk(${chunks[0]?.c as string}::regclass)`;
      const [c] = await sql`SELECT is_compressed FROM timescaledb_information.chunks
        WHERE hypertable_name = 'metric_points' AND range_end <= ${iso(T0 - 20 * 86_400_000)}::timestamptz`;
      expect(c?.is_compressed).toBe(true);
      expect((await insertPoint(sql, "t1", "old", T0 - 30 * 86_400_000, { cpu_usage: 1 })).count).toBe(0);
      const rows = await sql`SELECT cpu_usage FROM metric_points WHERE host = 'old'`;
      expect(rows).toEqual([{ cpu_usage: 1 }]);
    });
  });
});
