/**
 * What one scrape reads, as plain data ({@link Snapshot}). Every query reads `host_latest` (one row per
 * host), the 1-minute rollups, or a bounded time range of `alerts` — never a host's whole history:
 *
 * - fleet per tenant (hosts per level, silent hosts), the newest model versions and the freshness
 *   quantiles: one pass over `host_latest`;
 * - per-host rows for the cardinality guard: `host_latest` riskiest first (30-minute risk), as many as
 *   `max(topN, hosts at or above the floor)`, at most `maxHosts`;
 * - ingest and prediction rates: the last 5 complete minutes of `metric_points_1m` / `predictions_1m`;
 * - model quality: the window's transitions from ok (`alerts`, time index), each with the host's first
 *   critical transition within the horizon (primary key), and the silences of the warned hosts from
 *   their 1-minute point buckets in the window.
 *
 * Two schema paths, the same answers. With TimescaleDB the rollups are continuous aggregates and are
 * read as such. On plain PostgreSQL they are views that aggregate the whole table at query time, and
 * a condition on `bucket` cannot reach the index on `time` through `date_bin`; there the same buckets
 * are computed from a time range of the raw table (index range scan), which is what the view would
 * answer for that range.
 */
import type { Sql } from "postgres";
import { EXPORTED_HORIZONS } from "../contracts/exporter.ts";
import type { SchemaPath } from "../timescale/migrate.ts";
import { QualityMemo, type JudgedWarning } from "./quality.ts";

export type Level = "ok" | "warning" | "critical";
export type Horizon = (typeof EXPORTED_HORIZONS)[number];

export interface TenantFleet {
  tenant: string;
  /** Every host of the tenant in host_latest (with or without a prediction). */
  hosts: number;
  byLevel: Record<Level, number>;
  silent: number;
  /** Points / predictions stored per second over the last 5 complete minutes. */
  pointsPerSecond: number;
  predictionsPerSecond: number;
}

export interface HostRow {
  tenant: string;
  host: string;
  risk: Record<Horizon, number | null>;
  level: Level | null;
  /** metric → seconds from now (the stored value less the prediction's age, at least 0). */
  timeToBreach: Record<string, number>;
  pointMs: number | null;
}

export interface Snapshot {
  nowMs: number;
  path: SchemaPath;
  tenants: TenantFleet[];
  /** Per-host rows kept by the guard, riskiest first. */
  hosts: HostRow[];
  /** Quantile → seconds (absent when no host was updated in the last 5 minutes). */
  freshness: Map<number, number>;
  modelVersions: string[];
  /** The quality window's warnings, judged. */
  judged: JudgedWarning[];
}

export interface ReadOptions {
  riskFloor: number;
  topN: number;
  maxHosts: number;
  silenceSeconds: number;
  qualityWindowSeconds: number;
  qualityHorizonSeconds: number;
}

export const FRESHNESS_QUANTILES = [0.5, 0.9, 0.99] as const;
const RATE_WINDOW_S = 300;
const MINUTE = 60_000;

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/** The schema path recorded by the migrations, or an error naming what is missing. */
export async function schemaPath(sql: Sql): Promise<SchemaPath> {
  const [t] = await sql`SELECT to_regclass('schema_path') IS NOT NULL AS present`;
  if (!t?.present) throw new Error("the database has no schema yet (run npm run db:migrate)");
  const [row] = await sql<{ path: SchemaPath }[]>`SELECT path FROM schema_path`;
  if (!row) throw new Error("schema_path is empty (run npm run db:migrate)");
  return row.path;
}

/**
 * Runs the scrape's queries in parallel. `memo` keeps settled warning judgements between scrapes (a
 * fresh one judges every warning again). `timings`, when given, receives each part's time from the
 * start of the scrape to its answer, ms (the benchmark reports where a scrape spends its time).
 */
export async function readSnapshot(
  sql: Sql,
  path: SchemaPath,
  o: ReadOptions,
  nowMs: number,
  x: { memo?: QualityMemo; timings?: Map<string, number> } = {},
): Promise<Snapshot> {
  const timings = x.timings;
  const memo = x.memo ?? newQualityMemo(o);
  const now = new Date(nowMs);
  const t0 = performance.now();
  const timed = async <T>(name: string, p: Promise<T>): Promise<T> => {
    const r = await p;
    timings?.set(name, performance.now() - t0);
    return r;
  };
  // The longest parts first: the pool hands out connections in this order.
  const [rates, judged, hosts, fleet, freshness, versions] = await Promise.all([
    timed("rates", readRates(sql, path, nowMs)),
    timed("model quality", readWarnings(sql, path, nowMs, o, memo)),
    timed("guarded hosts", readHosts(sql, now, o)),
    timed("fleet", readFleet(sql, now, o)),
    timed("freshness", readFreshness(sql, now)),
    timed(
      "model versions",
      sql<{ model_version: string }[]>`
        SELECT DISTINCT model_version FROM host_latest
        WHERE prediction_time >= ${new Date(nowMs - 3_600_000)} AND prediction_time <= ${now}
          AND model_version IS NOT NULL
        ORDER BY 1`.execute(),
    ),
  ]);
  const tenants = fleet.map((f) => ({
    ...f,
    pointsPerSecond: (rates.get(f.tenant)?.points ?? 0) / RATE_WINDOW_S,
    predictionsPerSecond: (rates.get(f.tenant)?.predictions ?? 0) / RATE_WINDOW_S,
  }));
  return {
    nowMs,
    path,
    tenants,
    hosts,
    freshness,
    modelVersions: versions.map((v) => v.model_version),
    judged,
  };
}

