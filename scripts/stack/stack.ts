/**
 * The whole self-hosted side on this machine, from installed parts: PostgreSQL (+ TimescaleDB when
 * installed), one Apache Kafka broker (KRaft) with the pipeline topics, the gateway and the connector
 * as processes, and `wrangler dev` with the Worker's sink pointed at the gateway. `npm run stack`
 * (cli.ts) runs it for a person; the pipeline's end-to-end and fault tests run it with free ports and a
 * temporary directory, and stop, kill and restart its parts.
 *
 * Order: PostgreSQL → Kafka (+ topics) → connector (applies the migrations, joins its group) →
 * gateway → exporter (Prometheus metrics read from the database) → wrangler dev. `stop()` goes the
 * other way: the edge first, so nothing new arrives, then the exporter, the gateway, the connector
 * (after its batch in hand), Kafka, PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { DEAD_LETTER_TOPIC, EVENT_TOPICS } from "../../contracts/events.ts";
import { createTopics, startKafka, type RunningKafka } from "../kafka/kafka.ts";
import { WranglerDev, writeVarsFile } from "../lib/wrangler-dev.ts";
import { startPostgres, type RunningPostgres } from "../postgres/postgres.ts";
import { NodeService } from "./node-service.ts";

/** Partitions of each event topic (the key `<tenant>/<host>` keeps a host's events in order). */
export const STACK_PARTITIONS = 4;
export const STACK_TOPICS = [
  ...EVENT_TOPICS.map((name) => ({ name, partitions: STACK_PARTITIONS })),
  { name: DEAD_LETTER_TOPIC, partitions: 1 },
];

