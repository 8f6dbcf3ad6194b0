/**
 * The outbox against a real HTTP endpoint speaking the Upstash Kafka REST protocol
 * (scripts/testing/produce-server.ts, started by this project's globalSetup): flush from alarms,
 * retry with backoff while the sink fails, and no loss once it recovers.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, inject, it } from "vitest";
import type { IngestResponse } from "../contracts/rpc.ts";
import type { HostMonitor } from "./host-monitor.ts";
import type { StoredPoint } from "../contracts/points.ts";
import { EventEnvelopeSchema } from "../contracts/events.ts";
import { evict } from "./testing/evict.ts";

const url = inject("produceUrl");

interface Received {
  produceRequests: number;
  messages: { topic: string; key: string | null; value: string; headers: { key: string; value: string }[] }[];
}

async function control(path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${url}/_control/${path}`, {
    method: body === undefined && path === "received" ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? (path === "received" ? undefined : "{}") : JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  return res;
}

async function received(): Promise<Received> {
  return (await (await control("received")).json()) as Received;
}

function stub(host: string) {
  return env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(`acme/${host}`));
}

function points(n: number, end = Date.now() - 1000): StoredPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    timestamp: end - (n - 1 - i) * 60_000,
    cpu_usage: 30 + (i % 7),
    memory_usage: 50,
    network_latency: 90,
    error_rate: 0.001,
  }));
}

async function ingest(host: string, pts: StoredPoint[]): Promise<IngestResponse> {
  return (await stub(host).ingest({ tenant: "acme", host, points: pts })) as IngestResponse;
}

/**
 * Runs the object's alarm until nothing is pending (bounded). When an automatic alarm is already in
 * flight there is nothing to run: wait a little for it instead.
 */
async function drain(host: string, max = 200): Promise<number> {
  let runs = 0;
  for (let i = 0; i < max; i++) {
    const s = await stub(host).sinkStatus();
    if (s.pending === 0) break;
    if (await runDurableObjectAlarm(stub(host))) runs++;
    else await new Promise((r) => setTimeout(r, 10));
  }
  return runs;
}

beforeEach(async () => {
  await control("reset");
});

