/**
 * A generated fleet for `npm run bench:exporter`, written with `INSERT … SELECT generate_series` (the
 * database generates the rows; nothing crosses the wire). Deterministic: the "random" numbers are a
 * multiplicative hash of the host index. Relative to `nowMs`, in 10 tenants:
 *
 * - `host_latest`: every host; 30-minute risk u^20 for u uniform in [0, 1) (≈3.4 % at or above 0.5,
 *   ≈1.1 % at or above 0.8 → warning / critical), time to breach for those; newest point 0–59 s ago
 *   (every 200th host 20 min ago: silent), updated 0.5–2 s after it;
 * - `metric_points` and `predictions`: one per host per minute over the last 10 minutes;
 * - the warned hosts (every 100th): 24 hours of points (one a minute), one transition ok → warning at
 *   a time spread over the day; every 200th host also turns critical 10 minutes later, every 300th
 *   goes quiet for 15 minutes after its warning.
 */
import type { Sql } from "postgres";

export const TENANTS = 10;

export interface FleetCounts {
  hosts: number;
  metricPoints: number;
  predictions: number;
  alerts: number;
}

export async function generateFleet(sql: Sql, hosts: number, nowMs: number): Promise<FleetCounts> {
  const now = new Date(nowMs);
  await sql`
    INSERT INTO host_latest (tenant, host, point_time, cpu_usage, memory_usage, network_latency, error_rate,
      metrics, labels, prediction_time, risk, level, time_to_breach, anomaly, model_version, steps_seen, updated_at)
    SELECT 'tenant-' || (i % ${TENANTS}), 'host-' || i, pt, 40, 60, 80, 0.01, '{}', '{"region":"eu"}',
      pt, jsonb_build_object('5m', r * 0.3, '15m', r * 0.6, '30m', r),
      CASE WHEN r >= 0.8 THEN 'critical' WHEN r >= 0.5 THEN 'warning' ELSE 'ok' END,
      CASE WHEN r >= 0.5 THEN jsonb_build_object('memory_usage', 600 + i % 3000, 'error_rate', 1200) ELSE '{}' END,
      '{"cpu_usage": 0.1}', 'lstm-v3', 1000, pt + INTERVAL '0.5 s' * (1 + i % 4)
    FROM (
      SELECT i, power(((i::bigint * 7919) % 10007) / 10007.0, 20)::float8 AS r,
        ${now}::timestamptz - CASE WHEN i % 200 = 0 THEN INTERVAL '20 minutes' ELSE INTERVAL '1 second' * (i % 60) END AS pt
      FROM generate_series(1, ${hosts}::int) i
    ) s`;
  // The last 10 minutes for every host; 24 hours for the warned ones, with the quiet stretch.
  await sql`
    INSERT INTO metric_points (time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate)
    SELECT date_trunc('minute', ${now}::timestamptz) - INTERVAL '1 minute' * m + INTERVAL '1 second' * (i % 60),
      'tenant-' || (i % ${TENANTS}), 'host-' || i, 40, 60, 80, 0.01
    FROM generate_series(1, ${hosts}::int) i, generate_series(1, 10) m`;
  await sql`
    INSERT INTO metric_points (time, tenant, host, cpu_usage, memory_usage, network_latency, error_rate)
    SELECT date_trunc('minute', ${now}::timestamptz) - INTERVAL '1 minute' * m + INTERVAL '1 second' * (i % 60),
      'tenant-' || (i % ${TENANTS}), 'host-' || i, 40, 60, 80, 0.01
    FROM generate_series(100, ${hosts}::int, 100) i, generate_series(11, 1440) m
    WHERE NOT (i % 300 = 0 AND m BETWEEN ((i * 13) % 1380 + 30) - 20 AND ((i * 13) % 1380 + 30) - 5)`;
  await sql`
    INSERT INTO predictions (time, tenant, host, risk, level, model_version, steps_seen)
    SELECT date_trunc('minute', ${now}::timestamptz) - INTERVAL '1 minute' * m + INTERVAL '1 second' * (i % 60),
      'tenant-' || (i % ${TENANTS}), 'host-' || i, '{"5m": 0.01, "15m": 0.02, "30m": 0.03}', 'ok', 'lstm-v3', 1000
    FROM generate_series(1, ${hosts}::int) i, generate_series(1, 10) m`;
  await sql`
    INSERT INTO alerts (time, tenant, host, from_level, to_level, risk)
    SELECT date_trunc('minute', ${now}::timestamptz) - INTERVAL '1 minute' * ((i * 13) % 1380 + 30),
      'tenant-' || (i % ${TENANTS}), 'host-' || i, 'ok', 'warning', '{"30m": 0.7}'
    FROM generate_series(100, ${hosts}::int, 100) i`;
  await sql`
    INSERT INTO alerts (time, tenant, host, from_level, to_level, risk)
    SELECT date_trunc('minute', ${now}::timestamptz) - INTERVAL '1 minute' * ((i * 13) % 1380 + 20),
      'tenant-' || (i % ${TENANTS}), 'host-' || i, 'warning', 'critical', '{"30m": 0.9}'
    FROM generate_series(200, ${hosts}::int, 200) i`;
  const [c] = await sql<FleetCounts[]>`SELECT
    (SELECT count(*)::int FROM host_latest) AS hosts,
    (SELECT count(*)::int FROM metric_points) AS "metricPoints",
    (SELECT count(*)::int FROM predictions) AS predictions,
    (SELECT count(*)::int FROM alerts) AS alerts`;
  if (c === undefined) throw new Error("counting the generated rows returned nothing");
  return c;
}

/**
 * The state the refresh policies keep on TimescaleDB: the 1-minute aggregates materialised up to a
 * minute ago (their policy's end offset), so a scrape reads materialised buckets plus the newest minute
 * in real time. Must run outside a transaction.
 */
export async function refreshRollups(sql: Sql, nowMs: number): Promise<void> {
  const end = new Date(Math.floor(nowMs / 60_000) * 60_000 - 60_000);
  for (const view of ["metric_points_1m", "predictions_1m"]) {
    // The policy's own job may be refreshing the same view right now: wait for it and try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await sql`CALL refresh_continuous_aggregate(${view}::regclass, NULL, ${end}::timestamptz)`;
        break;
      } catch (e) {
        if (attempt >= 20 || !/concurrent refresh/.test(e instanceof Error ? e.message : "")) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
