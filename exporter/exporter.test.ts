/**
 * The exporter against a real PostgreSQL 15 from scripts/postgres, on both schema paths (TimescaleDB's
 * continuous aggregates and plain PostgreSQL's views): the seeded fleet of testing/seed.ts gives the
 * same, hand-computed values on both — per-host series chosen by the cardinality guard, fleet
 * aggregates, rates, freshness, model versions, and each warning's outcome with its lead time. The
 * exposition's names, types and labels are exactly `contracts/exporter.ts`'s. Skipped, loudly, without
 * PostgreSQL; the TimescaleDB path is skipped, loudly, without its build.
 */
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORTER_METRICS } from "../contracts/exporter.ts";
import { freePort } from "../scripts/lib/ports.ts";
import {
  postgresMissing,
  startPostgres,
  timescaleInstalled,
  type RunningPostgres,
} from "../scripts/postgres/postgres.ts";
import { migrate, type SchemaPath } from "../timescale/migrate.ts";
import { DEFAULTS, type ExporterConfig } from "./config.ts";
import type { LagReader } from "./connector-lag.ts";
import { parseExposition, valueOf, type Exposition } from "./exposition.ts";
import { startExporter, type RunningExporter } from "./server.ts";
import { fixedNow, seed } from "./testing/seed.ts";

const missing = postgresMissing();
if (missing) console.warn(`\n[exporter.test] SKIPPED: ${missing}\n`);
const timescale = missing === null && timescaleInstalled();
if (missing === null && !timescale) {
  console.warn("\n[exporter.test] TimescaleDB is not installed: its path is SKIPPED, the plain path runs\n");
}

const PATHS: { path: SchemaPath; run: boolean }[] = [
  { path: "timescaledb", run: timescale },
  { path: "postgres", run: missing === null },
];

const fakeLag: LagReader = {
  read: () => Promise.resolve(new Map([["timescale-connector", 42]])),
  close: () => Promise.resolve(),
};

const N = EXPORTER_METRICS;

