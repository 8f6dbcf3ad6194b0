/**
 * The exporter as a server: `startExporter(config)` serves, on Hono over `@hono/node-server`,
 *
 * - `GET /metrics` and `GET /metrics/prometheus` (the seed's path): the same body, the metrics of
 *   `contracts/exporter.ts` read from the database on each scrape. Scrapes that arrive while one is
 *   reading share its result. When the database cannot be read the answer is still 200, with
 *   `downtime_exporter_database_up 0` and no database-derived series (stale values are never served);
 * - `GET /health`: 200 `{"ok":true,…}` when the database answers `SELECT 1`, else 503 with the problem.
 *   Kafka is reported but does not make the exporter unhealthy (it is optional).
 *
 * The database need not be up at start (the client connects on the first query). `close()` is the
 * graceful shutdown: stop accepting, let a scrape in flight finish (bounded), end the pool.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import type { SchemaPath } from "../timescale/migrate.ts";
import type { ExporterConfig } from "./config.ts";
import { kafkaLagReader, type LagReader } from "./connector-lag.ts";
import { applySnapshot, clearDatabaseGauges, createMetrics, type ExporterMetrics } from "./metrics.ts";
import { newQualityMemo, readSnapshot, schemaPath } from "./queries.ts";

export interface ExporterOptions {
  /** The clock, ms since the epoch (tests fix it; default Date.now). */
  now?: () => number;
  /** Lag source (default: Kafka when `brokers` is set, else none). */
  lag?: LagReader | null;
  log?: (line: string) => void;
}

export interface RunningExporter {
  /** `http://HOST:PORT`. */
  url: string;
  port: number;
  metrics: ExporterMetrics;
  /** One scrape's exposition text (what GET /metrics answers). */
  scrape(): Promise<string>;
  /** Graceful shutdown (idempotent). */
  close(): Promise<void>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function startExporter(
  config: ExporterConfig,
  o: ExporterOptions = {},
): Promise<RunningExporter> {
  const now = o.now ?? Date.now;
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const sql = postgres(config.databaseUrl, {
    max: config.poolSize,
    onnotice: () => {},
    connect_timeout: Math.max(1, Math.ceil(config.queryTimeoutMs / 1000)),
    idle_timeout: 60,
    connection: { application_name: "downtime-exporter", statement_timeout: config.queryTimeoutMs },
  });
  const lag =
    o.lag !== undefined
      ? o.lag
      : config.brokers.length > 0
        ? kafkaLagReader({
            brokers: config.brokers,
            groups: config.connectorGroups,
            timeoutMs: config.kafkaTimeoutMs,
          })
        : null;
  const metrics = createMetrics();
  const g = metrics.gauges;
  let path: SchemaPath | null = null;
  const memo = newQualityMemo(config);
  let lastProblem: string | null = null;
  let lastLagProblem: string | null = null;

  const readDatabase = async () => {
    const t0 = performance.now();
    try {
      path ??= await schemaPath(sql);
      const snapshot = await readSnapshot(sql, path, config, now(), { memo });
      applySnapshot(metrics, snapshot);
      g.up.set(1);
      if (lastProblem !== null) log("[exporter] database readable again");
      lastProblem = null;
    } catch (e) {
      clearDatabaseGauges(metrics);
      g.up.set(0);
      // Re-read: the database may have been replaced or migrated meanwhile.
      path = null;
      memo.clear();
      if (message(e) !== lastProblem) log(`[exporter] cannot read the database: ${message(e)}`);
      lastProblem = message(e);
    }
    g.scrapeSeconds.set((performance.now() - t0) / 1000);
  };
  const readLag = async () => {
    if (lag === null) return;
    try {
      const byGroup = await lag.read();
      g.connectorLag.reset();
      for (const [group, records] of byGroup) g.connectorLag.set({ group }, records);
      lastLagProblem = null;
    } catch (e) {
      g.connectorLag.reset();
      if (message(e) !== lastLagProblem) log(`[exporter] cannot read the connector lag: ${message(e)}`);
      lastLagProblem = message(e);
    }
  };

  let inFlight: Promise<string> | null = null;
  const scrape = (): Promise<string> => {
    inFlight ??= (async () => {
      try {
        await Promise.all([readDatabase(), readLag()]);
        return await metrics.registry.metrics();
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  const app = new Hono();
  const serveMetrics = async () =>
    new Response(await scrape(), { headers: { "content-type": metrics.registry.contentType } });
  app.get("/metrics", serveMetrics);
  app.get("/metrics/prometheus", serveMetrics);
  app.get("/health", async (c) => {
    try {
      await sql`SELECT 1`;
      return c.json({
        ok: true,
        database: "up",
        path,
        // What the last scrape met (e.g. a schema not migrated yet), without failing the health check.
        lastScrape: lastProblem ?? "ok",
        kafka: lag === null ? "not configured" : (lastLagProblem ?? "ok"),
      });
    } catch (e) {
      return c.json({ ok: false, database: "down", problem: message(e) }, 503);
    }
  });
  app.notFound((c) =>
    c.json(
      { error: "not found: the exporter serves /metrics, /metrics/prometheus and /health", status: 404 },
      404,
    ),
  );

  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    metrics,
    scrape,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        if (inFlight !== null) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            inFlight.catch(() => {}),
            new Promise<void>((r) => (timer = setTimeout(r, config.shutdownTimeoutMs))),
          ]);
          clearTimeout(timer);
        }
        // Let the answer of the scrape that just finished be written before connections are cut.
        await new Promise((r) => setImmediate(r));
        server.closeAllConnections();
        await stopped;
        await Promise.all([sql.end({ timeout: 5 }), lag?.close()]);
      })();
      return closed;
    },
  };
}