describe("outbox → Upstash Kafka REST", () => {
  it("flushes every event once, in order, keyed by tenant/host, with a stable id — on its own, from an alarm", async () => {
    const host = "sink-ok";
    await ingest(host, points(30));
    expect((await stub(host).sinkStatus()).kind).toBe("upstash");
    // No manual alarm: the ingest scheduled one that fires right away.
    for (let i = 0; i < 200 && (await stub(host).sinkStatus()).pending > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    const r = await received();
    const mine = r.messages.filter((m) => m.key === `acme/${host}`);
    // One metrics event carries the call's 30 points; one prediction event.
    const metrics = mine.filter((m) => m.topic === "metrics");
    expect(metrics).toHaveLength(1);
    const body = EventEnvelopeSchema.parse(JSON.parse(metrics[0]!.value)).payload as {
      host: string;
      points: unknown[];
    };
    expect(body.host).toBe(host);
    expect(body.points).toHaveLength(30);
    expect(mine.filter((m) => m.topic === "predictions")).toHaveLength(1);
    const envs = mine.map((m) => EventEnvelopeSchema.parse(JSON.parse(m.value)));
    const seqs = envs.map((e) => Number(e.id.split(":")[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    for (const m of mine)
      expect(m.headers.find((h) => h.key === "event-id")?.value).toBe(JSON.parse(m.value).id);
    expect(await stub(host).sinkStatus()).toMatchObject({ pending: 0, attempts: 0, last_error: null });
  });

  it("keeps everything while the sink fails, backs off, and delivers it all after recovery", async () => {
    const host = "sink-flaky";
    await control("fail", { count: 3, status: 503 });
    await ingest(host, points(20));
    // Failed attempts (the first may be the automatic one): nothing lost, the next try pushed back.
    let attempts = 0;
    for (let i = 0; i < 10 && attempts < 3; i++) {
      await runDurableObjectAlarm(stub(host));
      // The automatic alarm may be mid-flight (then there was nothing to run): wait for its outcome.
      let s = await stub(host).sinkStatus();
      for (let k = 0; k < 200 && s.attempts <= attempts; k++) {
        await new Promise((r) => setTimeout(r, 10));
        s = await stub(host).sinkStatus();
      }
      expect(s.pending).toBe(2);
      expect(s.attempts).toBeGreaterThan(attempts);
      expect(s.last_error).toMatch(/503/);
      attempts = s.attempts;
      const next = await runInDurableObject(stub(host), (_o: HostMonitor, st) => st.storage.getAlarm());
      expect(next! - Date.now()).toBeGreaterThan(30_000); // backoff ≥ half the (test) base of 120 s
    }
    expect(attempts).toBe(3);
    // More points arrive while the sink is down; they queue behind the others.
    const later = points(5, Date.now() - 500).map((p, i) => ({ ...p, timestamp: Date.now() - 400 + i }));
    await ingest(host, later);
    await drain(host);
    const mine = (await received()).messages.filter((m) => m.key === `acme/${host}`);
    const seqs = mine.map((m) => Number(EventEnvelopeSchema.parse(JSON.parse(m.value)).id.split(":")[1]));
    expect(seqs.length).toBe(4);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // every event, once, in order
    expect(await stub(host).sinkStatus()).toMatchObject({ pending: 0, attempts: 0 });
  });

  it("a lost acknowledgement means a duplicate downstream, never a gap (at-least-once)", async () => {
    const host = "sink-lost-ack";
    // The gateway stores the batch but answers with an error: the object must send it again.
    await control("fail", { count: 1, status: 503, record: true });
    await ingest(host, points(10));
    for (let i = 0; i < 200 && (await stub(host).sinkStatus()).attempts === 0; i++)
      if (!(await runDurableObjectAlarm(stub(host)))) await new Promise((r) => setTimeout(r, 10));
    await drain(host);
    const ids = (await received()).messages
      .filter((m) => m.key === `acme/${host}`)
      .map((m) => EventEnvelopeSchema.parse(JSON.parse(m.value)).id);
    expect(new Set(ids).size).toBe(2);
    expect(ids.length).toBe(4); // each event twice; consumers drop duplicates by id
  });

  it("does not lose events when the object is evicted before the flush", async () => {
    const host = "sink-evict";
    await control("fail", { count: 1, status: 500 });
    await ingest(host, points(8));
    await runDurableObjectAlarm(stub(host));
    await evict(stub(host), () => stub(host));
    await drain(host);
    const mine = (await received()).messages.filter((m) => m.key === `acme/${host}`);
    expect(new Set(mine.map((m) => JSON.parse(m.value).id)).size).toBe(2);
  });

  it("points ingested while a flush is in flight keep their place (no lost or reused sequence numbers)", async () => {
    const host = "sink-concurrent";
    await control("hang", { count: 1 }); // the first produce request gets no answer for now
    const t0 = Date.now() - 60_000;
    const pt = (t: number) => ({
      timestamp: t,
      cpu_usage: 40,
      memory_usage: 50,
      network_latency: 90,
      error_rate: 0.001,
    });
    await ingest(host, [pt(t0), pt(t0 + 1000)]); // schedules the flush, which now hangs
    for (let i = 0; i < 200 && (await received()).produceRequests === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await received()).produceRequests).toBe(1);
    await ingest(host, [pt(t0 + 2000), pt(t0 + 3000)]); // while the alarm awaits the sink
    await control("reset"); // the hung request fails: the alarm records the failure
    for (let i = 0; i < 200 && (await stub(host).sinkStatus()).attempts === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await ingest(host, [pt(t0 + 4000)]); // would hit a reused sequence number if the alarm had rewound it
    await drain(host);
    const seqs = (await received()).messages
      .filter((m) => m.key === `acme/${host}`)
      .map((m) => Number(EventEnvelopeSchema.parse(JSON.parse(m.value)).id.split(":")[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(6); // 3 calls × (metrics + prediction)
  });
});