describe.skipIf(missing !== null)("the exporter on a real PostgreSQL", () => {
  let pg: RunningPostgres;
  const exporters: RunningExporter[] = [];
  const clients: Sql[] = [];
  beforeAll(async () => {
    pg = await startPostgres({ timescale: "auto" });
  }, 120_000);
  afterAll(async () => {
    for (const e of exporters) await e.close();
    for (const c of clients) await c.end({ timeout: 5 });
    await pg?.stop();
  }, 60_000);

  it("a database without the schema: database_up 0, /health 200 naming the problem", async () => {
    const url = await pg.createDatabase("exporter_empty");
    const e = await startExporter({ ...DEFAULTS, databaseUrl: url, port: 0 }, { lag: null, log: () => {} });
    exporters.push(e);
    const x = parseExposition(await (await fetch(`${e.url}/metrics`)).text());
    expect(valueOf(x, N.up.name)).toBe(0);
    const h = await fetch(`${e.url}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ ok: true, lastScrape: /no schema yet .*db:migrate/ });
  });

  describe.each(PATHS)("path $path", ({ path, run }) => {
    const t = fixedNow();
    let url: string;
    const start = async (o: Partial<ExporterConfig> = {}, lag: LagReader | null = fakeLag) => {
      const e = await startExporter(
        { ...DEFAULTS, databaseUrl: url, port: 0, riskFloor: 0.5, topN: 1, maxHosts: 3, ...o },
        { now: () => t, lag, log: () => {} },
      );
      exporters.push(e);
      return e;
    };
    const scrape = async (e: RunningExporter): Promise<Exposition> => {
      const r = await fetch(`${e.url}/metrics`);
      expect(r.status).toBe(200);
      return parseExposition(await r.text());
    };

    beforeAll(async () => {
      if (!run) return;
      url = await pg.createDatabase(`exporter_${path}`);
      const sql = postgres(url, { max: 2, onnotice: () => undefined });
      clients.push(sql);
      await migrate(sql, { path });
      await seed(sql, t);
    }, 120_000);

    it.skipIf(!run)("exports exactly the catalogue's names, types and labels", async () => {
      const x = await scrape(await start());
      for (const m of Object.values(N)) {
        expect(x.types.get(m.name), m.name).toBe(m.type);
        const samples = x.samples.filter((s) => s.name === m.name);
        expect(samples.length, `${m.name} has samples`).toBeGreaterThan(0);
        for (const s of samples) expect(Object.keys(s.labels).sort(), m.name).toEqual([...m.labels].sort());
      }
      expect([...x.types.keys()].sort()).toEqual(
        Object.values(N)
          .map((m) => m.name)
          .sort(),
      );
      expect(valueOf(x, N.connectorLag.name, { group: "timescale-connector" })).toBe(42);
    });

    it.skipIf(!run)("per-host series: hosts at or above the risk floor plus the top N, capped", async () => {
      const hostsOf = (x: Exposition, name: string) =>
        [
          ...new Set(
            x.samples.filter((s) => s.name === name).map((s) => `${s.labels.tenant}/${s.labels.host}`),
          ),
        ].sort();
      // floor 0.5 → h-crit 0.95, h-warn 0.7, h-high2 0.6; top 1 adds nothing; cap 3.
      const a = await scrape(await start());
      expect(hostsOf(a, N.level.name)).toEqual(["acme/h-crit", "acme/h-high2", "acme/h-warn"]);
      expect(hostsOf(a, N.silence.name)).toEqual(["acme/h-crit", "acme/h-high2", "acme/h-warn"]);
      expect(valueOf(a, N.hostsOmitted.name, { tenant: "acme" })).toBe(3);
      expect(valueOf(a, N.hostsOmitted.name, { tenant: "beta" })).toBe(1);
      expect(valueOf(a, N.hostsOmitted.name, { tenant: "qual" })).toBe(5);
      // A floor nobody reaches: the top 2 only.
      const b = await scrape(await start({ riskFloor: 0.99, topN: 2, maxHosts: 1000 }));
      expect(hostsOf(b, N.level.name)).toEqual(["acme/h-crit", "acme/h-warn"]);
      // The cap wins over the floor, riskiest first.
      const c = await scrape(await start({ maxHosts: 2 }));
      expect(hostsOf(c, N.risk.name)).toEqual(["acme/h-crit", "acme/h-warn"]);
      expect(valueOf(c, N.hostsOmitted.name, { tenant: "acme" })).toBe(4);
      // Fleet aggregates are complete whatever the guard keeps.
      for (const x of [a, b, c]) {
        expect(valueOf(x, N.hosts.name, { tenant: "acme", level: "ok" })).toBe(2);
        expect(valueOf(x, N.hosts.name, { tenant: "acme", level: "warning" })).toBe(2);
        expect(valueOf(x, N.hosts.name, { tenant: "acme", level: "critical" })).toBe(1);
        expect(valueOf(x, N.hosts.name, { tenant: "beta", level: "ok" })).toBe(1);
      }
    });

    it.skipIf(!run)("per-host values: risk, level, time to breach (aged), silence", async () => {
      const x = await scrape(await start());
      const crit = { tenant: "acme", host: "h-crit" };
      expect(valueOf(x, N.risk.name, { ...crit, horizon: "5m" })).toBe(0.6);
      expect(valueOf(x, N.risk.name, { ...crit, horizon: "15m" })).toBe(0.8);
      expect(valueOf(x, N.risk.name, { ...crit, horizon: "30m" })).toBe(0.95);
      expect(valueOf(x, N.level.name, crit)).toBe(2);
      expect(valueOf(x, N.level.name, { tenant: "acme", host: "h-warn" })).toBe(1);
      // 600 s stored with a prediction 60 s old; 30 s stored is already past (0).
      expect(valueOf(x, N.timeToBreach.name, { ...crit, metric: "memory_usage" })).toBe(540);
      expect(valueOf(x, N.timeToBreach.name, { ...crit, metric: "error_rate" })).toBe(0);
      expect(x.samples.filter((s) => s.name === N.timeToBreach.name)).toHaveLength(2);
      expect(valueOf(x, N.silence.name, crit)).toBe(60);
      expect(valueOf(x, N.silence.name, { tenant: "acme", host: "h-high2" })).toBe(120);
    });

    it.skipIf(!run)("fleet: silent hosts, rates, freshness, model versions", async () => {
      const x = await scrape(await start());
      expect(valueOf(x, N.silentHosts.name, { tenant: "acme" })).toBe(1); // h-ok2, 600 s
      expect(valueOf(x, N.silentHosts.name, { tenant: "beta" })).toBe(0);
      expect(valueOf(x, N.silentHosts.name, { tenant: "qual" })).toBe(1); // q-gone, 900 s
      expect(valueOf(x, N.ingestRate.name, { tenant: "acme" })).toBeCloseTo(5 / 300, 12);
      expect(valueOf(x, N.ingestRate.name, { tenant: "qual" })).toBeCloseTo(2 / 300, 12);
      expect(valueOf(x, N.ingestRate.name, { tenant: "beta" })).toBe(0);
      expect(valueOf(x, N.predictionRate.name, { tenant: "acme" })).toBeCloseTo(3 / 300, 12);
      expect(valueOf(x, N.predictionRate.name, { tenant: "beta" })).toBe(0);
      // updated_at − point_time over the hosts updated in the last 5 min: 0.2, 0.5, 1, 1, 1, 2 s.
      expect(valueOf(x, N.freshness.name, { quantile: "0.5" })).toBeCloseTo(1, 9);
      expect(valueOf(x, N.freshness.name, { quantile: "0.9" })).toBeCloseTo(1.5, 9);
      expect(valueOf(x, N.freshness.name, { quantile: "0.99" })).toBeCloseTo(1.95, 9);
      // lstm-v2's newest prediction is 2 h old.
      expect(x.samples.filter((s) => s.name === N.modelInfo.name).map((s) => s.labels.version)).toEqual([
        "lstm-v3",
      ]);
      expect(valueOf(x, N.up.name)).toBe(1);
    });

    it.skipIf(!run)(
      "model quality: followed (critical or silence) with lead times, false alarms, pending",
      async () => {
        const e = await start();
        const x = await scrape(e);
        const q = { tenant: "qual" };
        // followed: q-crit (critical +600 s), q-sil (silent from +630 s, back later), q-gone (silent
        // since +300 s), q-direct (ok → critical, 0 s); false alarm: q-fa; pending: q-pend, q-late.
        expect(valueOf(x, N.warnings.name, { ...q, outcome: "followed" })).toBe(4);
        expect(valueOf(x, N.warnings.name, { ...q, outcome: "false_alarm" })).toBe(1);
        expect(valueOf(x, N.warnings.name, { ...q, outcome: "pending" })).toBe(2);
        // leads 0, 300, 600, 630 s.
        expect(valueOf(x, N.warningLead.name, { ...q, quantile: "0.5" })).toBeCloseTo(450, 9);
        expect(valueOf(x, N.warningLead.name, { ...q, quantile: "0.9" })).toBeCloseTo(621, 9);
        expect(valueOf(x, N.warnings.name, { tenant: "acme", outcome: "followed" })).toBeUndefined();
        // A later scrape takes the settled warnings from the memo and reads the others again: same answer.
        const quality = (e: Exposition) =>
          e.samples.filter((s) => s.name === N.warnings.name || s.name === N.warningLead.name);
        expect(quality(await scrape(e))).toEqual(quality(x));
      },
    );

    it.skipIf(!run)("/metrics and /metrics/prometheus answer the same body", async () => {
      const e = await start();
      const [a, b] = await Promise.all([fetch(`${e.url}/metrics`), fetch(`${e.url}/metrics/prometheus`)]);
      expect(b.headers.get("content-type")).toBe(a.headers.get("content-type"));
      expect(a.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      // The scrape duration is the only line that may differ between two scrapes.
      const strip = (s: string) => s.replace(/^downtime_exporter_scrape_seconds .*$/m, "");
      expect(strip(await b.text())).toBe(strip(await a.text()));
      const h = await fetch(`${e.url}/health`);
      expect(h.status).toBe(200);
      expect(await h.json()).toMatchObject({ ok: true, database: "up", path });
      expect((await fetch(`${e.url}/nope`)).status).toBe(404);
    });
  });
});

describe("the exporter without a database", () => {
  it("database down: /health 503, /metrics 200 with database_up 0 and no database series", async () => {
    const dead = await freePort();
    const e = await startExporter(
      {
        ...DEFAULTS,
        databaseUrl: `postgres://u:p@127.0.0.1:${dead}/downtime`,
        port: 0,
        queryTimeoutMs: 1000,
      },
      { lag: null, log: () => {} },
    );
    try {
      const h = await fetch(`${e.url}/health`);
      expect(h.status).toBe(503);
      expect(await h.json()).toMatchObject({ ok: false, database: "down", problem: expect.any(String) });
      const x = parseExposition(await (await fetch(`${e.url}/metrics/prometheus`)).text());
      expect(valueOf(x, N.up.name)).toBe(0);
      expect(x.samples.map((s) => s.name).sort()).toEqual([N.scrapeSeconds.name, N.up.name].sort());
    } finally {
      await e.close();
    }
  });
});
