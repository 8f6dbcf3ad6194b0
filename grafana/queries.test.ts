/**
 * Every panel's query runs (issue #13), without Grafana (it cannot run here): after a seeded run of the
 * real pipeline — the seed's events produced through the real gateway into a real Kafka broker, written
 * by the real connector into a real PostgreSQL (+ TimescaleDB when built), the real exporter over it —
 * each PromQL of the dashboards goes to a real Prometheus (Debian's, 127.0.0.1) scraping the exporter,
 * the gateway and the connector with prometheus.yml's job names, and each SQL (panels, variables,
 * annotations) to the seeded database in a read-only transaction. Grafana's variables and macros are
 * substituted as grafana/testing/queries.ts documents ($tenant = acme, $host = db-failing, the last 2 h).
 *
 * Each query must succeed and return data — the seed guarantees data for every one except those in
 * NO_DATA_EXPECTED, which must still succeed. SQL time series must return a `time` column, annotations
 * `time` and `text`. Skipped, loudly, without PostgreSQL, Kafka or Prometheus.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Kafka as UpstashKafka } from "@upstash/kafka";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTopics, kafkaToolsMissing, startKafka, type RunningKafka } from "../scripts/kafka/kafka.ts";
import { postgresMissing, startPostgres, type RunningPostgres } from "../scripts/postgres/postgres.ts";
import { NodeService } from "../scripts/stack/node-service.ts";
import { STACK_TOPICS, waitDrained, waitHealthy } from "../scripts/stack/stack.ts";
import { migrate } from "../timescale/migrate.ts";
import { startPrometheus, toolsMissing, type RunningPrometheus } from "../prometheus/testing/prometheus.ts";
import { dashboards, GRAFANA_DIR } from "./build.ts";
import {
  dashboardQueries,
  interpolate,
  leftovers,
  type PanelQuery,
  type Substitutions,
} from "./testing/queries.ts";
import { malformedRecord, SEED_HOSTS, SEED_TENANT, seedRecords } from "./testing/seed.ts";
import { until } from "../scripts/lib/until.ts";

const ROOT = join(GRAFANA_DIR, "..");
const missing = postgresMissing() ?? kafkaToolsMissing() ?? toolsMissing(["prometheus"]);
if (missing) console.warn(`\n[grafana/queries.test] SKIPPED: ${missing}\n`);

/** Queries the seed cannot give data to, and why (they must still run without error). */
const NO_DATA_EXPECTED: Record<string, string> = {
  "sum by (kind) (rate(connector_errors_total[$__rate_interval]))":
    "the connector's failed attempts: a series appears only after a failure, and the seeded run has none",
};

const Sample = z.object({ metric: z.record(z.string(), z.string()) });
const Vector = z.object({ resultType: z.literal("vector"), result: z.array(Sample) });
const Matrix = z.object({ resultType: z.literal("matrix"), result: z.array(Sample) });

const queries = Object.values(dashboards()).flatMap(dashboardQueries);
const name = (q: PanelQuery): string => `${q.dashboard} / ${q.where} / ${q.refId}`;

