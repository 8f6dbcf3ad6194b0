/**
 * Delivers outbox events to an Upstash-Kafka-REST-compatible gateway through `@upstash/kafka`.
 *
 * What the client (v1.3.5, dist/index.mjs) does on the wire for `producer().produceMany(msgs)`:
 * `POST <url>/produce` with `Content-Type: application/json`, `authorization: Basic base64(user:pass)`,
 * `keepalive: true`, body = JSON array `[{topic, value: string, key?, partition?, timestamp?,
 * headers?: [{key, value}]}]`; it expects a JSON array with one `{topic, partition, offset, timestamp}`
 * per message, in order. On a non-2xx answer it throws `UpstashError` whose `status`/`error` come from
 * the *body* (`{error, status}`), not from the HTTP status line; a non-JSON body surfaces as the
 * `SyntaxError` of `response.json()`. It calls the global `fetch` (so it runs in workerd unchanged, and
 * no fetch can be injected) and accepts no AbortSignal.
 *
 * Retries: by default the client retries every failure — 401s included — 5 more times, sleeping
 * 0.5, 1, 2, 4, 8 s (15.5 s) in between. The public API offers no switch, but its internal HTTP client
 * honours a per-request `retries` field that the producer never sets; we wrap that internal client so
 * every request carries `retries: 0` (see {@link producerWithoutRetries}). Retrying is the DO alarm's
 * job (with jittered backoff, without blocking the object). upstash.test.ts proves one HTTP request
 * per failed chunk, so a client update that moves these internals fails the tests instead of quietly
 * bringing the 15 s retry loop back.
 *
 * Each event becomes one Kafka record: key `<tenant>/<host>`, header `event-id`, timestamp = event
 * time in epoch ms (Upstash's REST docs use ms; the client's "seconds" comment is wrong), value =
 * JSON envelope `{id, topic, key, ts, payload}`. Up to `maxBatchSize` events go in one request, in
 * order; the gateway must produce them in array order for per-host order to hold.
 */
import { Kafka, UpstashError, type Producer } from "@upstash/kafka";
import { z } from "zod";
import { GatewayPasswordSchema, GatewayUrlSchema, GatewayUsernameSchema } from "./config.ts";
import { EVENT_ID_HEADER } from "../../contracts/events.ts";
import { SinkError, toEnvelope, type DeliveringSink, type OutboxEvent, type SinkErrorCode } from "./types.ts";

const UpstashSinkOptionsSchema = z.object({
  url: GatewayUrlSchema,
  username: GatewayUsernameSchema,
  password: GatewayPasswordSchema,
  /** Bound on one HTTP request, ms. */
  timeoutMs: z.number().int().positive().max(120_000).default(10_000),
  /** Events per HTTP request. */
  maxBatchSize: z.number().int().positive().max(10_000).default(500),
});

export type UpstashSinkOptions = z.input<typeof UpstashSinkOptionsSchema>;

/** The produce record the client sends (its own `ProduceRequest` type is not exported). */
type ProduceRecord = Parameters<Producer["produceMany"]>[0][number];

/** What a compatible gateway answers per record, in request order. */
const ProduceResultsSchema = z.array(
  z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() }),
);

/**
 * @throws TypeError naming the first bad option (a programming error: the env path validates the
 *   same fields earlier, in `parseSinkConfig`, and names the env variable).
 *
 * @example
 * const sink = createUpstashSink({ url: "https://gw.example", username: "edge", password: secret });
 * await sink.deliver(events); // throws SinkError on failure; error.delivered leading events are done
 */
export function createUpstashSink(options: UpstashSinkOptions): DeliveringSink {
  const parsed = UpstashSinkOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(
      `createUpstashSink: ${issue ? `${issue.path.join(".")} ${issue.message}` : "bad options"}`,
    );
  }
  const { url, username, password, timeoutMs, maxBatchSize } = parsed.data;
  const producer = producerWithoutRetries(new Kafka({ url, username, password }));

  return {
    kind: "upstash",
    async deliver(events: readonly OutboxEvent[]): Promise<void> {
      // Serialise first: a poison event should not stop the events before it from going out.
      const records: ProduceRecord[] = [];
      let poison: { index: number; cause: unknown } | undefined;
      for (const [index, event] of events.entries()) {
        try {
          records.push(toRecord(event));
        } catch (cause) {
          poison = { index, cause };
          break;
        }
      }

      let delivered = 0;
      for (let start = 0; start < records.length; start += maxBatchSize) {
        const chunk = records.slice(start, start + maxBatchSize);
        try {
          const results = await withTimeout(producer.produceMany(chunk), timeoutMs);
          checkResults(results, chunk);
        } catch (error) {
          throw toSinkError(error, delivered, timeoutMs);
        }
        delivered += chunk.length;
      }

      if (poison !== undefined) {
        const event = events[poison.index];
        throw new SinkError(
          "unserializable",
          `event ${event?.id ?? poison.index} has a payload JSON.stringify rejects: ${messageOf(poison.cause)}`,
          { delivered, cause: poison.cause },
        );
      }
    },
  };
}

