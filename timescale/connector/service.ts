/**
 * The connector as a service: `startConnectorService(config)` serves `/health` and `/metrics` at once
 * (Hono on `@hono/node-server`), then waits for the database (backing off), applies pending migrations,
 * and joins the consumer group (retrying while Kafka is unreachable). Used by `main.ts`, the local
 * stack and the pipeline's fault tests.
 *
 * `/health`: 200 `{"ok":true,"phase":"running",…}` when the database answers and the consumer is a
 * member of its group; otherwise 503 with the phase (`starting`, `running`, `stopping`) and the
 * problem per side. `/metrics`: the connector's Prometheus metrics (503 until it has started).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import postgres from "postgres";
import { migrate } from "../migrate.ts";
import type { ServiceConfig } from "./config.ts";
import { startConnector, type RunningConnector } from "./connector.ts";

export interface RunningService {
  /** `http://HOST:PORT` of /health and /metrics. */
  url: string;
  port: number;
  /** Resolves once the consumer runs (rejects only if close() came first). */
  ready: Promise<void>;
  connector(): RunningConnector | null;
  /** Stops serving, then the consumer after the batch in hand. Idempotent. */
  close(): Promise<void>;
}

type Phase = "starting" | "running" | "stopping";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function startConnectorService(
  config: ServiceConfig,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<RunningService> {
  // Read through a function: TypeScript would narrow a plain variable across the awaits below.
  const state: { phase: Phase } = { phase: "starting" };
  const stopping = () => state.phase === "stopping";
  let startProblem: string | null = "waiting for the database";
  let connector: RunningConnector | null = null;

  const app = new Hono();
  app.get("/health", async (c) => {
    if (connector === null || state.phase !== "running") {
      return c.json({ ok: false, phase: state.phase, problem: startProblem }, 503);
    }
    const h = await connector.health();
    return c.json({ ...h, phase: state.phase, stats: connector.stats() }, h.ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    if (connector === null) return c.json({ error: `connector ${state.phase}`, status: 503 }, 503);
    return c.text(await connector.registry.metrics(), 200, {
      "content-type": connector.registry.contentType,
    });
  });
  app.notFound((c) =>
    c.json({ error: "not found: the connector serves /health and /metrics", status: 404 }, 404),
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

  const backoff = async (attempt: number, what: string, e: unknown) => {
    const delay = Math.min(250 * 2 ** attempt, config.maxBackoffMs);
    startProblem = `${what}: ${message(e)}`;
    log(`[connector] ${startProblem} (retry in ${delay} ms)`);
    await sleep(delay);
  };

  const ready = (async () => {
    // 1. The database answers and the schema is current.
    for (let attempt = 0; ; attempt++) {
      if (stopping()) throw new Error("closed before start");
      const sql = postgres(config.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        if (config.migrate) {
          const r = await migrate(sql, { log });
          log(
            `[connector] schema ${r.path}: ${r.applied.length === 0 ? "up to date" : `applied ${r.applied.map((a) => a.name).join(", ")}`}`,
          );
        } else {
          await sql`SELECT 1`;
        }
        break;
      } catch (e) {
        await backoff(attempt, "database not ready", e);
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    }
    // 2. The consumer joins its group.
    startProblem = "joining the consumer group";
    for (let attempt = 0; ; attempt++) {
      if (stopping()) throw new Error("closed before start");
      try {
        connector = await startConnector({
          brokers: config.brokers,
          databaseUrl: config.databaseUrl,
          groupId: config.groupId,
          poolSize: config.poolSize,
          concurrency: config.concurrency,
          maxBackoffMs: config.maxBackoffMs,
          log,
        });
        break;
      } catch (e) {
        await backoff(attempt, "Kafka not ready", e);
      }
    }
    if (stopping()) return;
    state.phase = "running";
    startProblem = null;
  })();
  ready.catch(() => {}); // observed by close() and callers that await it

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    ready,
    connector: () => connector,
    close() {
      closed ??= (async () => {
        state.phase = "stopping";
        const stopped = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await stopped;
        await ready.catch(() => {});
        await connector?.close();
      })();
      return closed;
    },
  };
}
