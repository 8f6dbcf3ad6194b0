/**
 * The edge's real Upstash sink talks to the self-hosted gateway unchanged: points posted to the Worker
 * (inside workerd) → the host's Durable Object outbox → its alarm → `@upstash/kafka` → the gateway
 * (gateway/, started by this project's globalSetup) → a real Apache Kafka → read back by a kafkajs
 * consumer behind a small HTTP endpoint (gateway/testing/read-server.ts). Skipped loudly without
 * Java/Maven.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { EVENT_ID_HEADER, parseEvent } from "../contracts/events.ts";
import { call } from "../worker/testing/http.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaReadUrl: string;
    gatewaySkip: string;
  }
}

const skip = inject("gatewaySkip");
if (skip) console.warn(`\n[pipeline.gateway.workerd.test] SKIPPED: ${skip}\n`);

interface Consumed {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: { key: string; value: string }[];
}

const stub = (host: string) => env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(`acme/${host}`));

describe.skipIf(skip !== "")("Worker → outbox → @upstash/kafka → gateway → Apache Kafka", () => {
  it("every event of an ingest lands in Kafka once, keyed acme/<host>, with its event id", async () => {
    const host = `pipe-${Date.now().toString(36)}`;
    const end = Date.now() - 1000;
    const points = Array.from({ length: 20 }, (_, i) => ({
      host,
      timestamp: end - (19 - i) * 60_000,
      cpu_usage: 30 + (i % 5),
      memory_usage: 55,
      network_latency: 90,
      error_rate: 0.002,
    }));
    const res = await call("/metrics", { body: { points } });
    expect(res.status).toBe(200);

    // Drain the outbox through the object's alarm (bounded).
    for (let i = 0; i < 200 && (await stub(host).sinkStatus()).pending > 0; i++) {
      if (!(await runDurableObjectAlarm(stub(host)))) await new Promise((r) => setTimeout(r, 20));
    }
    const status = await stub(host).sinkStatus();
    expect(status).toMatchObject({ kind: "upstash", pending: 0 });

    // Everything Kafka holds for this host (waits 4 s for anything more, so a duplicate would show).
    const read = await fetch(
      `${inject("kafkaReadUrl")}/read?topics=metrics,predictions,alerts&keyPrefix=${encodeURIComponent(`acme/${host}`)}&count=100&timeoutMs=4000`,
    );
    expect(read.status).toBe(200);
    const records = (await read.json()) as Consumed[];
    const byTopic = (t: string) => records.filter((r) => r.topic === t);
    expect(byTopic("metrics")).toHaveLength(1);
    expect(byTopic("predictions")).toHaveLength(1);

    for (const r of records) {
      expect(r.key).toBe(`acme/${host}`);
      const event = parseEvent(r.value, { topic: r.topic, key: r.key });
      expect(event.key).toBe(`acme/${host}`);
      expect(r.headers).toEqual([{ key: EVENT_ID_HEADER, value: event.id }]);
    }
    const metrics = parseEvent(byTopic("metrics")[0]!.value, { topic: "metrics" });
    if (metrics.topic !== "metrics") throw new Error("unreachable");
    expect(metrics.payload.points.map((p) => p.timestamp)).toEqual(points.map((p) => p.timestamp));
  });
});
