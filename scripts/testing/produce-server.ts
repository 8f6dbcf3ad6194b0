/**
 * TEST ENDPOINT, not a gateway: an in-memory HTTP server speaking just enough of the Upstash Kafka
 * REST protocol for the sink tests — what `@upstash/kafka` v1.3.5 actually sends. There is no Kafka
 * behind it; messages live in an array until `reset`. The real gateway (in front of Apache Kafka) is a
 * separate piece of work.
 *
 * Protocol (all JSON; errors are `{error, status}` with the same HTTP status):
 * - `POST /produce` — body is one message or an array of `{topic, value: string, key?, partition?,
 *   timestamp?, headers?: [{key, value}]}`; answers an array with one `{topic, partition, offset,
 *   timestamp}` per message, in order (the client's `produce` reads element 0, `produceMany` all).
 *   The client never uses the `/produce/<topic>[/<message>]` forms, so they are not served.
 * - `GET /topics` — `{"<topic>": <partition count>}`.
 * Both require HTTP Basic auth; unknown topics are a 400.
 *
 * Control endpoints (no auth, for tests): `POST /_control/fail {count, status, after?, body?,
 * record?}` — the next `count` produce requests (after skipping `after`) answer `status`, with `body`
 * verbatim if given (e.g. an HTML proxy page) or `{error, status}`; with `record: true` the messages
 * are stored first (a write whose acknowledgement got lost). `POST /_control/hang {count, after?}` —
 * the next produce requests get no answer until reset/close. `GET /_control/received` —
 * `{produceRequests, messages}`. `POST /_control/reset` — clears messages, offsets and rules.
 *
 * Binds 127.0.0.1 only. CLI: `tsx scripts/testing/produce-server.ts [--port N] [--username U]
 * [--password P]` prints the base URL on stdout and runs until SIGINT/SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";

export const DEFAULT_USERNAME = "test";
export const DEFAULT_PASSWORD = "test-password";
/** Topic → partition count. */
export const DEFAULT_TOPICS: Readonly<Record<string, number>> = { metrics: 1, predictions: 1, alerts: 1 };
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface ProduceServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  username?: string;
  password?: string;
  /** Topic → partition count (default: metrics, predictions, alerts with 1 partition each). */
  topics?: Readonly<Record<string, number>>;
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch ms: the message's own timestamp, else the time it was received. */
  timestamp: number;
  key: string | null;
  value: string;
  headers: { key: string; value: string }[];
}

export interface FailOptions {
  /** Produce requests to let through before the failures start (default 0). */
  after?: number;
  /** Raw response body instead of `{error, status}`. */
  body?: string;
  /** Store the messages before failing: the write happened, the acknowledgement did not. */
  record?: boolean;
}

export interface ProduceServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  username: string;
  password: string;
  /** Copies of the stored messages, in arrival order. */
  received(): ReceivedMessage[];
  /** `POST /produce` requests seen, including failed, hung and unauthorised ones. */
  produceRequests(): number;
  failNext(count: number, status: number, options?: FailOptions): void;
  /** The next `count` produce requests (after skipping `after`) never get an answer. */
  hangNext(count: number, options?: { after?: number }): void;
  /** Clears messages, offsets, counters and rules; drops hung requests. */
  reset(): void;
  close(): Promise<void>;
}

const Header = z.object({ key: z.string(), value: z.string() });
const Message = z.object({
  topic: z.string().min(1),
  value: z.string(),
  key: z.string().optional(),
  partition: z.number().int().nonnegative().optional(),
  timestamp: z.number().int().nonnegative().optional(),
  headers: z.array(Header).optional(),
});
// One message or an array; picked by shape rather than z.union so a 400 names the offending field.
const ProduceBody = z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(Message).min(1));
const FailBody = z.object({
  count: z.number().int().positive(),
  status: z.number().int().min(100).max(599),
  after: z.number().int().nonnegative().optional(),
  body: z.string().optional(),
  record: z.boolean().optional(),
});
const HangBody = z.object({
  count: z.number().int().positive(),
  after: z.number().int().nonnegative().optional(),
});

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Rule {
  skip: number;
  remaining: number;
}

