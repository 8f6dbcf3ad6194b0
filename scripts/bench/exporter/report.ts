/** The exporter benchmark's report: its JSON shape, the target verdict and the Markdown page. */

export const TARGET_MS = 250;
export const TARGET_HOSTS = 10_000;

export interface Stats {
  median: number;
  p90: number;
  min: number;
  max: number;
}

export interface SizeResult {
  path: "timescaledb" | "postgres";
  hosts: number;
  rows: { host_latest: number; metric_points: number; predictions: number; alerts: number };
  generate_seconds: number;
  /** The exporter's first scrape (every warning of the window judged), ms. */
  first_scrape_ms: number;
  /** GET /metrics over HTTP after the warm-up, ms. */
  scrape_ms: Stats;
  /** The exporter's own database time (downtime_exporter_scrape_seconds), ms. */
  database_ms: Stats;
  /** Baselines on the same pool settings, ms. */
  select1_ms: Stats;
  count_host_latest_ms: Stats;
  /** Part of a scrape → ms from the scrape's start to its answer (medians; the parts run in parallel). */
  parts_ms: Record<string, number>;
  body_bytes: number;
  samples: number;
  per_host_hosts: number;
  hosts_omitted: number;
}

export interface ExporterReport {
  benchmark: "exporter";
  command: string;
  date: string;
  commit: string;
  uncommitted: string[];
  machine: {
    cpus: number;
    cpu_model: string;
    memory_gib: number;
    os: string;
    node: string;
    loadavg_start: number[];
    loadavg_end: number[];
  };
  database: string;
  repetitions: number;
  exporter_config: Record<string, number>;
  results: SizeResult[];
  targets: { path: string; hosts: number; measured_ms: number; target_ms: number; met: boolean }[];
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

export function judgeTargets(results: readonly SizeResult[]): ExporterReport["targets"] {
  return results
    .filter((r) => r.hosts === TARGET_HOSTS)
    .map((r) => ({
      path: r.path,
      hosts: r.hosts,
      measured_ms: r.scrape_ms.median,
      target_ms: TARGET_MS,
      met: r.scrape_ms.median <= TARGET_MS,
    }));
}

const f1 = (x: number) => x.toFixed(1);
const n = (x: number) => x.toLocaleString("en-US");
const PATH_NAME = { timescaledb: "TimescaleDB", postgres: "plain PostgreSQL" } as const;

export function renderMarkdown(r: ExporterReport): string {
  const m = r.machine;
  const out: string[] = [
    "# Exporter benchmark",
    "",
    `\`${r.command}\` · ${r.date} · commit \`${r.commit.slice(0, 12)}\`${r.uncommitted.length > 0 ? ` (uncommitted: ${r.uncommitted.join(", ")})` : ""}`,
    "",
    `Machine: ${m.cpus} cores (${m.cpu_model}), ${m.memory_gib} GiB, ${m.os}, Node ${m.node}; load average ${m.loadavg_start.map((x) => x.toFixed(2)).join(" ")} at the start, ${m.loadavg_end.map((x) => x.toFixed(2)).join(" ")} at the end. ${r.database}, on the same machine as the exporter and whatever else runs there; figures are comparable within this run (the baselines are measured alongside), not capacity claims.`,
    "",
    `Each size: a fresh database on the path, a generated fleet (\`scripts/bench/exporter/fleet.ts\`: 10 tenants, 10 minutes of points and predictions per host, 24 h of points for the 1 % of hosts with a warning), \`ANALYZE\`, the exporter started in-process with its defaults (${Object.entries(
      r.exporter_config,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ", ",
      )}), 3 warm-up scrapes, then ${r.repetitions} scrapes of \`GET /metrics\` over HTTP one after another. Baselines on a pool like the exporter's: \`SELECT 1\` (a round trip) and \`SELECT count(*) FROM host_latest\` (one pass over the table a scrape must read).`,
    "",
    "## Target (issue #13)",
    "",
    "| path | hosts | scrape (median) | target | met |",
    "| --- | ---: | ---: | ---: | --- |",
    ...r.targets.map(
      (t) =>
        `| ${PATH_NAME[t.path as keyof typeof PATH_NAME] ?? t.path} | ${n(t.hosts)} | ${f1(t.measured_ms)} ms | ≤ ${t.target_ms} ms | ${t.met ? "yes" : "**no**"} |`,
    ),
    "",
    "## Scrape time",
    "",
    "| path | hosts | rows (points / predictions / alerts) | scrape ms median (p90, min–max) | first scrape ms | database ms median | `SELECT 1` ms | `count(*) host_latest` ms | body | samples | per-host hosts (omitted) |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.results.map(
      (x) =>
        `| ${PATH_NAME[x.path]} | ${n(x.hosts)} | ${n(x.rows.metric_points)} / ${n(x.rows.predictions)} / ${n(x.rows.alerts)} | ${f1(x.scrape_ms.median)} (${f1(x.scrape_ms.p90)}, ${f1(x.scrape_ms.min)}–${f1(x.scrape_ms.max)}) | ${f1(x.first_scrape_ms)} | ${f1(x.database_ms.median)} | ${f1(x.select1_ms.median)} | ${f1(x.count_host_latest_ms.median)} | ${n(Math.round(x.body_bytes / 1024))} KiB | ${n(x.samples)} | ${n(x.per_host_hosts)} (${n(x.hosts_omitted)}) |`,
    ),
    "",
    "## Where a scrape's database time goes",
    "",
    "The parts run in parallel on the pool; each figure is the median time from the scrape's start to that part's answer (so the slowest part bounds the database time).",
    "",
    `| path | hosts | ${Object.keys(r.results[0]?.parts_ms ?? {}).join(" | ")} |`,
    `| --- | ---: |${Object.keys(r.results[0]?.parts_ms ?? {})
      .map(() => " ---: |")
      .join("")}`,
    ...r.results.map(
      (x) =>
        `| ${PATH_NAME[x.path]} | ${n(x.hosts)} | ${Object.keys(r.results[0]?.parts_ms ?? {})
          .map((k) => f1(x.parts_ms[k] ?? Number.NaN))
          .join(" | ")} |`,
    ),
    "",
  ];
  return `${out.join("\n")}\n`;
}