function toRecord(event: OutboxEvent): ProduceRecord {
  return {
    topic: event.topic,
    key: event.key,
    timestamp: event.timestampMs,
    headers: [{ key: EVENT_ID_HEADER, value: event.id }],
    // A string value is sent as is; the client would JSON.stringify anything else itself.
    value: JSON.stringify(toEnvelope(event)),
  };
}

/** The slice of the client's internal HTTP client we rely on (class `HttpClient` in its types). */
interface InternalHttpClient {
  post(request: {
    path: string[];
    body?: unknown;
    headers?: Record<string, string>;
    retries?: number;
  }): Promise<unknown>;
}

function isInternalHttpClient(value: unknown): value is InternalHttpClient {
  return typeof value === "object" && value !== null && "post" in value && typeof value.post === "function";
}

/**
 * A producer whose requests are each sent once. `Producer` keeps its HTTP client in a (TypeScript-
 * private) `client` field and calls `client.post({path, body})`; `HttpClient.request` loops
 * `retries ?? 5` times, so passing `retries: 0` through a wrapper gives exactly one attempt.
 * Throws at construction if a client update moved these internals.
 */
function producerWithoutRetries(kafka: Kafka): Producer {
  const producer = kafka.producer();
  const inner: unknown = Reflect.get(producer, "client");
  if (!isInternalHttpClient(inner)) {
    throw new TypeError(
      "@upstash/kafka internals changed: Producer.client.post not found; cannot disable retries",
    );
  }
  const once: InternalHttpClient = { post: (request) => inner.post({ ...request, retries: 0 }) };
  Reflect.set(producer, "client", once);
  return producer;
}

class Timeout extends Error {}

/**
 * The client takes no AbortSignal, so the bound is a race: on timeout the request is abandoned, not
 * cancelled, and may still land — harmless under at-least-once (consumers dedupe by id). The race
 * keeps a handler on the abandoned promise, so its late rejection is not an unhandled one.
 */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout()), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

class BadResponse extends Error {}

function checkResults(results: unknown, chunk: readonly ProduceRecord[]): void {
  const parsed = ProduceResultsSchema.safeParse(results);
  if (!parsed.success)
    throw new BadResponse("produce response is not an array of {topic, partition, offset}");
  if (parsed.data.length !== chunk.length) {
    throw new BadResponse(`produce response has ${parsed.data.length} results for ${chunk.length} messages`);
  }
  for (const [i, result] of parsed.data.entries()) {
    if (result.topic !== chunk[i]?.topic) {
      throw new BadResponse(`produce result ${i} is for topic ${result.topic}, sent ${chunk[i]?.topic}`);
    }
  }
}

function codeForStatus(status: number): SinkErrorCode {
  if (status === 429) return "rate_limited";
  if (status === 408 || (status >= 500 && status <= 599)) return "unavailable";
  if (status === 401 || status === 403) return "unauthorized";
  if (status >= 400 && status <= 499) return "rejected";
  return "bad_response";
}

function toSinkError(error: unknown, delivered: number, timeoutMs: number): SinkError {
  if (error instanceof Timeout) {
    return new SinkError("timeout", `gateway did not answer within ${timeoutMs} ms`, { delivered });
  }
  if (error instanceof BadResponse) return new SinkError("bad_response", error.message, { delivered });
  if (error instanceof UpstashError) {
    // `status` is read from the error body; a gateway that omits it leaves us guessing.
    const status: unknown = error.status;
    if (typeof status !== "number") {
      return new SinkError("bad_response", `gateway error without a status: ${truncate(error.message)}`, {
        delivered,
        cause: error,
      });
    }
    return new SinkError(codeForStatus(status), `gateway answered ${status}: ${truncate(error.message)}`, {
      delivered,
      status,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    // response.json() failed: e.g. an HTML 502 page from a proxy. The status is lost inside the client.
    return new SinkError(
      "bad_response",
      `gateway answered with a body that is not JSON: ${truncate(error.message)}`,
      {
        delivered,
        cause: error,
      },
    );
  }
  // fetch rejected: refused, reset, DNS, TLS (Node: TypeError "fetch failed" with a cause).
  return new SinkError("network", `request to the gateway failed: ${messageOf(error)}`, {
    delivered,
    cause: error,
  });
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return truncate(String(error));
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return truncate(`${error.message}${cause}`);
}

const truncate = (s: string, n = 300): string => (s.length > n ? `${s.slice(0, n)}…` : s);
