/**
 * `startGateway(config)`: the gateway as a Node HTTP server on `@hono/node-server`, for `main.ts`,
 * tests, benchmarks and the local stack.
 *
 * The broker need not be up at start: the gateway listens anyway, `/health` answers 503 and produce
 * requests 503 until Kafka answers (the edge's outbox retries). `close()` is the graceful shutdown:
 * stop accepting connections, let in-flight requests finish (bounded by `shutdownTimeoutMs`, then
 * connections are cut), flush queued sends and disconnect the producer.
 */
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import { createApp, type AppState } from "./app.ts";
import { resolveConfig, type GatewayConfig, type ResolvedGatewayConfig } from "./config.ts";
import { createKafkaClient } from "./kafka/index.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { GatewayProducer } from "./producer.ts";

export interface RunningGateway {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  config: ResolvedGatewayConfig;
  metrics: GatewayMetrics;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Graceful shutdown (idempotent); resolves when the producer is disconnected. */
  close(): Promise<void>;
}

/**
 * @throws ConfigError naming a bad field; the listen error (e.g. EADDRINUSE) as is.
 *
 * @example
 * const gw = await startGateway({ brokers: ["127.0.0.1:9092"], username: "edge", password: secret });
 * // POST `${gw.url}/produce` with Basic auth … then:
 * await gw.close();
 */
export async function startGateway(input: GatewayConfig): Promise<RunningGateway> {
  const config = resolveConfig(input);
  const log = config.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const client = createKafkaClient(config.kafkaClient, {
    brokers: config.brokers,
    clientId: config.clientId,
    requestTimeoutMs: config.requestTimeoutMs,
    connectionTimeoutMs: Math.min(config.requestTimeoutMs, 3000),
  });
  const metrics = createMetrics(config.topics);
  const producer = new GatewayProducer(client, {
    allowedTopics: config.topics,
    sendTimeoutMs: 3 * config.requestTimeoutMs,
    onSend: ({ ok, seconds }) => metrics.produceSeconds.observe({ outcome: ok ? "ok" : "error" }, seconds),
  });
  const state: AppState = { draining: false, inFlight: 0 };
  const app = createApp({ config, producer, metrics, state, log });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (e) => log(`gateway: server error: ${e.message}`));
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  // Tell the operator early when Kafka is not there (the gateway still serves, with 503s).
  producer.topics().then(
    (topics) => {
      const missing = config.topics.filter((t) => !topics.has(t));
      if (missing.length > 0)
        log(`gateway: topics not on the broker (produce to them is a 400): ${missing.join(", ")}`);
    },
    (e: unknown) => log(`gateway: Kafka not reachable yet (${e instanceof Error ? e.message : String(e)})`),
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      state.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (state.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Keep-alive connections that answered their last request: nothing more will come on them.
      server.closeAllConnections();
      await closed;
      await producer.close(Math.max(1000, deadline - Date.now()));
    })());

  return { url: `http://${host}:${port}`, port, config, metrics, inFlight: () => state.inFlight, close };
}