export async function startProduceServer(options: ProduceServerOptions = {}): Promise<ProduceServer> {
  const username = options.username ?? DEFAULT_USERNAME;
  const password = options.password ?? DEFAULT_PASSWORD;
  const topics = options.topics ?? DEFAULT_TOPICS;
  const expectedAuth = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;

  let messages: ReceivedMessage[] = [];
  let offsets = new Map<string, number>();
  let produceRequests = 0;
  let roundRobin = 0;
  let fail: (Rule & { status: number; body: string | undefined; record: boolean }) | undefined;
  let hang: Rule | undefined;
  const hung = new Set<ServerResponse>();

  /** Consumes one request from a rule; true when the rule applies to this request. */
  const take = (rule: Rule | undefined): boolean => {
    if (rule === undefined || rule.remaining === 0) return false;
    if (rule.skip > 0) {
      rule.skip--;
      return false;
    }
    rule.remaining--;
    return true;
  };

  const partitionFor = (msg: z.infer<typeof Message>, count: number): number => {
    if (msg.partition !== undefined) {
      if (msg.partition >= count)
        throw new HttpFailure(400, `topic ${msg.topic} has no partition ${msg.partition}`);
      return msg.partition;
    }
    if (msg.key !== undefined) return fnv1a(msg.key) % count;
    return roundRobin++ % count;
  };

  const store = (batch: z.infer<typeof Message>[]) => {
    // Validate the whole request before storing any of it, like a single produce call would.
    const placed = batch.map((msg) => {
      const count = topics[msg.topic];
      if (count === undefined) throw new HttpFailure(400, `unknown topic: ${msg.topic}`);
      return { msg, partition: partitionFor(msg, count) };
    });
    return placed.map(({ msg, partition }) => {
      const tp = `${msg.topic}/${partition}`;
      const offset = offsets.get(tp) ?? 0;
      offsets.set(tp, offset + 1);
      const stored: ReceivedMessage = {
        topic: msg.topic,
        partition,
        offset,
        timestamp: msg.timestamp ?? Date.now(),
        key: msg.key ?? null,
        value: msg.value,
        headers: msg.headers ?? [],
      };
      messages.push(stored);
      return { topic: stored.topic, partition, offset, timestamp: stored.timestamp };
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = `${req.method ?? "GET"} ${path}`;

    if (path.startsWith("/_control/")) {
      switch (route) {
        case "POST /_control/fail": {
          const rule = parseJson(FailBody, await readBody(req));
          fail = {
            skip: rule.after ?? 0,
            remaining: rule.count,
            status: rule.status,
            body: rule.body,
            record: rule.record ?? false,
          };
          return sendJson(res, 200, { ok: true });
        }
        case "POST /_control/hang": {
          const rule = parseJson(HangBody, await readBody(req));
          hang = { skip: rule.after ?? 0, remaining: rule.count };
          return sendJson(res, 200, { ok: true });
        }
        case "GET /_control/received":
          return sendJson(res, 200, { produceRequests, messages });
        case "POST /_control/reset":
          reset();
          return sendJson(res, 200, { ok: true });
        default:
          throw new HttpFailure(404, `no control route ${route}`);
      }
    }

    if (route === "POST /produce") produceRequests++;
    if (req.headers.authorization !== expectedAuth) {
      res.setHeader("WWW-Authenticate", 'Basic realm="produce-server"');
      throw new HttpFailure(401, "unauthorized");
    }

    switch (route) {
      case "GET /topics":
        return sendJson(res, 200, topics);
      case "POST /produce": {
        const raw = await readBody(req);
        if (take(hang)) {
          hung.add(res);
          return;
        }
        const batch = parseJson(ProduceBody, raw);
        if (take(fail) && fail !== undefined) {
          if (fail.record) store(batch);
          if (fail.body !== undefined) {
            res.writeHead(fail.status, { "content-type": "text/html" }).end(fail.body);
            return;
          }
          throw new HttpFailure(fail.status, "injected failure");
        }
        return sendJson(res, 200, store(batch));
      }
      default:
        throw new HttpFailure(404, `no route ${route}`);
    }
  };

  const reset = () => {
    messages = [];
    offsets = new Map();
    produceRequests = 0;
    roundRobin = 0;
    fail = undefined;
    hang = undefined;
    for (const res of hung) res.destroy();
    hung.clear();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpFailure ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, status, { error: message, status });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("produce-server: not listening on TCP");
  const { port } = address;

  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    received: () => messages.map((m) => ({ ...m, headers: m.headers.map((h) => ({ ...h })) })),
    produceRequests: () => produceRequests,
    failNext: (count, status, opts = {}) => {
      fail = {
        skip: opts.after ?? 0,
        remaining: count,
        status,
        body: opts.body,
        record: opts.record ?? false,
      };
    },
    hangNext: (count, opts = {}) => {
      hang = { skip: opts.after ?? 0, remaining: count };
    },
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        reset();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpFailure(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson<T>(schema: z.ZodType<T>, raw: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HttpFailure(400, "body is not JSON");
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new HttpFailure(
      400,
      issue ? `${issue.path.join(".") || "(body)"}: ${issue.message}` : "invalid body",
    );
  }
  return result.data;
}

/** 32-bit FNV-1a: a stable key → partition mapping (Kafka uses murmur2; any stable hash will do here). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: "string" }, username: { type: "string" }, password: { type: "string" } },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const server = await startProduceServer({ port, username: values.username, password: values.password });
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
