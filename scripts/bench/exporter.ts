/**
 * `npm run bench:exporter` — the exporter's scrape time at 10 000 and 100 000 hosts (issue #13: target
 * ≤ 250 ms at 10 000), on each schema path this machine can run (TimescaleDB when built, plain
 * PostgreSQL always), with baselines measured in the same run: a `SELECT 1` round trip and a
 * `SELECT count(*) FROM host_latest`. Starts its own PostgreSQL 15 on 127.0.0.1 (scripts/postgres),
 * generates the fleet inside the database (exporter/fleet.ts), runs the real exporter in-process and
 * scrapes it over HTTP; stops everything at the end, on an error and on Ctrl-C. Writes exporter.json
 * and exporter.md (bench/results/local/, or bench/results/ with --write-results). Progress on stderr.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres, { type Sql } from "postgres";
import { DEFAULTS } from "../../exporter/config.ts";
import { parseExposition, valueOf } from "../../exporter/exposition.ts";
import { newQualityMemo, readSnapshot } from "../../exporter/queries.ts";
import { startExporter } from "../../exporter/server.ts";
import {
  PG_MAJOR,
  postgresMissing,
  startPostgres,
  timescaleInstalled,
  TIMESCALE_VERSION,
  type RunningPostgres,
} from "../postgres/postgres.ts";
import { migrate, type SchemaPath } from "../../timescale/migrate.ts";
import { generateFleet, refreshRollups } from "./exporter/fleet.ts";
import {
  judgeTargets,
  renderMarkdown,
  stats,
  type ExporterReport,
  type SizeResult,
} from "./exporter/report.ts";
import { resultsNote, resultsTarget, RESULTS_USAGE } from "./results.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const USAGE = `Usage: npm run bench:exporter -- [--quick] [--write-results | --out DIR]
  --quick  1 000 and 10 000 hosts, 5 scrapes each (a smoke test)
${RESULTS_USAGE}
  Needs PostgreSQL 15 (npm test's set-up installs it; TimescaleDB's path runs when it is built).`;
const MEASURED_PATHS = [
  "exporter",
  "timescale/migrations",
  "contracts/exporter.ts",
  "scripts/bench/exporter.ts",
  "scripts/bench/exporter",
];
const BENCH_PATHS = ["scripts/bench/exporter.ts", "scripts/bench/exporter"];

const t0 = performance.now();
const log = (line: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

function gitState(paths: readonly string[]): { commit: string; uncommitted: string[] } {
  const git = (...a: string[]) =>
    execFileSync("git", a, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    return {
      commit: git("rev-parse", "HEAD").trim(),
      uncommitted: git("status", "--porcelain", "--", ...paths)
        .split("\n")
        .filter((l) => l.length > 3)
        .map((l) => l.slice(3)),
    };
  } catch {
    return { commit: "unknown (not a git checkout)", uncommitted: [] };
  }
}

async function timeIt(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    out.push(performance.now() - s);
  }
  return out;
}

const median = (xs: number[]) => stats(xs).median;

async function measureSize(
  pg: RunningPostgres,
  path: SchemaPath,
  hosts: number,
  repetitions: number,
): Promise<SizeResult> {
  const url = await pg.createDatabase(`exporter_${path}_${hosts}`);
  const sql: Sql = postgres(url, { max: DEFAULTS.poolSize, onnotice: () => undefined });
  try {
    await migrate(sql, { path });
    const g0 = performance.now();
    const nowMs = Date.now();
    const rows = await generateFleet(sql, hosts, nowMs);
    if (path === "timescaledb") await refreshRollups(sql, nowMs);
    await sql`ANALYZE`;
    const generateSeconds = (performance.now() - g0) / 1000;
    log(
      `${path} ${hosts} hosts: ${rows.metricPoints} points, ${rows.predictions} predictions, ${rows.alerts} alerts in ${generateSeconds.toFixed(1)} s`,
    );

    const exporter = await startExporter({ ...DEFAULTS, databaseUrl: url, port: 0 }, { lag: null, log });
    try {
      const scrape = async () => {
        const r = await fetch(`${exporter.url}/metrics`);
        if (r.status !== 200) throw new Error(`GET /metrics answered ${r.status}`);
        return r.text();
      };
      // The first scrape judges every warning of the window (cold memo); later ones only the open ones.
      const c0 = performance.now();
      await scrape();
      const coldMs = performance.now() - c0;
      for (let i = 0; i < 2; i++) await scrape();
      const scrapeMs: number[] = [];
      const databaseMs: number[] = [];
      let body = "";
      for (let i = 0; i < repetitions; i++) {
        const s = performance.now();
        body = await scrape();
        scrapeMs.push(performance.now() - s);
        const x = parseExposition(body);
        if (valueOf(x, "downtime_exporter_database_up") !== 1)
          throw new Error("the exporter could not read the database");
        databaseMs.push((valueOf(x, "downtime_exporter_scrape_seconds") ?? Number.NaN) * 1000);
      }
      const x = parseExposition(body);
      const perHost = new Set(
        x.samples
          .filter((s) => s.name === "downtime_level")
          .map((s) => `${s.labels.tenant}/${s.labels.host}`),
      ).size;
      const omitted = x.samples
        .filter((s) => s.name === "downtime_exporter_hosts_omitted")
        .reduce((a, s) => a + s.value, 0);

      // Where the time goes: the same queries, each timed.
      const parts = new Map<string, number[]>();
      const memo = newQualityMemo(DEFAULTS);
      await readSnapshot(sql, path, DEFAULTS, Date.now(), { memo });
      for (let i = 0; i < Math.max(3, Math.floor(repetitions / 2)); i++) {
        const t = new Map<string, number>();
        await readSnapshot(sql, path, DEFAULTS, Date.now(), { memo, timings: t });
        for (const [k, v] of t) parts.set(k, [...(parts.get(k) ?? []), v]);
      }
      const select1 = await timeIt(repetitions, () => sql`SELECT 1`.execute());
      const countMs = await timeIt(repetitions, () => sql`SELECT count(*) FROM host_latest`.execute());
      const result: SizeResult = {
        path,
        hosts,
        rows: {
          host_latest: rows.hosts,
          metric_points: rows.metricPoints,
          predictions: rows.predictions,
          alerts: rows.alerts,
        },
        generate_seconds: Math.round(generateSeconds * 10) / 10,
        first_scrape_ms: coldMs,
        scrape_ms: stats(scrapeMs),
        database_ms: stats(databaseMs),
        select1_ms: stats(select1),
        count_host_latest_ms: stats(countMs),
        parts_ms: Object.fromEntries(
          [...parts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, median(v)]),
        ),
        body_bytes: Buffer.byteLength(body),
        samples: x.samples.length,
        per_host_hosts: perHost,
        hosts_omitted: omitted,
      };
      log(
        `${path} ${hosts} hosts: scrape median ${result.scrape_ms.median.toFixed(1)} ms (p90 ${result.scrape_ms.p90.toFixed(1)}), database ${result.database_ms.median.toFixed(1)} ms, SELECT 1 ${result.select1_ms.median.toFixed(2)} ms, count(*) ${result.count_host_latest_ms.median.toFixed(1)} ms`,
      );
      return result;
    } finally {
      await exporter.close();
    }
  } finally {
    await sql.end({ timeout: 5 });
    // Each size's database is dropped: the next one should not share the cache with it.
    const admin = postgres(pg.urlFor("postgres"), { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP DATABASE IF EXISTS "exporter_${path}_${hosts}" WITH (FORCE)`).catch(() => {});
    await admin.end({ timeout: 5 });
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        "write-results": { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const target = resultsTarget(ROOT, { out: values.out, writeResults: values["write-results"] });
  const dirty = gitState(BENCH_PATHS).uncommitted;
  if (target.committed && dirty.length > 0) {
    process.stderr.write(
      `--write-results: the benchmark has uncommitted changes (${dirty.join(", ")}); commit them first\n`,
    );
    process.exit(2);
  }
  const missing = postgresMissing();
  if (missing !== null) {
    process.stderr.write(`bench:exporter: ${missing}\n`);
    process.exit(2);
  }
  const sizes = values.quick ? [1000, 10_000] : [10_000, 100_000];
  const repetitions = values.quick ? 5 : 15;
  const paths: SchemaPath[] = timescaleInstalled() ? ["timescaledb", "postgres"] : ["postgres"];
  if (!paths.includes("timescaledb"))
    log("TimescaleDB is not built here: only the plain PostgreSQL path runs");
  const loadStart = loadavg();
  const git = gitState(MEASURED_PATHS);

  const pg = await startPostgres({ timescale: paths.includes("timescaledb"), log: () => {} });
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    log("interrupted: stopping PostgreSQL");
    void pg.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const results: SizeResult[] = [];
  try {
    for (const path of paths) {
      for (const hosts of sizes) {
        if (stopping) return;
        results.push(await measureSize(pg, path, hosts, repetitions));
      }
    }
  } finally {
    if (!stopping) await pg.stop();
  }

  const report: ExporterReport = {
    benchmark: "exporter",
    command: `npm run bench:exporter${values.quick ? " -- --quick" : ""}`,
    date: new Date().toISOString(),
    commit: git.commit,
    uncommitted: git.uncommitted,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model.trim() ?? "unknown",
      memory_gib: Math.round(totalmem() / 2 ** 30),
      os: `${platform()} ${release()}`,
      node: process.version,
      loadavg_start: loadStart,
      loadavg_end: loadavg(),
    },
    database: `PostgreSQL ${PG_MAJOR}${paths.includes("timescaledb") ? ` (+ TimescaleDB ${TIMESCALE_VERSION} for its path)` : ""}, fsync off`,
    repetitions,
    exporter_config: {
      riskFloor: DEFAULTS.riskFloor,
      topN: DEFAULTS.topN,
      maxHosts: DEFAULTS.maxHosts,
      poolSize: DEFAULTS.poolSize,
      qualityWindowSeconds: DEFAULTS.qualityWindowSeconds,
    },
    results,
    targets: judgeTargets(results),
  };
  mkdirSync(target.dir, { recursive: true });
  writeFileSync(join(target.dir, "exporter.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(target.dir, "exporter.md"), renderMarkdown(report));
  for (const t of report.targets) {
    log(
      `target ${t.path}: ${t.measured_ms.toFixed(1)} ms at ${t.hosts} hosts (≤ ${t.target_ms} ms): ${t.met ? "met" : "NOT met"}`,
    );
  }
  log(resultsNote(ROOT, target));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:exporter: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