export interface StackOptions {
  /** Project root. */
  root: string;
  /** Everything the stack keeps: PostgreSQL's cluster, Kafka's storage, logs, the Worker's state. */
  dataDir: string;
  /** PostgreSQL's port (default: a free one). */
  pgPort?: number;
  /** Durable PostgreSQL writes (default true; tests turn them off). */
  fsync?: boolean;
  /** Ports of the gateway, the connector's /health and the Worker (default 0: free ones). */
  gatewayPort?: number;
  connectorPort?: number;
  exporterPort?: number;
  workerPort?: number;
  /** The Worker's API_KEYS (JSON, as in `.dev.vars`). */
  apiKeys: string;
  /** Basic credentials of the gateway (default: edge + a random password). */
  gatewayUser?: string;
  gatewayPassword?: string;
  /** More Worker variables (e.g. SINK_RETRY_BASE_MS). */
  workerVars?: Record<string, string>;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface StackFacts {
  WORKER_URL: string;
  GATEWAY_URL: string;
  GATEWAY_USERNAME: string;
  GATEWAY_PASSWORD: string;
  DATABASE_URL: string;
  KAFKA_BROKERS: string;
  CONNECTOR_URL: string;
  EXPORTER_URL: string;
}

export interface Stack {
  postgres: RunningPostgres;
  kafka: RunningKafka;
  gateway: NodeService;
  connector: NodeService;
  exporter: NodeService;
  worker: WranglerDev;
  workerUrl: string;
  gatewayUser: string;
  gatewayPassword: string;
  /** `KEY=value` facts a person or script needs (written to stack.env by the CLI). */
  facts(): StackFacts;
  /** Process groups of everything running, by part (for `stack:stop` after a crash). */
  groups(): Record<string, number>;
  /** Stops everything it started, the edge first. */
  stop(): Promise<void>;
}

const WORKER_READY_MS = 180_000;

/** Starts the stack; on failure stops what it had started and throws. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? (() => undefined);
  const logs = join(o.dataDir, "logs");
  mkdirSync(logs, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`stop: ${String(e)}`));
    stops.length = 0;
  };
  try {
    log(`PostgreSQL: starting (data in ${join(o.dataDir, "postgres")})…`);
    const postgres = await startPostgres({
      dataDir: join(o.dataDir, "postgres"),
      ...(o.pgPort !== undefined ? { port: o.pgPort } : {}),
      fsync: o.fsync ?? true,
      log,
    });
    stops.push(() => postgres.stop());

    log("Kafka: starting (the first run downloads its jars from Maven Central)…");
    const kafkaDir = join(o.dataDir, "kafka");
    const kafka = await startKafka({ dataDir: kafkaDir, log, partitions: STACK_PARTITIONS });
    stops.push(() => kafka.stop());
    await createTopics(kafka, STACK_TOPICS);
    log(`Kafka: topics ${STACK_TOPICS.map((t) => `${t.name}(${t.partitions})`).join(", ")}`);

    const connector = new NodeService({
      name: "connector",
      cwd: o.root,
      entry: "timescale/connector/main.ts",
      env: {
        KAFKA_BROKERS: kafka.bootstrap,
        DATABASE_URL: postgres.url,
        CONNECTOR_PORT: String(o.connectorPort ?? 0),
        CONNECTOR_MAX_BACKOFF_MS: "2000",
      },
      portVar: "CONNECTOR_PORT",
      urlLine: /connector serving (http:\/\/\S+)\/health/,
      logFile: join(logs, "connector.log"),
    });
    stops.push(async () => {
      // What the gateway acknowledged is in Kafka: let the connector write it before it stops.
      const lag = await waitDrained(kafka.bootstrap, 30_000).catch(() => null);
      if (lag !== 0)
        log(`connector: stopping with ${lag ?? "unknown"} records not yet written (they stay in Kafka)`);
      await connector.stop();
    });
    log("connector: starting…");
    await connector.start();
    await waitHealthy("connector", `${connector.url}/health`, 120_000, () => connector.lastLines());
    log(`connector: ${connector.url}/health`);

    const gatewayUser = o.gatewayUser ?? "edge";
    const gatewayPassword = o.gatewayPassword ?? randomBytes(18).toString("base64url");
    const gateway = new NodeService({
      name: "gateway",
      cwd: o.root,
      entry: "gateway/main.ts",
      env: {
        KAFKA_BROKERS: kafka.bootstrap,
        GATEWAY_USERNAME: gatewayUser,
        GATEWAY_PASSWORD: gatewayPassword,
        GATEWAY_PORT: String(o.gatewayPort ?? 0),
      },
      portVar: "GATEWAY_PORT",
      urlLine: /gateway listening on (http:\/\/\S+)/,
      logFile: join(logs, "gateway.log"),
    });
    stops.push(() => gateway.stop());
    log("gateway: starting…");
    await gateway.start();
    await waitHealthy("gateway", `${gateway.url}/health`, 60_000, () => gateway.lastLines());
    log(`gateway: ${gateway.url}`);

    const exporter = new NodeService({
      name: "exporter",
      cwd: o.root,
      entry: "exporter/main.ts",
      env: {
        DATABASE_URL: postgres.url,
        KAFKA_BROKERS: kafka.bootstrap,
        EXPORTER_PORT: String(o.exporterPort ?? 0),
      },
      portVar: "EXPORTER_PORT",
      urlLine: /exporter listening on (http:\/\/\S+)/,
      logFile: join(logs, "exporter.log"),
    });
    stops.push(() => exporter.stop());
    log("exporter: starting…");
    await exporter.start();
    await waitHealthy("exporter", `${exporter.url}/health`, 60_000, () => exporter.lastLines());
    log(`exporter: ${exporter.url}/metrics`);

    // wrangler reads the Worker's variables from this file (not from .dev.vars, which `npm start`
    // keeps for the embedded default).
    const envFile = join(o.dataDir, "worker.vars");
    const vars: Record<string, string> = {
      API_KEYS: o.apiKeys,
      UPSTASH_KAFKA_REST_URL: gateway.url,
      UPSTASH_KAFKA_REST_USERNAME: gatewayUser,
      UPSTASH_KAFKA_REST_PASSWORD: gatewayPassword,
      ...o.workerVars,
    };
    writeVarsFile(envFile, vars);
    log("wrangler dev: starting…");
    const worker = WranglerDev.start({
      cwd: o.root,
      ip: "127.0.0.1",
      port: o.workerPort ?? 0,
      envFile,
      persistTo: join(o.dataDir, "worker-state"),
      registryPath: join(o.dataDir, "wrangler-registry"),
      watch: false,
      logFile: join(logs, "wrangler.log"),
    });
    stops.push(() => worker.stop());
    const workerUrl = await worker.serving(async (url) => {
      const r = await fetch(`${url}/health`);
      if (r.status !== 200) return false;
      const h = (await r.json()) as { sink?: { kind?: string } };
      return h.sink?.kind === "upstash";
    }, WORKER_READY_MS);
    log(`Worker: ${workerUrl} (sink → ${gateway.url})`);

    return {
      postgres,
      kafka,
      gateway,
      connector,
      exporter,
      worker,
      workerUrl,
      gatewayUser,
      gatewayPassword,
      facts: () => ({
        WORKER_URL: workerUrl,
        GATEWAY_URL: gateway.url,
        GATEWAY_USERNAME: gatewayUser,
        GATEWAY_PASSWORD: gatewayPassword,
        DATABASE_URL: postgres.url,
        KAFKA_BROKERS: kafka.bootstrap,
        CONNECTOR_URL: connector.url,
        EXPORTER_URL: exporter.url,
      }),
      groups: () => ({
        worker: worker.pid,
        gateway: gateway.pgid,
        connector: connector.pgid,
        exporter: exporter.pgid,
        kafka: kafka.pgid(),
        postgres: postgres.pgid(),
      }),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Records in the event topics the connector's group has not committed yet. */
export async function connectorLag(bootstrap: string, groupId = "timescale-connector"): Promise<number> {
  const admin = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics: [...EVENT_TOPICS] });
    for (const topic of EVENT_TOPICS) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const e of ends) {
        const c = mine.find((p) => p.partition === e.partition)?.offset ?? "-1";
        const start = BigInt(e.low);
        const done = BigInt(c) < 0n ? start : BigInt(c);
        lag += Number(BigInt(e.high) - done);
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the connector's lag is 0 (at most `ms`); returns the last lag seen. */
export async function waitDrained(bootstrap: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lag = await connectorLag(bootstrap);
    if (lag === 0 || Date.now() > deadline) return lag;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls `url` until it answers 200, at most `ms`. */
export async function waitHealthy(what: string, url: string, ms: number, tail?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  let last: string;
  for (;;) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (r.status === 200) return;
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not healthy within ${ms / 1000} s (${last})${tail ? `:\n${tail()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
