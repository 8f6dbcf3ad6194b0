/**
 * A small seeded fleet for the exporter's tests: every value the exporter should export follows from
 * these rows by hand (see `EXPECTED` and exporter.test.ts). Times are relative to `t` (the exporter's
 * fixed clock), which sits 30 s past a minute so minute buckets are easy to reason about.
 */
import type { Sql } from "postgres";

export interface LatestRow {
  tenant: string;
  host: string;
  /** Seconds before t of the newest point / prediction / update (null: none). */
  pointAgo: number | null;
  predictionAgo?: number | null;
  updatedAgo: number;
  risk?: Record<string, number>;
  level?: "ok" | "warning" | "critical";
  timeToBreach?: Record<string, number>;
  modelVersion?: string;
}

export const LATEST: LatestRow[] = [
  {
    tenant: "acme",
    host: "h-crit",
    pointAgo: 60,
    predictionAgo: 60,
    updatedAgo: 59,
    risk: { "5m": 0.6, "15m": 0.8, "30m": 0.95 },
    level: "critical",
    timeToBreach: { memory_usage: 600, error_rate: 30 },
  },
  {
    tenant: "acme",
    host: "h-warn",
    pointAgo: 30,
    predictionAgo: 30,
    updatedAgo: 29.5,
    risk: { "5m": 0.1, "15m": 0.3, "30m": 0.7 },
    level: "warning",
  },
  {
    tenant: "acme",
    host: "h-high2",
    pointAgo: 120,
    predictionAgo: 7200,
    updatedAgo: 118,
    risk: { "5m": 0.05, "15m": 0.2, "30m": 0.6 },
    level: "warning",
    modelVersion: "lstm-v2",
  },
  {
    tenant: "acme",
    host: "h-ok1",
    pointAgo: 10,
    predictionAgo: 10,
    updatedAgo: 9,
    risk: { "5m": 0.01, "15m": 0.05, "30m": 0.2 },
    level: "ok",
  },
  {
    tenant: "acme",
    host: "h-ok2",
    pointAgo: 600,
    predictionAgo: 600,
    updatedAgo: 590,
    risk: { "5m": 0.01, "15m": 0.02, "30m": 0.1 },
    level: "ok",
  },
  { tenant: "acme", host: "h-new", pointAgo: 5, updatedAgo: 4 },
  {
    tenant: "beta",
    host: "b-1",
    pointAgo: 20,
    predictionAgo: 20,
    updatedAgo: 19.8,
    risk: { "5m": 0.02, "15m": 0.1, "30m": 0.3 },
    level: "ok",
  },
  // Model quality (tenant qual): hosts with points only.
  { tenant: "qual", host: "q-fa", pointAgo: 20, updatedAgo: 3600 },
  { tenant: "qual", host: "q-sil", pointAgo: 10, updatedAgo: 3600 },
  { tenant: "qual", host: "q-gone", pointAgo: 900, updatedAgo: 3600 },
  { tenant: "qual", host: "q-pend", pointAgo: 10, updatedAgo: 3600 },
  { tenant: "qual", host: "q-late", pointAgo: 240, updatedAgo: 3600 },
];

/** Transitions: [host, seconds before t, from, to]. */
const ALERTS: [string, number, string, string][] = [
  ["q-crit", 3 * 3600, "ok", "warning"], // followed by critical 600 s later
  ["q-crit", 3 * 3600 - 600, "warning", "critical"],
  ["q-crit", 3 * 3600 - 1200, "critical", "ok"], // not a warning
  ["q-fa", 2 * 3600, "ok", "warning"], // false alarm: points go on, no critical
  ["q-fa", 2 * 3600 - 300, "warning", "ok"],
  ["q-sil", 5 * 3600, "ok", "warning"], // followed: silent from +630 s (minute buckets) until +1800 s
  ["q-gone", 20 * 60, "ok", "warning"], // followed: last point 15 min ago, silent since
  ["q-pend", 10 * 60, "ok", "warning"], // pending: horizon not over
  ["q-late", 33 * 60, "ok", "warning"], // pending: horizon over, quiet 240 s < 300 s threshold
  ["q-direct", 4 * 3600, "ok", "critical"], // followed, lead 0
  ["q-old", 25 * 3600, "ok", "warning"], // outside the 24 h window
];

