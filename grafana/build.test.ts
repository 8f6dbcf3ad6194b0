/**
 * The generated Grafana files: the committed JSON and YAML equal what `npm run grafana:build` writes;
 * every query names a provisioned data source and only metrics that exist; the provisioning takes its
 * addresses and credentials from the variables docker-compose.yml gives Grafana, never literally.
 * Running the queries is grafana/queries.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXPORTED_NAMES } from "../contracts/exporter.ts";
import { metricNames } from "../prometheus/testing/promql.ts";
import { check, dashboards, generate, GRAFANA_DIR } from "./build.ts";
import {
  DASHBOARDS_MOUNT,
  DATASOURCE_ENV,
  dashboardsProvisioning,
  datasourcesProvisioning,
  PROMETHEUS,
  TIMESCALE,
} from "./lib/datasources.ts";
import { dashboardQueries, interpolate, leftovers } from "./testing/queries.ts";

const ROOT = join(GRAFANA_DIR, "..");
const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");

/** Metric names a prom-client source file defines (histograms with their series). */
function promClientNames(file: string): string[] {
  const out: string[] = [];
  for (const m of read(file).matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*"([^"]+)"/g)) {
    const [, type, name] = m;
    if (type === undefined || name === undefined) continue;
    out.push(name);
    if (type === "Histogram") out.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
  }
  return out;
}

const all = Object.values(dashboards()).flatMap(dashboardQueries);

describe("grafana:build", () => {
  it("the committed files are exactly what it generates", async () => {
    expect(await check()).toEqual([]);
  });

  it("--check fails, naming the file, when a committed dashboard was edited by hand", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "grafana-check-"));
    try {
      for (const [file, content] of await generate()) {
        mkdirSync(join(dir, file, ".."), { recursive: true });
        writeFileSync(join(dir, file), content);
      }
      expect(await check(dir)).toEqual([]);
      const f = join(dir, "dashboards", "host-detail.json");
      writeFileSync(f, readFileSync(f, "utf8").replace("host detail", "host detail (edited)"));
      writeFileSync(join(dir, "dashboards", "old.json"), "{}");
      expect(await check(dir)).toEqual([
        "dashboards/host-detail.json: differs from the generated one",
        "dashboards/old.json: not generated (stale?)",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the dashboards", () => {
  it("are the four of issue #13, with unique uids", () => {
    const ds = Object.values(dashboards());
    expect(ds.map((d) => d.uid)).toEqual([
      "downtime-fleet",
      "downtime-host",
      "downtime-model",
      "downtime-pipeline",
    ]);
    const host = ds[1]!;
    expect(host.templating?.list?.map((v) => v.name)).toEqual(["tenant", "host"]);
    expect(host.annotations?.list?.map((a) => a.name)).toEqual(["Level changes"]);
  });

  it("give every panel a unique title and a query, each on a provisioned data source with a unique refId", () => {
    for (const d of Object.values(dashboards())) {
      const titles = (d.panels ?? []).map((p) => p.title);
      expect(new Set(titles).size, `${d.title}: ${titles.join(", ")}`).toBe(titles.length);
      for (const p of d.panels ?? []) {
        const targets = ("targets" in p ? p.targets : undefined) ?? [];
        expect(targets.length, `${d.title} / ${p.title}`).toBeGreaterThan(0);
        const refIds = targets.map((t) => (t as { refId?: string }).refId);
        expect(new Set(refIds).size, `${d.title} / ${p.title} refIds`).toBe(refIds.length);
      }
    }
    const uids = new Set(datasourcesProvisioning.datasources.map((s) => s.uid));
    expect(uids).toEqual(new Set([PROMETHEUS.uid, TIMESCALE.uid]));
    expect(all.filter((q) => q.kind === "promql").length).toBeGreaterThan(20);
    expect(all.filter((q) => q.kind === "sql").length).toBeGreaterThan(15);
  });

  it("select only metrics that exist: the exporter's contract, the gateway's and the connector's", () => {
    const known = new Set([
      ...EXPORTED_NAMES,
      ...promClientNames("gateway/metrics.ts"),
      ...promClientNames("timescale/connector/connector.ts"),
      "up",
    ]);
    const unknown = all
      .filter((q) => q.kind === "promql")
      .flatMap((q) => metricNames(q.text).map((n) => [n, `${q.dashboard} / ${q.where}`] as const))
      .filter(([n]) => !known.has(n));
    expect(unknown).toEqual([]);
  });

  it("use only the variables and macros the substitution knows (no $ left after it)", () => {
    const s = {
      vars: { tenant: "t", host: "h" },
      from: new Date(0),
      to: new Date(60_000),
      rateInterval: "1m",
      interval: "15s",
    };
    for (const q of all)
      expect(leftovers(interpolate(q.text, q.kind, s)), `${q.dashboard} / ${q.where}`).toEqual([]);
  });
});

describe("interpolate", () => {
  const s = {
    vars: { host: "o'brien\\1" },
    from: new Date("2026-01-02T03:04:05.678Z"),
    to: new Date("2026-01-02T04:04:05.678Z"),
    rateInterval: "1m",
    interval: "15s",
  };
  it("writes Grafana's PostgreSQL macros and escapes single-valued variables per language", () => {
    expect(interpolate("WHERE host = '$host' AND $__timeFilter(time)", "sql", s)).toBe(
      "WHERE host = 'o''brien\\1' AND time BETWEEN '2026-01-02T03:04:05Z' AND '2026-01-02T04:04:05Z'",
    );
    expect(interpolate('rate(x{host="${host}"}[$__rate_interval]) $__range $nope', "promql", s)).toBe(
      'rate(x{host="o\\\\\'brien\\\\1"}[1m]) 3600s $nope',
    );
    expect(leftovers("a $nope ${b} c")).toEqual(["$nope", "${b"]);
  });
});

describe("the provisioning", () => {
  const compose = read("docker-compose.yml");
  const grafanaService = compose.slice(compose.indexOf("\n  grafana:"), compose.indexOf("\nvolumes:"));

  it("reads every address and credential from Grafana's environment, as docker-compose.yml sets it", () => {
    const text = JSON.stringify(datasourcesProvisioning);
    const used = [...new Set([...text.matchAll(/\$(\w+)/g)].map((m) => m[1]))].sort();
    expect(used).toEqual([...DATASOURCE_ENV].sort());
    for (const v of DATASOURCE_ENV) expect(grafanaService).toMatch(new RegExp(`\\n\\s+${v}: \\S`));
    const pg = datasourcesProvisioning.datasources.find((s) => s.uid === TIMESCALE.uid);
    expect(pg?.secureJsonData?.password).toBe("$TIMESCALE_PASSWORD");
    expect(text).not.toMatch(/admin|password-change-me/i);
  });

  it("points the dashboard provider at the folder Compose mounts grafana/dashboards on", () => {
    expect(grafanaService).toContain(`./grafana/dashboards:${DASHBOARDS_MOUNT}`);
    expect(grafanaService).toContain("./grafana/provisioning:/etc/grafana/provisioning");
    expect(dashboardsProvisioning.providers[0]?.options.path).toBe(DASHBOARDS_MOUNT);
  });
});
