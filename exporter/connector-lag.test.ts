/**
 * The connector-lag reader against a real Apache Kafka (scripts/kafka; skipped, loudly, without Java
 * and Maven): records the group has not committed, summed over the event topics — from the low offset
 * for a group that never committed. And without a broker: it gives up within its timeout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_TOPICS } from "../contracts/events.ts";
import { createTopics, kafkaToolsMissing, startKafka, type RunningKafka } from "../scripts/kafka/kafka.ts";
import { freePort } from "../scripts/lib/ports.ts";
import { kafkaLagReader } from "./connector-lag.ts";

const missing = kafkaToolsMissing();
if (missing) console.warn(`\n[connector-lag.test] SKIPPED: ${missing}\n`);

describe.skipIf(missing !== null)("connector lag on a real Kafka", () => {
  const dir = mkdtempSync(join(tmpdir(), "exporter-lag-"));
  let kafka: RunningKafka;
  beforeAll(async () => {
    kafka = await startKafka({ dataDir: join(dir, "kafka") });
    await createTopics(
      kafka,
      EVENT_TOPICS.map((name) => ({ name, partitions: 2 })),
    );
    const producer = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const records = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await producer.send({ topic: "metrics", messages: records(7).map((r) => ({ ...r, partition: 0 })) });
    await producer.send({ topic: "alerts", messages: records(3).map((r) => ({ ...r, partition: 1 })) });
    await producer.disconnect();
  }, 180_000);
  afterAll(async () => {
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("counts what each group has not committed", async () => {
    const admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: "half-done",
      topic: "metrics",
      partitions: [{ partition: 0, offset: "5" }],
    });
    await admin.disconnect();
    const reader = kafkaLagReader({
      brokers: [kafka.bootstrap],
      groups: ["never-committed", "half-done"],
      timeoutMs: 10_000,
    });
    try {
      expect(await reader.read()).toEqual(
        new Map([
          ["never-committed", 10],
          ["half-done", 5],
        ]),
      );
      // The connection is kept: a second read answers the same.
      expect((await reader.read()).get("half-done")).toBe(5);
    } finally {
      await reader.close();
    }
  });
});

describe("connector lag without a broker", () => {
  it("rejects, and tries again on the next read", async () => {
    const reader = kafkaLagReader({
      brokers: [`127.0.0.1:${await freePort()}`],
      groups: ["g"],
      timeoutMs: 500,
    });
    await expect(reader.read()).rejects.toThrow();
    // The failed connection was dropped: the next read tries again (and fails the same way).
    await expect(reader.read()).rejects.toThrow();
    await reader.close();
  });
});