async function readFleet(sql: Sql, now: Date, o: ReadOptions) {
  const silentBefore = new Date(now.getTime() - o.silenceSeconds * 1000);
  const rows = await sql<
    { tenant: string; hosts: number; ok: number; warning: number; critical: number; silent: number }[]
  >`
    SELECT tenant, count(*)::int AS hosts,
      count(*) FILTER (WHERE level = 'ok')::int AS ok,
      count(*) FILTER (WHERE level = 'warning')::int AS warning,
      count(*) FILTER (WHERE level = 'critical')::int AS critical,
      count(*) FILTER (WHERE point_time < ${silentBefore})::int AS silent
    FROM host_latest GROUP BY tenant ORDER BY tenant`;
  return rows.map((r) => ({
    tenant: r.tenant,
    hosts: r.hosts,
    byLevel: { ok: r.ok, warning: r.warning, critical: r.critical },
    silent: r.silent,
  }));
}

async function readHosts(sql: Sql, now: Date, o: ReadOptions): Promise<HostRow[]> {
  const rows = await sql<
    {
      tenant: string;
      host: string;
      risk_5m: number | null;
      risk_15m: number | null;
      risk_30m: number | null;
      level: Level | null;
      time_to_breach: Record<string, unknown> | null;
      prediction_time: Date | null;
      point_time: Date | null;
    }[]
  >`
    SELECT tenant, host, risk_5m, risk_15m, risk_30m, level, time_to_breach, prediction_time, point_time
    FROM host_latest
    ORDER BY risk_30m DESC NULLS LAST, tenant, host
    LIMIT (SELECT LEAST(${o.maxHosts}::int, GREATEST(${o.topN}::int, count(*)::int))
           FROM host_latest WHERE risk_30m >= ${o.riskFloor}::float8)`;
  return rows.map((r) => {
    const age = r.prediction_time === null ? 0 : (now.getTime() - r.prediction_time.getTime()) / 1000;
    const ttb: Record<string, number> = {};
    for (const [metric, v] of Object.entries(r.time_to_breach ?? {})) {
      if (typeof v === "number" && Number.isFinite(v)) ttb[metric] = Math.max(0, v - age);
    }
    return {
      tenant: r.tenant,
      host: r.host,
      risk: { "5m": r.risk_5m, "15m": r.risk_15m, "30m": r.risk_30m },
      level: r.level,
      timeToBreach: ttb,
      pointMs: ms(r.point_time),
    };
  });
}

async function readFreshness(sql: Sql, now: Date): Promise<Map<number, number>> {
  const since = new Date(now.getTime() - RATE_WINDOW_S * 1000);
  const [row] = await sql<{ q: number[] | null }[]>`
    SELECT percentile_cont(${`{${FRESHNESS_QUANTILES.join(",")}}`}::float8[])
      WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - point_time)::float8) AS q
    FROM host_latest
    WHERE updated_at >= ${since} AND updated_at <= ${now} AND point_time IS NOT NULL`;
  const out = new Map<number, number>();
  FRESHNESS_QUANTILES.forEach((p, i) => {
    const v = row?.q?.[i];
    if (typeof v === "number") out.set(p, v);
  });
  return out;
}

/** Points and predictions per tenant in the last 5 complete minutes. */
async function readRates(sql: Sql, path: SchemaPath, nowMs: number) {
  const to = new Date(Math.floor(nowMs / MINUTE) * MINUTE);
  const from = new Date(to.getTime() - RATE_WINDOW_S * 1000);
  const [points, predictions] =
    path === "timescaledb"
      ? await Promise.all([
          sql<{ tenant: string; n: number }[]>`
            SELECT tenant, sum(points)::float8 AS n FROM metric_points_1m
            WHERE bucket >= ${from} AND bucket < ${to} GROUP BY tenant`,
          sql<{ tenant: string; n: number }[]>`
            SELECT tenant, sum(predictions)::float8 AS n FROM predictions_1m
            WHERE bucket >= ${from} AND bucket < ${to} GROUP BY tenant`,
        ])
      : await Promise.all([
          sql<{ tenant: string; n: number }[]>`
            SELECT tenant, count(*)::float8 AS n FROM metric_points
            WHERE time >= ${from} AND time < ${to} GROUP BY tenant`,
          sql<{ tenant: string; n: number }[]>`
            SELECT tenant, count(*)::float8 AS n FROM predictions
            WHERE time >= ${from} AND time < ${to} GROUP BY tenant`,
        ]);
  const out = new Map<string, { points: number; predictions: number }>();
  for (const r of points) out.set(r.tenant, { points: r.n, predictions: 0 });
  for (const r of predictions) {
    const e = out.get(r.tenant) ?? { points: 0, predictions: 0 };
    e.predictions = r.n;
    out.set(r.tenant, e);
  }
  return out;
}