/** Points: [tenant, host, seconds before t]. */
function points(): [string, string, number][] {
  const out: [string, string, number][] = [];
  const run = (tenant: string, host: string, fromAgo: number, toAgo: number) => {
    for (let ago = fromAgo; ago >= toAgo; ago -= 60) out.push([tenant, host, ago]);
  };
  // Rates: h-ok1 has 5 points in the last 5 complete minutes [t-330 s, t-30 s), one in the open minute
  // and one before the window.
  for (const ago of [90, 150, 210, 270, 330, 20, 400]) out.push(["acme", "h-ok1", ago]);
  run("qual", "q-fa", 2 * 3600 + 120, 1.5 * 3600 - 120);
  run("qual", "q-sil", 5 * 3600 + 120, 5 * 3600 - 600); // last point at warning + 600 s
  run("qual", "q-sil", 5 * 3600 - 1800, 5 * 3600 - 2400); // back at warning + 1800 s
  run("qual", "q-gone", 25 * 60, 15 * 60);
  run("qual", "q-late", 40 * 60, 4 * 60);
  return out;
}

/** Predictions in the rate window: 3 for acme. */
const PREDICTIONS: [string, string, number][] = [
  ["acme", "h-ok1", 90],
  ["acme", "h-ok1", 150],
  ["acme", "h-warn", 210],
  ["acme", "h-warn", 20], // open minute: not counted
];

export async function seed(sql: Sql, t: number): Promise<void> {
  const at = (ago: number) => new Date(t - ago * 1000);
  for (const r of LATEST) {
    const predicted = r.predictionAgo !== undefined && r.predictionAgo !== null;
    await sql`
      INSERT INTO host_latest (tenant, host, point_time, cpu_usage, prediction_time, risk, level, level_since,
        time_to_breach, anomaly, model_version, steps_seen, updated_at)
      VALUES (${r.tenant}, ${r.host}, ${r.pointAgo === null ? null : at(r.pointAgo)}, 42,
        ${predicted ? at(r.predictionAgo ?? 0) : null}, ${predicted ? sql.json(r.risk ?? {}) : null},
        ${r.level ?? null}, ${null}, ${predicted ? sql.json(r.timeToBreach ?? {}) : null},
        ${predicted ? sql.json({}) : null}, ${predicted ? (r.modelVersion ?? "lstm-v3") : null},
        ${predicted ? 500 : null}, ${at(r.updatedAgo)})`;
  }
  for (const [host, ago, from, to] of ALERTS) {
    await sql`INSERT INTO alerts (time, tenant, host, from_level, to_level, risk)
      VALUES (${at(ago)}, 'qual', ${host}, ${from}, ${to}, ${sql.json({ "30m": 0.8 })})`;
  }
  const pts = points().map(([tenant, host, ago]) => ({ time: at(ago), tenant, host, cpu_usage: 50 }));
  await sql`INSERT INTO metric_points ${sql(pts, "time", "tenant", "host", "cpu_usage")}`;
  const preds = PREDICTIONS.map(([tenant, host, ago]) => ({
    time: at(ago),
    tenant,
    host,
    risk: sql.json({ "5m": 0.1, "15m": 0.2, "30m": 0.3 }),
    level: "ok",
    model_version: "lstm-v3",
    steps_seen: 100,
  }));
  await sql`INSERT INTO predictions ${sql(preds, "time", "tenant", "host", "risk", "level", "model_version", "steps_seen")}`;
}

/** A clock 30 s past a minute, a day ago (inside every retention policy, outside the refresh windows' edge). */
export function fixedNow(): number {
  return Math.floor(Date.now() / 60_000) * 60_000 - 86_400_000 + 30_000;
}
