/**
 * The upstash sink against a real HTTP server speaking the Upstash Kafka REST protocol
 * (scripts/testing/produce-server.ts — a test endpoint, no Kafka behind it).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startProduceServer,
  type ProduceServer,
  type ReceivedMessage,
} from "../../scripts/testing/produce-server.ts";
import { EVENT_ID_HEADER, EVENT_TOPICS, EventEnvelopeSchema } from "../../contracts/events.ts";
import { SinkError, type OutboxEvent } from "./types.ts";
import { createUpstashSink, type UpstashSinkOptions } from "./upstash.ts";

let server: ProduceServer;

beforeAll(async () => {
  server = await startProduceServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.reset();
});

function sinkFor(overrides: Partial<UpstashSinkOptions> = {}) {
  return createUpstashSink({
    url: server.url,
    username: server.username,
    password: server.password,
    ...overrides,
  });
}

function makeEvents(n: number, from = 0): OutboxEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      id: `inc7-${i}`,
      topic: EVENT_TOPICS[i % EVENT_TOPICS.length] ?? "metrics",
      key: `acme/host-${i % 2}`,
      timestampMs: 1_780_000_000_000 + i * 15_000,
      payload: { seq: i, cpu: 0.25 + i / 100, note: i === 1 ? "ünïcode ✓" : null },
    };
  });
}

function decode(message: ReceivedMessage) {
  const envelope = EventEnvelopeSchema.parse(JSON.parse(message.value));
  const headerIds = message.headers.filter((h) => h.key === EVENT_ID_HEADER).map((h) => h.value);
  return { envelope, headerIds };
}

async function failure(delivery: Promise<void>): Promise<SinkError> {
  try {
    await delivery;
  } catch (error) {
    if (error instanceof SinkError) return error;
    throw error;
  }
  throw new Error("expected deliver to throw SinkError");
}

describe("upstash sink", () => {
  it("delivers events in order, each with its topic, key, timestamp, event-id header and envelope", async () => {
    const events = makeEvents(7);
    await sinkFor().deliver(events);

    expect(server.produceRequests()).toBe(1);
    const received = server.received();
    expect(received).toHaveLength(events.length);
    for (const [i, event] of events.entries()) {
      const message = received[i];
      if (message === undefined) throw new Error(`message ${i} missing`);
      expect(message.topic).toBe(event.topic);
      expect(message.key).toBe(event.key);
      expect(message.timestamp).toBe(event.timestampMs);
      const { envelope, headerIds } = decode(message);
      expect(headerIds).toEqual([event.id]);
      expect(envelope).toEqual({
        id: event.id,
        topic: event.topic,
        key: event.key,
        ts: event.timestampMs,
        payload: event.payload,
      });
    }
  });

  it("sends nothing for an empty batch", async () => {
    await sinkFor().deliver([]);
    expect(server.produceRequests()).toBe(0);
  });

  it("a 503 is retryable, costs exactly one request (client retries off), and the retry delivers all", async () => {
    const events = makeEvents(5);
    const sink = sinkFor();
    server.failNext(2, 503);

    for (const attempt of [1, 2]) {
      const error = await failure(sink.deliver(events));
      expect(error).toMatchObject({ code: "unavailable", retryable: true, status: 503, delivered: 0 });
      expect(server.produceRequests()).toBe(attempt);
    }
    expect(server.received()).toEqual([]);

    await sink.deliver(events);
    expect(server.produceRequests()).toBe(3);
    expect(server.received().map((m) => decode(m).envelope.id)).toEqual(events.map((e) => e.id));
  });

  it("a write whose acknowledgement was lost arrives twice after the retry; the id dedupes it", async () => {
    const events = makeEvents(4);
    const sink = sinkFor();
    server.failNext(1, 502, { record: true });

    const error = await failure(sink.deliver(events));
    expect(error).toMatchObject({ code: "unavailable", retryable: true, delivered: 0 });
    await sink.deliver(events);

    const received = server.received().map(decode);
    expect(received).toHaveLength(2 * events.length);
    for (const { envelope, headerIds } of received) expect(headerIds).toEqual([envelope.id]);
    const firstSeen = new Set<string>();
    for (const { envelope } of received) firstSeen.add(envelope.id); // a Set keeps first-insertion order
    expect([...firstSeen]).toEqual(events.map((e) => e.id));
  });

  it.each([
    [429, "rate_limited", true],
    [500, "unavailable", true],
    [504, "unavailable", true],
    [408, "unavailable", true],
    [400, "rejected", false],
    [403, "unauthorized", false],
    [413, "rejected", false],
  ] as const)("classifies HTTP %i as %s (retryable: %s)", async (status, code, retryable) => {
    server.failNext(1, status);
    const error = await failure(sinkFor().deliver(makeEvents(2)));
    expect(error).toMatchObject({ code, retryable, status, delivered: 0 });
    expect(server.produceRequests()).toBe(1);
  });

  it("a wrong password is a non-retryable 401 after a single request", async () => {
    const error = await failure(sinkFor({ password: "wrong-password" }).deliver(makeEvents(3)));
    expect(error).toMatchObject({ code: "unauthorized", retryable: false, status: 401, delivered: 0 });
    expect(server.produceRequests()).toBe(1);
    expect(server.received()).toEqual([]);
  });

  it("an unknown topic is the gateway's 400, non-retryable", async () => {
    const narrow = await startProduceServer({ topics: { metrics: 1, predictions: 1 } });
    try {
      const sink = createUpstashSink({
        url: narrow.url,
        username: narrow.username,
        password: narrow.password,
      });
      const error = await failure(sink.deliver(makeEvents(3)));
      expect(error).toMatchObject({ code: "rejected", retryable: false, status: 400, delivered: 0 });
      expect(error.message).toContain("unknown topic: alerts");
      expect(narrow.received()).toEqual([]);
    } finally {
      await narrow.close();
    }
  });

  it("connection refused is a retryable network error", async () => {
    const gone = await startProduceServer();
    await gone.close();
    const sink = createUpstashSink({ url: gone.url, username: gone.username, password: gone.password });
    const error = await failure(sink.deliver(makeEvents(2)));
    expect(error).toMatchObject({ code: "network", retryable: true, delivered: 0, status: undefined });
  });

  it("a gateway that never answers is a retryable timeout", async () => {
    server.hangNext(1);
    const error = await failure(sinkFor({ timeoutMs: 200 }).deliver(makeEvents(2)));
    expect(error).toMatchObject({ code: "timeout", retryable: true, delivered: 0 });
    expect(server.produceRequests()).toBe(1);
  });

  it("a non-JSON error page (proxy) and a 200 with the wrong result count are retryable bad responses", async () => {
    server.failNext(1, 502, { body: "<html><body>502 Bad Gateway</body></html>" });
    expect(await failure(sinkFor().deliver(makeEvents(2)))).toMatchObject({
      code: "bad_response",
      retryable: true,
    });

    server.failNext(1, 200, { body: "[]" });
    const error = await failure(sinkFor().deliver(makeEvents(2)));
    expect(error).toMatchObject({ code: "bad_response", retryable: true, delivered: 0 });
    expect(error.message).toContain("0 results for 2 messages");
  });

  it("chunks large batches and reports the chunks delivered before a failure", async () => {
    const events = makeEvents(8);
    const sink = sinkFor({ maxBatchSize: 3 });
    server.failNext(1, 503, { after: 2 });

    const error = await failure(sink.deliver(events));
    expect(error).toMatchObject({ code: "unavailable", retryable: true, delivered: 6 });
    expect(server.produceRequests()).toBe(3);
    expect(server.received().map((m) => decode(m).envelope.id)).toEqual(events.slice(0, 6).map((e) => e.id));

    // The DO resumes after the acknowledged prefix: everything arrives once, in order.
    await sink.deliver(events.slice(error.delivered));
    expect(server.received().map((m) => decode(m).envelope.id)).toEqual(events.map((e) => e.id));
    expect(server.produceRequests()).toBe(4);
  });

  it("delivers the events before an unserialisable payload, then points at it", async () => {
    const events = makeEvents(5);
    const poisoned = events.map((e, i) => (i === 3 ? { ...e, payload: { big: 10n } } : e));
    const error = await failure(sinkFor({ maxBatchSize: 2 }).deliver(poisoned));
    expect(error).toMatchObject({ code: "unserializable", retryable: false, delivered: 3 });
    expect(error.message).toContain("inc7-3");
    expect(server.received().map((m) => decode(m).envelope.id)).toEqual(["inc7-0", "inc7-1", "inc7-2"]);
  });

  it("refuses options the client cannot use", () => {
    const base = { url: server.url, username: "u", password: "p" };
    expect(() => createUpstashSink({ ...base, url: "ftp://127.0.0.1" })).toThrow(/url.*http\(s\)/);
    expect(() => createUpstashSink({ ...base, password: "pässwort" })).toThrow(/password/);
    expect(() => createUpstashSink({ ...base, maxBatchSize: 0 })).toThrow(/maxBatchSize/);
  });
});