/** The memo for these options: settled after the horizon plus the silence threshold. */
export function newQualityMemo(o: ReadOptions): QualityMemo {
  return new QualityMemo({
    horizonSeconds: o.qualityHorizonSeconds,
    silenceSeconds: o.silenceSeconds,
    graceSeconds: o.silenceSeconds,
  });
}

/**
 * The window's warnings, judged: the list is one index range of `alerts`; only the warnings the memo
 * has not settled are read further (first critical transition, newest point, silences).
 */
async function readWarnings(
  sql: Sql,
  path: SchemaPath,
  nowMs: number,
  o: ReadOptions,
  memo: QualityMemo,
): Promise<JudgedWarning[]> {
  const now = new Date(nowMs);
  const from = new Date(nowMs - o.qualityWindowSeconds * 1000);
  memo.prune(from.getTime());
  const list = await sql<{ tenant: string; host: string; time: Date }[]>`
    SELECT tenant, host, time FROM alerts
    WHERE from_level = 'ok' AND to_level IN ('warning', 'critical') AND time > ${from} AND time <= ${now}`;
  const judged: JudgedWarning[] = [];
  const open: { tenant: string; host: string; time: Date }[] = [];
  for (const w of list) {
    const known = memo.get(QualityMemo.key(w.tenant, w.host, w.time.getTime()));
    if (known !== undefined) judged.push(known);
    else open.push(w);
  }
  if (open.length === 0) return judged;

  const nextMinute = new Date(Math.floor(nowMs / MINUTE) * MINUTE + MINUTE);
  const horizonS = o.qualityHorizonSeconds;
  // Silences that ended, per warning, from the host's 1-minute buckets around it: a gap of at least
  // the silence threshold between the end of one bucket with points and the next one (minute
  // resolution; the silence under way is judged from host_latest.point_time instead). Only the
  // buckets [warning − 1 min, warning + horizon + threshold + 2 min) are read; when that span is over,
  // its end stands for the next bucket (nothing came before it). Bounds are whole minutes, so the
  // plain path's time range selects exactly the buckets the rollup would.
  const spanS = horizonS + o.silenceSeconds + 120;
  const gapS = o.silenceSeconds + 60;
  const buckets =
    path === "timescaledb"
      ? sql`SELECT m.bucket FROM metric_points_1m m
            WHERE m.tenant = w.tenant AND m.host = w.host AND m.bucket >= w.lo AND m.bucket < LEAST(w.hi, ${nextMinute})`
      : sql`SELECT date_bin(INTERVAL '1 minute', p.time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket
            FROM metric_points p
            WHERE p.tenant = w.tenant AND p.host = w.host AND p.time >= w.lo AND p.time < LEAST(w.hi, ${nextMinute})
            GROUP BY 1`;
  const rows = await sql<
    {
      tenant: string;
      host: string;
      time: Date;
      critical_at: Date | null;
      point_time: Date | null;
      silence_starts: number[];
    }[]
  >`
    WITH w AS (
      SELECT tenant, host, time,
        date_bin(INTERVAL '1 minute', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') - INTERVAL '1 minute' AS lo,
        date_bin(INTERVAL '1 minute', time + make_interval(secs => ${spanS}::float8),
                 TIMESTAMPTZ '2000-01-01 00:00:00+00') AS hi
      FROM unnest(${open.map((w) => w.tenant)}::text[], ${open.map((w) => w.host)}::text[],
                  ${open.map((w) => w.time.toISOString())}::timestamptz[]) AS u(tenant, host, time)
    )
    SELECT w.tenant, w.host, w.time, h.point_time,
      (SELECT min(c.time) FROM alerts c
       WHERE c.tenant = w.tenant AND c.host = w.host AND c.to_level = 'critical'
         AND c.time >= w.time AND c.time <= w.time + make_interval(secs => ${horizonS}::float8)) AS critical_at,
      ARRAY(
        SELECT extract(epoch FROM g.bucket)::float8 * 1000 + 60000 FROM (
          SELECT b.bucket,
            lead(b.bucket, 1, CASE WHEN w.hi <= ${now} THEN w.hi END) OVER (ORDER BY b.bucket) AS next
          FROM (${buckets}) b
        ) g
        WHERE extract(epoch FROM g.next - g.bucket) >= ${gapS}
        ORDER BY 1
      ) AS silence_starts
    FROM w LEFT JOIN host_latest h ON h.tenant = w.tenant AND h.host = w.host`;
  for (const w of rows) {
    judged.push(
      memo.judge(
        {
          tenant: w.tenant,
          host: w.host,
          atMs: w.time.getTime(),
          criticalAtMs: ms(w.critical_at),
          newestPointMs: ms(w.point_time),
          silenceStartsMs: w.silence_starts.map(Number),
        },
        nowMs,
      ),
    );
  }
  return judged;
}
