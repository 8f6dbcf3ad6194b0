/**
 * The gateway's HTTP routes (Hono):
 *
 * | route | auth | |
 * | --- | --- | --- |
 * | `POST /produce` | Basic | one record or an array → one `{topic, partition, offset, timestamp}` per record, after the broker acknowledged all |
 * | `GET /topics` | Basic | `{"<topic>": partitions}` for the allowed topics that exist |
 * | `GET /health` | none | 200 `{status: "ok", broker}` when a metadata request succeeds, else 503 |
 * | `GET /metrics` | none (or Basic with `metricsAuth`) | Prometheus text |
 *
 * Errors: `{"error", "status"}` with the same HTTP status ({@link GatewayError}); `handleError` is the
 * only place an error becomes a response.
 */
import { Hono, type Context } from "hono";
import { basicAuthChecker } from "./auth.ts";
import type { ResolvedGatewayConfig } from "./config.ts";
import { GatewayError } from "./errors.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { GatewayProducer } from "./producer.ts";
import { parseProduceBody, produceBodySchema } from "./protocol.ts";

export interface AppState {
  /** Set on shutdown: new requests get 503 and `Connection: close`. */
  draining: boolean;
  inFlight: number;
}

const ROUTES: Record<string, readonly string[]> = {
  "/produce": ["POST"],
  "/topics": ["GET"],
  "/health": ["GET"],
  "/metrics": ["GET"],
};

export function createApp(deps: {
  config: ResolvedGatewayConfig;
  producer: GatewayProducer;
  metrics: GatewayMetrics;
  state: AppState;
  log: (line: string) => void;
}): Hono {
  const { config, producer, metrics, state, log } = deps;
  const authorized = basicAuthChecker(config.username, config.password);
  const schema = produceBodySchema(config.topics);
  const app = new Hono();

  const requireAuth = (c: Context): void => {
    if (!authorized(c.req.header("authorization")))
      throw new GatewayError("unauthorized", "missing or wrong credentials (HTTP Basic)");
  };

  app.use(async (c, next) => {
    state.inFlight++;
    try {
      if (state.draining) {
        c.header("Connection", "close");
        throw new GatewayError("unavailable", "the gateway is shutting down");
      }
      await next();
    } finally {
      state.inFlight--;
      const route = ROUTES[c.req.path] ? c.req.path : "other";
      metrics.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
    }
  });

  app.post("/produce", async (c) => {
    requireAuth(c);
    const json = await readJson(c.req.raw, config.maxBodyBytes);
    const records = parseProduceBody(schema, json, config.maxRecordBytes);
    const placed = await producer.place(records);
    const results = await producer.produce(placed);
    for (const r of results) metrics.records.inc({ topic: r.topic });
    return c.json(results);
  });

  app.get("/topics", async (c) => {
    requireAuth(c);
    return c.json(Object.fromEntries(await producer.topics()));
  });

  app.get("/health", async (c) => {
    try {
      const { brokers } = await producer.client.ping();
      return c.json({ status: "ok", broker: { reachable: true, brokers, client: producer.client.name } });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      metrics.errors.inc({ kind: "unavailable" });
      return c.json(
        {
          error: `Kafka unreachable: ${message}`,
          status: 503,
          broker: { reachable: false, client: producer.client.name },
        },
        503,
      );
    }
  });

  app.get("/metrics", async (c) => {
    if (config.metricsAuth) requireAuth(c);
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  });

  app.notFound((c) => {
    const allowed = ROUTES[c.req.path];
    if (allowed) {
      c.header("Allow", allowed.join(", "));
      return errorResponse(
        c,
        new GatewayError(
          "method_not_allowed",
          `${c.req.method} ${c.req.path} is not served; use ${allowed.join(", ")}`,
        ),
      );
    }
    return errorResponse(c, new GatewayError("not_found", `no route ${c.req.method} ${c.req.path}`));
  });

  app.onError((e, c) => {
    if (e instanceof GatewayError) return errorResponse(c, e);
    log(
      `gateway: internal error on ${c.req.method} ${c.req.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return errorResponse(c, new GatewayError("internal", "internal error"));
  });

  const errorResponse = (c: Context, e: GatewayError): Response => {
    metrics.errors.inc({ kind: e.code });
    if (e.code === "unauthorized")
      c.header("WWW-Authenticate", 'Basic realm="kafka-gateway", charset="UTF-8"');
    return c.json({ error: e.message, status: e.status }, e.status);
  };

  return app;
}

/**
 * Reads a body of at most `maxBytes` (checked against Content-Length and while streaming) as UTF-8
 * JSON. @throws GatewayError `too_large` (413) or `bad_request` (400).
 */
async function readJson(req: Request, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new GatewayError("too_large", `body larger than the cap of ${maxBytes} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await req.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new GatewayError("bad_request", "body: is not valid UTF-8");
  }
  if (text.trim() === "")
    throw new GatewayError("bad_request", "body: is empty; send a record or an array of records");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GatewayError(
      "bad_request",
      `body: is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}
