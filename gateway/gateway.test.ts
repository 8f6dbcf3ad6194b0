/**
 * The gateway against a real Apache Kafka (one broker for the file), once per Kafka client
 * implementation: the real `@upstash/kafka` client produces through it and a kafkajs consumer reads
 * exactly those records back; the error answers (401, 400, 413, 404) and that a refused request
 * produces nothing; graceful shutdown answers an in-flight request. Skipped loudly without Java/Maven.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Kafka as UpstashKafka } from "@upstash/kafka";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_ID_HEADER } from "../contracts/events.ts";
import { KAFKA_CLIENTS } from "./kafka/types.ts";
import { startGateway, type RunningGateway } from "./server.ts";
import { readRecords, topicEndOffset } from "./testing/consume.ts";
import { missing, startTestKafka } from "./testing/kafka.ts";

if (missing) console.warn(`\n[gateway.test] SKIPPED: ${missing}\n`);

describe.skipIf(missing !== null)("gateway in front of Apache Kafka", () => {
  let kafka: Awaited<ReturnType<typeof startTestKafka>>;
  beforeAll(async () => {
    kafka = await startTestKafka("gateway-test");
  }, 120_000);
  afterAll(async () => {
    await kafka?.cleanup();
  }, 60_000);

  describe.each(KAFKA_CLIENTS)("with %s", (kafkaClient) => {
    const username = "edge";
    const password = randomBytes(12).toString("base64url");
    const auth = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    let gw: RunningGateway;
    beforeAll(async () => {
      gw = await startGateway({
        brokers: [kafka.bootstrap],
        username,
        password,
        kafkaClient,
        maxBodyBytes: 64 * 1024,
        maxRecordBytes: 16 * 1024,
        log: () => undefined,
      });
    });
    afterAll(async () => {
      await gw?.close();
    });

    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/produce`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json", ...headers },
        body,
      });

    it("the real @upstash/kafka client produces; a consumer reads exactly those records back", async () => {
      const tenant = `t${randomUUID().slice(0, 8)}`;
      const producer = new UpstashKafka({ url: gw.url, username, password }).producer();
      const one = await producer.produce("alerts", "first", {
        key: `${tenant}/web-1`,
        headers: [{ key: EVENT_ID_HEADER, value: `${tenant}:0` }],
        timestamp: 1_700_000_000_000,
      });
      expect(one).toMatchObject({ topic: "alerts", timestamp: 1_700_000_000_000 });
      expect(one.offset).toBeGreaterThanOrEqual(0);

      // 3 hosts × 20 events, interleaved, across two topics, one with a repeated header key.
      const sent = Array.from({ length: 60 }, (_, i) => ({
        topic: i % 2 === 0 ? "metrics" : "predictions",
        key: `${tenant}/web-${i % 3}`,
        value: JSON.stringify({ id: `${tenant}:${i + 1}`, n: i }),
        headers: [
          { key: EVENT_ID_HEADER, value: `${tenant}:${i + 1}` },
          ...(i === 5
            ? [
                { key: "x", value: "a" },
                { key: "x", value: "b" },
              ]
            : []),
        ],
      }));
      const results = await producer.produceMany(sent);
      expect(results).toHaveLength(60);
      for (const [i, r] of results.entries()) expect(r.topic).toBe(sent[i]!.topic);

      const got = await readRecords(kafka.bootstrap, {
        topics: ["metrics", "predictions", "alerts"],
        count: 61,
        filter: (r) => r.key?.startsWith(`${tenant}/`) ?? false,
      });
      expect(got).toHaveLength(61);
      const first = got.find((r) => r.topic === "alerts")!;
      expect(first).toMatchObject({
        value: "first",
        key: `${tenant}/web-1`,
        timestamp: 1_700_000_000_000,
        offset: one.offset,
        partition: one.partition,
        headers: [{ key: EVENT_ID_HEADER, value: `${tenant}:0` }],
      });
      // Every record once, with its key, value, headers and the offset the gateway reported.
      const byId = new Map(got.map((r) => [r.headers[0]?.value, r]));
      for (const [i, s] of sent.entries()) {
        const r = byId.get(`${tenant}:${i + 1}`);
        expect(r, `record ${i}`).toMatchObject({
          topic: s.topic,
          key: s.key,
          value: s.value,
          headers: s.headers,
        });
        expect([r!.partition, r!.offset]).toEqual([results[i]!.partition, results[i]!.offset]);
      }
      // Per key and topic, Kafka holds the records in the order they were sent.
      for (const topic of ["metrics", "predictions"])
        for (let h = 0; h < 3; h++) {
          const key = `${tenant}/web-${h}`;
          const inKafka = got
            .filter((r) => r.topic === topic && r.key === key)
            .sort((a, b) => a.offset - b.offset)
            .map((r) => r.value);
          expect(inKafka).toEqual(sent.filter((s) => s.topic === topic && s.key === key).map((s) => s.value));
        }
    }, 60_000);

    it("places keys like Kafka's Java producer and honours an explicit partition", async () => {
      const res = await post(
        JSON.stringify([
          { topic: "metrics", value: "k", key: "acme/web-1" },
          { topic: "metrics", value: "p", partition: 3 },
        ]),
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as { partition: number }[];
      // murmur2("acme/web-1") mod 4, as org.apache.kafka.clients.producer.internals.BuiltInPartitioner computes it.
      expect(body.map((r) => r.partition)).toEqual([expectedPartition("acme/web-1", 4), 3]);
    });

    it("concurrent requests to one partition: every record lands once, at the offset reported", async () => {
      // @platformatic/kafka loses records on concurrent idempotent sends; the gateway serialises them.
      const before = await topicEndOffset(kafka.bootstrap, "predictions");
      const answers = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const body = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
            topic: "predictions",
            key: "conc/h",
            value: `${i}.${j}`,
          }));
          const res = await post(JSON.stringify(body));
          expect(res.status).toBe(200);
          return (await res.json()) as { partition: number; offset: number }[];
        }),
      );
      const results = answers.flat();
      expect(results).toHaveLength(79);
      expect(new Set(results.map((r) => `${r.partition}/${r.offset}`)).size).toBe(79);
      expect(await topicEndOffset(kafka.bootstrap, "predictions")).toBe(before + 79);
    });

    it("GET /topics lists the allowed topics with their partitions", async () => {
      const res = await fetch(`${gw.url}/topics`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ metrics: 4, predictions: 4, alerts: 4, "dead-letter": 1 });
    });

    it("refuses bad credentials with 401 and WWW-Authenticate", async () => {
      for (const authorization of [
        undefined,
        `Basic ${Buffer.from(`${username}:wrong`).toString("base64")}`,
        "Bearer x",
      ]) {
        const res = await fetch(`${gw.url}/topics`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic /);
        expect(await res.json()).toEqual({ error: expect.any(String), status: 401 });
      }
    });

    it("an unknown topic is a 400 naming it, and nothing of that request is produced", async () => {
      const before = await topicEndOffset(kafka.bootstrap, "metrics");
      const records = [
        ...Array.from({ length: 3 }, () => ({ topic: "metrics", value: "v" })),
        { topic: "x", value: "v" },
      ];
      const res = await post(JSON.stringify(records));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'records[3].topic: unknown topic "x"', status: 400 });
      // A field error deep in a record is named too.
      const bad = await post(
        JSON.stringify([{ topic: "metrics", value: "v", headers: [{ key: "k", value: 1 }] }]),
      );
      expect(await bad.json()).toEqual({
        error: "records[0].headers[0].value: must be a string",
        status: 400,
      });
      // An explicit partition the topic does not have.
      const part = await post(JSON.stringify({ topic: "metrics", value: "v", partition: 4 }));
      expect(part.status).toBe(400);
      expect(((await part.json()) as { error: string }).error).toMatch(/^records\[0\]\.partition: /);
      expect(await topicEndOffset(kafka.bootstrap, "metrics")).toBe(before);
    });

    it("oversize body and oversize record are 413; malformed JSON is 400; other paths 404", async () => {
      const before = await topicEndOffset(kafka.bootstrap, "metrics");
      const big = await post(JSON.stringify([{ topic: "metrics", value: "x".repeat(70 * 1024) }]));
      expect(big.status).toBe(413);
      expect(((await big.json()) as { status: number }).status).toBe(413);
      const record = await post(
        JSON.stringify([
          { topic: "metrics", value: "ok" },
          { topic: "metrics", value: "x".repeat(17 * 1024) },
        ]),
      );
      expect(record.status).toBe(413);
      expect(((await record.json()) as { error: string }).error).toMatch(/^records\[1\]: \d+ bytes/);
      expect(await topicEndOffset(kafka.bootstrap, "metrics")).toBe(before);

      const malformed = await post('[{"topic": "metrics", "value": "x"');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: string }).error).toMatch(/^body: is not valid JSON/);
      const missing = await fetch(`${gw.url}/nope`, { headers: { authorization: auth } });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: "no route GET /nope", status: 404 });
    });

    it("/health is 200 with the broker up; /metrics counts records by topic", async () => {
      const health = await fetch(`${gw.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", broker: { reachable: true, brokers: 1 } });
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      expect(text).toMatch(/^gateway_records_produced_total\{topic="metrics"\} [1-9]\d*$/m);
      expect(text).toMatch(
        /^gateway_http_requests_total\{route="\/produce",method="POST",status="400"\} [1-9]/m,
      );
      expect(text).toMatch(/^gateway_produce_duration_seconds_count\{outcome="ok"\} [1-9]/m);
    });

    it("graceful shutdown answers the request in flight, then refuses connections", async () => {
      const own = await startGateway({
        brokers: [kafka.bootstrap],
        username,
        password,
        kafkaClient,
        log: () => undefined,
      });
      const batch = Array.from({ length: 200 }, (_, i) => ({
        topic: "alerts",
        key: `shutdown/h${i % 5}`,
        value: `v${i}`,
      }));
      // The body arrives in two parts: shutdown starts while the gateway is reading the request.
      const text = new TextEncoder().encode(JSON.stringify(batch));
      let sendRest: () => void = () => undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(text.slice(0, 100));
          sendRest = () => {
            controller.enqueue(text.slice(100));
            controller.close();
          };
        },
      });
      const inFlight = fetch(`${own.url}/produce`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      for (let i = 0; i < 500 && own.inFlight() === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(own.inFlight()).toBe(1);
      const closed = own.close();
      await new Promise((r) => setTimeout(r, 50));
      sendRest();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toHaveLength(200);
      await closed;
      await expect(fetch(`${own.url}/health`)).rejects.toThrow();
    });
  });
});

/** Java's BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % n, via kafkajs' Java-compatible partitioner. */
function expectedPartition(key: string, n: number): number {
  return javaCompatible({
    topic: "metrics",
    partitionMetadata: Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    })),
    message: { key, value: "" },
  });
}
const javaCompatible = Partitioners.DefaultPartitioner();