describe.skipIf(missing !== null)("every panel's query on a seeded run", () => {
  const tmp = mkdtempSync(join(tmpdir(), "grafana-queries-"));
  const stops: (() => Promise<unknown>)[] = [];
  let pg: RunningPostgres;
  let sql: Sql;
  /** The same rows in a database on the other schema path (plain PostgreSQL: tables and views). */
  let plain: Sql;
  let paths: string[] = [];
  let kafka: RunningKafka;
  let prom: RunningPrometheus;
  let promStart: number;
  const ran = { promql: 0, sql: 0, withData: 0 };

  beforeAll(async () => {
    pg = await startPostgres();
    stops.push(() => pg.stop());
    sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
    stops.push(() => sql.end({ timeout: 5 }));
    kafka = await startKafka({ dataDir: join(tmp, "kafka") });
    stops.push(() => kafka.stop());
    await createTopics(kafka, STACK_TOPICS);

    const service = (
      name: string,
      entry: string,
      env: Record<string, string>,
      portVar: string,
      urlLine: RegExp,
    ) => {
      const s = new NodeService({
        name,
        cwd: ROOT,
        entry,
        env,
        portVar,
        urlLine,
        logFile: join(tmp, `${name}.log`),
      });
      stops.push(() => s.stop());
      return s;
    };
    // The connector applies the migrations at its start.
    const connector = service(
      "connector",
      "timescale/connector/main.ts",
      { KAFKA_BROKERS: kafka.bootstrap, DATABASE_URL: pg.url, CONNECTOR_PORT: "0" },
      "CONNECTOR_PORT",
      /connector serving (http:\/\/\S+)\/health/,
    );
    await connector.start();
    await waitHealthy("connector", `${connector.url}/health`, 120_000, () => connector.lastLines());
    const password = "grafana-test-gateway-password";
    const gateway = service(
      "gateway",
      "gateway/main.ts",
      {
        KAFKA_BROKERS: kafka.bootstrap,
        GATEWAY_USERNAME: "edge",
        GATEWAY_PASSWORD: password,
        GATEWAY_PORT: "0",
      },
      "GATEWAY_PORT",
      /gateway listening on (http:\/\/\S+)/,
    );
    await gateway.start();
    await waitHealthy("gateway", `${gateway.url}/health`, 60_000, () => gateway.lastLines());

    // The seed through the gateway, as the edge sends it; then the malformed record.
    const producer = new UpstashKafka({ url: gateway.url, username: "edge", password }).producer();
    const records = seedRecords(Date.now());
    for (let i = 0; i < records.length; i += 100) await producer.produceMany(records.slice(i, i + 100));
    await producer.produceMany([malformedRecord()]);
    expect(await waitDrained(kafka.bootstrap, 120_000)).toBe(0);
    const [rows] = await sql<{ hosts: number }[]>`SELECT count(*)::int AS hosts FROM host_latest`;
    expect(rows?.hosts).toBe(Object.keys(SEED_HOSTS).length);

    // The plain PostgreSQL path in a second database: its migrations, then the seeded rows copied.
    await sql.unsafe("CREATE DATABASE grafana_plain");
    const plainUrl = new URL(pg.url);
    plainUrl.pathname = "/grafana_plain";
    plain = postgres(plainUrl.toString(), { max: 2, onnotice: () => undefined });
    stops.push(() => plain.end({ timeout: 5 }));
    await migrate(plain, { path: "postgres" });
    for (const table of ["metric_points", "predictions", "alerts", "host_latest"]) {
      const cols = await sql<{ column_name: string }[]>`
        SELECT column_name FROM information_schema.columns
        WHERE table_name = ${table} AND is_generated = 'NEVER' ORDER BY ordinal_position`;
      const list = cols.map((c) => `"${c.column_name}"`).join(", ");
      await pipeline(
        // A query, not the table: COPY of a hypertable itself reads only its (empty) parent.
        await sql.unsafe(`COPY (SELECT ${list} FROM ${table}) TO STDOUT`).readable(),
        await plain.unsafe(`COPY ${table} (${list}) FROM STDIN`).writable(),
      );
    }
    paths = [
      ...(await sql<{ path: string }[]>`SELECT path FROM schema_path`),
      ...(await plain<{ path: string }[]>`SELECT path FROM schema_path`),
    ].map((r) => r.path);
    expect(paths[1]).toBe("postgres");

    const exporter = service(
      "exporter",
      "exporter/main.ts",
      { DATABASE_URL: pg.url, EXPORTER_PORT: "0", KAFKA_BROKERS: kafka.bootstrap },
      "EXPORTER_PORT",
      /exporter listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    const exporterUrl = await exporter.start();

    // prometheus.yml's job names, everything every second.
    const target = (url: string) => JSON.stringify(new URL(url).host);
    const config = join(tmp, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }",
        "scrape_configs:",
        `  - { job_name: downtime-exporter, static_configs: [{ targets: [${target(exporterUrl)}] }] }`,
        `  - { job_name: gateway, static_configs: [{ targets: [${target(gateway.url)}] }] }`,
        `  - { job_name: connector, static_configs: [{ targets: [${target(connector.url)}] }] }`,
        "",
      ].join("\n"),
    );
    promStart = Date.now();
    prom = await startPrometheus(config);
    stops.push(() => prom.stop());
    // Every target up, then 20 s of scrapes, so rate() over 15 s has two samples at every step.
    await until("all three targets up", 60_000, async () => {
      const v = await prom.api(`/api/v1/query?query=${encodeURIComponent("sum(up) == 3")}`, Vector);
      return v.result.length === 1 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 20_000));
  }, 420_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    console.log(
      `[grafana/queries.test] ran ${ran.promql} PromQL and ${ran.sql} SQL queries (SQL on the ${paths.join(" and ")} paths); ${ran.withData} returned data`,
    );
  }, 120_000);

  const substitutions = (): Substitutions => ({
    vars: { tenant: SEED_TENANT, host: SEED_HOSTS.failing },
    from: new Date(Date.now() - 2 * 3_600_000),
    to: new Date(),
    rateInterval: "15s",
    interval: "5s",
  });

  it.each(queries.filter((q) => q.kind === "promql").map((q) => [name(q), q] as const))(
    "PromQL %s",
    async (_, q) => {
      const expr = interpolate(q.text, "promql", substitutions());
      expect(leftovers(expr)).toEqual([]);
      const now = Date.now() / 1000;
      const series = q.instant
        ? (await prom.api(`/api/v1/query?query=${encodeURIComponent(expr)}&time=${now}`, Vector)).result
        : (
            await prom.api(
              `/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${promStart / 1000}&end=${now}&step=1`,
              Matrix,
            )
          ).result;
      ran.promql++;
      if (q.text in NO_DATA_EXPECTED) return;
      expect(series.length, `${expr} returned no series`).toBeGreaterThan(0);
      ran.withData++;
    },
  );

  it.each(queries.filter((q) => q.kind === "sql").map((q) => [name(q), q] as const))(
    "SQL %s",
    async (_, q) => {
      const text = interpolate(q.text, "sql", substitutions());
      expect(leftovers(text)).toEqual([]);
      // Read-only, as Grafana's reader role is: a dashboard query never writes.
      const rows = await sql.begin("READ ONLY", (tx) => tx.unsafe(text));
      ran.sql++;
      const columns = rows.columns.map((c) => c.name);
      if (q.timeSeries) expect(columns).toContain("time");
      if (q.where.startsWith("annotation")) expect(columns).toEqual(expect.arrayContaining(["time", "text"]));
      if (q.text in NO_DATA_EXPECTED) return;
      expect(rows.length, `no rows: ${text}`).toBeGreaterThan(0);
      ran.withData++;
      // The other schema path answers with the same shape and the same number of rows.
      const other = await plain.begin("READ ONLY", (tx) => tx.unsafe(text));
      expect(other.columns.map((c) => c.name)).toEqual(columns);
      expect(other.length).toBe(rows.length);
      if (q.where === "variable $tenant") expect(rows.map((r) => Object.values(r)[0])).toEqual([SEED_TENANT]);
      if (q.where === "variable $host")
        expect(rows.map((r) => Object.values(r)[0])).toEqual(
          expect.arrayContaining(Object.values(SEED_HOSTS)),
        );
    },
  );
});
