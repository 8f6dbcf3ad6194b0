/**
 * The whole pipeline, end to end and under faults, on real parts started by `startStack` (the same code
 * `npm run stack` runs): PostgreSQL 15 (+ TimescaleDB where npm test's set-up built it), one Apache
 * Kafka broker, the connector and the gateway as processes, and the Worker in `wrangler dev` with its
 * sink pointed at the gateway. Points go in through `POST /metrics` as an agent sends them; rows come
 * out of the database.
 *
 * - End to end: a simulated host with a downtime → exactly its points, predictions and alert
 *   transitions as rows, value for value against the host's own history, and `host_latest` at its
 *   newest point and prediction.
 * - Faults, each with its own hosts and a bounded stream of N points through the Worker, then exactly
 *   N rows: the gateway stopped for 60 s, the broker stopped for 60 s, the connector killed with
 *   SIGKILL while it writes a burst and started again, PostgreSQL restarted.
 * - The same events produced twice through the gateway with the real `@upstash/kafka` client (the
 *   client's retry) → one row each.
 * - A malformed record lands in `dead-letter` with its origin, and the records after it arrive.
 *
 * Skipped, loudly, where Java/Maven or PostgreSQL are missing.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka as UpstashKafka } from "@upstash/kafka";
import { Kafka, logLevel } from "kafkajs";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC } from "../../contracts/events.ts";
import { LEVEL_VALUE } from "../../contracts/exporter.ts";
import { HistoryResponseSchema, type HistoryResponse } from "../../contracts/rpc.ts";
import { simulateFleet } from "../../simulator/fleet.ts";
import { expectedRows, hostEvents, type EventRecord } from "../../timescale/testing/events.ts";
import { TEST_KEYS, TEST_TENANTS } from "../../worker/testing/keys.ts";
import { kafkaToolsMissing } from "../kafka/kafka.ts";
import { postgresMissing } from "../postgres/postgres.ts";
import { startStack, waitDrained, waitHealthy, type Stack } from "./stack.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const missing = kafkaToolsMissing() ?? postgresMissing();
if (missing) console.warn(`\n[pipeline.test] SKIPPED: ${missing}\n`);

const KEY = TEST_KEYS.acme;
const TENANT = TEST_TENANTS.acme.tenant;
const OUTAGE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  f: () => Promise<T>,
  done: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const until = Date.now() + ms;
  let last = await f();
  while (!done(last)) {
    if (Date.now() > until)
      throw new Error(`timed out after ${ms / 1000} s waiting for ${what}; last: ${JSON.stringify(last)}`);
    await sleep(250);
    last = await f();
  }
  return last;
}

describe.skipIf(missing !== null)("the pipeline: Worker → gateway → Kafka → connector → PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeline-test-"));
  chmodSync(dir, 0o755); // PostgreSQL's cluster lives inside, run as the postgres user when we are root
  const progress: string[] = [];
  let stack: Stack;
  let sql: Sql;

  const api = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${stack.workerUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await r.json()) as unknown;
    if (r.status !== 200)
      throw new Error(`${init.method ?? "GET"} ${path}: ${r.status} ${JSON.stringify(body)}`);
    return body;
  };
  const postPoints = async (host: string, points: Record<string, unknown>[]) => {
    const body =
      points.length === 1 ? { host, ...points[0] } : { points: points.map((p) => ({ host, ...p })) };
    return api("/metrics", { method: "POST", body: JSON.stringify(body) });
  };
  const history = async (host: string): Promise<HistoryResponse> =>
    HistoryResponseSchema.parse(await api(`/hosts/${host}/history?from=0&limit=10000`));

  /** Rows of hosts whose name starts with `prefix`. */
  const counts = async (prefix: string) => {
    const like = `${prefix}%`;
    const [r] = await sql`
      SELECT (SELECT count(*)::int FROM metric_points WHERE tenant = ${TENANT} AND host LIKE ${like}) AS points,
             (SELECT count(*)::int FROM predictions WHERE tenant = ${TENANT} AND host LIKE ${like}) AS predictions,
             (SELECT count(*)::int FROM alerts WHERE tenant = ${TENANT} AND host LIKE ${like}) AS alerts`;
    return r as { points: number; predictions: number; alerts: number };
  };

  /**
   * Posts `n` points, one per call, round-robin over `hosts` hosts named `<prefix>-<h>`, one every
   * `everyMs`, while `fault` runs (it starts after `faultAfterMs`). Every call must be accepted. Then
   * waits for exactly the posted points and the hosts' predictions as rows.
   */
  async function streamThrough(
    prefix: string,
    o: { n: number; hosts: number; everyMs: number; faultAfterMs: number },
    fault: () => Promise<void>,
  ) {
    const perHost = Math.ceil(o.n / o.hosts);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - (perHost + 2) * 60_000;
    const posted: { host: string; timestamp: number }[] = [];
    const sender = async () => {
      for (let i = 0; i < o.n; i++) {
        const host = `${prefix}-${i % o.hosts}`;
        const step = Math.floor(i / o.hosts);
        const timestamp = t0 + step * 60_000 + 1000 * (i % o.hosts);
        const r = (await postPoints(host, [
          {
            timestamp,
            cpu_usage: 30 + (step % 7),
            memory_usage: 50 + (step % 5),
            network_latency: 40 + (step % 3),
            error_rate: 0.01,
          },
        ])) as { accepted: number };
        expect(r.accepted, `point ${i} of ${prefix}`).toBe(1);
        posted.push({ host, timestamp });
        await sleep(o.everyMs);
      }
    };
    await Promise.all([
      sender(),
      (async () => {
        await sleep(o.faultAfterMs);
        await fault();
      })(),
    ]);
    const expectedPredictions = await Promise.all(
      Array.from({ length: o.hosts }, (_, h) => history(`${prefix}-${h}`).then((x) => x.predictions.length)),
    ).then((l) => l.reduce((a, b) => a + b, 0));
    try {
      await waitFor(
        `${o.n} points and ${expectedPredictions} predictions of ${prefix}-*`,
        () => counts(prefix),
        (c) => c.points >= o.n && c.predictions >= expectedPredictions,
        180_000,
      );
    } catch (e) {
      console.error(
        `${String(e)}\n--- connector ---\n${stack.connector.lastLines(60)}\n--- gateway ---\n${stack.gateway.lastLines(30)}`,
      );
      throw e;
    }
    const rows = await sql<{ host: string; t: number }[]>`
      SELECT host, (extract(epoch FROM time) * 1000)::bigint::float8 AS t
      FROM metric_points WHERE tenant = ${TENANT} AND host LIKE ${`${prefix}%`} ORDER BY host, time`;
    const key = (p: { host: string; timestamp: number }) => `${p.host}@${p.timestamp}`;
    expect(rows.map((r) => key({ host: r.host, timestamp: r.t })).sort()).toEqual(posted.map(key).sort());
    // Everything in Kafka consumed and committed: no copy is still on its way.
    expect(await waitDrained(stack.kafka.bootstrap, 60_000)).toBe(0);
    expect(await counts(prefix)).toMatchObject({ points: o.n, predictions: expectedPredictions });
  }

  beforeAll(async () => {
    const apiKeys = JSON.stringify([
      { ...TEST_TENANTS.acme, sha256: createHash("sha256").update(KEY).digest("hex") },
    ]);
    stack = await startStack({
      root: ROOT,
      dataDir: dir,
      fsync: false,
      apiKeys,
      // A returning gateway is retried within seconds (the default ceiling is 150 s).
      workerVars: { SINK_RETRY_BASE_MS: "200", SINK_RETRY_MAX_MS: "2000" },
      log: (l) => progress.push(l),
    }).catch((e: unknown) => {
      console.error(progress.join("\n"));
      throw e;
    });
    sql = postgres(stack.postgres.url, { max: 2, onnotice: () => {} });
  }, 300_000);

  afterAll(async () => {
    await sql?.end({ timeout: 5 }).catch(() => {});
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("end to end: a simulated host's points, predictions and alert transitions become exactly its rows", async () => {
    // Seed 5, host-002: an error cascade 12.7 h into the day (a 40-min precursor, 26 min down).
    const sim = simulateFleet({ hosts: 4, days: 1, seed: 5 }).hosts.find((h) => h.host === "host-002")!;
    expect(sim.downtime.length).toBe(1);
    const host = "e2e-host-002";
    const shift = Math.floor(Date.now() / 60_000) * 60_000 - 60_000 - sim.points.at(-1)!.timestamp;
    const points = sim.points.map(({ host: _h, ...p }) => ({ ...p, timestamp: p.timestamp + shift }));
    for (let i = 0; i < points.length; i += 10) {
      const r = (await postPoints(host, points.slice(i, i + 10))) as { accepted: number };
      expect(r.accepted).toBe(points.slice(i, i + 10).length);
    }
    const h = await history(host);
    expect(h.truncated).toBe(false);
    expect(h.points.length).toBe(points.length);
    expect(h.alerts.length, "the model raised no alert on this host").toBeGreaterThan(0);

    await waitFor(
      "the host's rows",
      () => counts(host),
      (c) =>
        c.points >= h.points.length && c.predictions >= h.predictions.length && c.alerts >= h.alerts.length,
      120_000,
    );
    expect(await counts(host)).toEqual({
      points: h.points.length,
      predictions: h.predictions.length,
      alerts: h.alerts.length,
    });

    const dbPoints = await sql<
      {
        t: number;
        cpu_usage: number;
        memory_usage: number;
        network_latency: number;
        error_rate: number;
      }[]
    >`SELECT (extract(epoch FROM time) * 1000)::bigint::float8 AS t, cpu_usage, memory_usage, network_latency, error_rate
      FROM metric_points WHERE tenant = ${TENANT} AND host = ${host} ORDER BY time`;
    expect(dbPoints.map((p) => ({ ...p }))).toEqual(
      points.map((p) => ({
        t: p.timestamp,
        cpu_usage: p.cpu_usage,
        memory_usage: p.memory_usage,
        network_latency: p.network_latency,
        error_rate: p.error_rate,
      })),
    );

    const dbPredictions = await sql<Record<string, unknown>[]>`
      SELECT time, risk, level, level_since, downtime_within_minutes, time_to_breach, anomaly, contributors,
             model_version, steps_seen
      FROM predictions WHERE tenant = ${TENANT} AND host = ${host} ORDER BY time`;
    const iso = (v: unknown) => (v === null ? null : (v as Date).toISOString());
    expect(
      dbPredictions.map((p) => ({
        host,
        as_of: iso(p.time),
        risk: p.risk,
        level: p.level,
        level_since: iso(p.level_since),
        downtime_within_minutes: p.downtime_within_minutes,
        time_to_breach: p.time_to_breach,
        anomaly: p.anomaly,
        contributors: p.contributors,
        model_version: p.model_version,
        steps_seen: p.steps_seen,
      })),
    ).toEqual([...h.predictions].sort((a, b) => Date.parse(a.as_of) - Date.parse(b.as_of)));

    const dbAlerts = await sql<{ at: Date; from_level: string; to_level: string; risk: unknown }[]>`
      SELECT time AS at, from_level, to_level, risk FROM alerts
      WHERE tenant = ${TENANT} AND host = ${host} ORDER BY time, to_level`;
    expect(
      dbAlerts.map((a) => ({
        host,
        from: a.from_level,
        to: a.to_level,
        at: a.at.toISOString(),
        risk: a.risk,
      })),
    ).toEqual([...h.alerts].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)));

    const [latest] = await sql<{ point_time: Date; prediction_time: Date; level: string }[]>`
      SELECT point_time, prediction_time, level FROM host_latest WHERE tenant = ${TENANT} AND host = ${host}`;
    const last = [...h.predictions].sort((a, b) => Date.parse(a.as_of) - Date.parse(b.as_of)).at(-1)!;
    expect(latest!.point_time.getTime()).toBe(points.at(-1)!.timestamp);
    expect(latest!.prediction_time.toISOString()).toBe(last.as_of);
    expect(latest!.level).toBe(last.level);

    // …and the exporter serves it to Prometheus, read from those rows.
    const exposition = (await (await fetch(`${stack.exporter.url}/metrics`)).text()).split("\n");
    const sample = (name: string, labels: Record<string, string>) =>
      exposition
        .filter(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        )
        .map((l) => Number(l.slice(l.lastIndexOf(" ") + 1)));
    expect(sample("downtime_level", { tenant: TENANT, host })).toEqual([LEVEL_VALUE[last.level]]);
    expect(sample("downtime_risk", { tenant: TENANT, host, horizon: "30m" })).toEqual([last.risk["30m"]]);
  }, 300_000);

  it("gateway stopped for 60 s: the objects keep their outbox and deliver it afterwards, exactly N rows", async () => {
    await streamThrough("gw", { n: 90, hosts: 3, everyMs: 800, faultAfterMs: 5000 }, async () => {
      await stack.gateway.stop();
      await sleep(OUTAGE_MS);
      await stack.gateway.start();
      await waitHealthy("gateway", `${stack.gateway.url}/health`, 60_000);
    });
  }, 420_000);

  it("Kafka broker stopped for 60 s: the gateway answers 503, the objects retry, the connector rejoins, exactly N rows", async () => {
    await streamThrough("kb", { n: 90, hosts: 3, everyMs: 800, faultAfterMs: 5000 }, async () => {
      const restarted = stack.kafka.restart({ downMs: OUTAGE_MS });
      await sleep(5000);
      const down = await fetch(`${stack.gateway.url}/health`);
      expect(down.status).toBe(503);
      await restarted;
      await waitHealthy("gateway", `${stack.gateway.url}/health`, 60_000);
    });
  }, 420_000);

  it("connector killed with SIGKILL while it writes, then started again: exactly N rows", async () => {
    const kafka = new Kafka({ brokers: [stack.kafka.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // A burst straight into Kafka (40 hosts × 150 minutes), so the kill lands while batches are written.
    const burst: EventRecord[] = [];
    const t0 = Date.now() - 3 * 3_600_000;
    for (let h = 0; h < 40; h++) {
      burst.push(
        ...hostEvents(TENANT, h, t0, 150).map((r) => ({
          ...r,
          key: r.key.replace("host-", "burst-"),
          value: r.value.replaceAll(`"host-${h}"`, `"burst-${h}"`).replaceAll(`/host-${h}"`, `/burst-${h}"`),
        })),
      );
    }
    const want = expectedRows(40, 150);
    try {
      await streamThrough("sigkill", { n: 40, hosts: 2, everyMs: 300, faultAfterMs: 2000 }, async () => {
        for (let i = 0; i < burst.length; i += 1000) {
          const byTopic = new Map<string, EventRecord[]>();
          for (const r of burst.slice(i, i + 1000))
            byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, rs]) => ({
              topic,
              messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
            })),
          });
        }
        const before = await waitFor(
          "the connector to start writing the burst",
          () => counts("burst"),
          (c) => c.points > 0,
          60_000,
        );
        await stack.connector.kill();
        const atKill = await counts("burst");
        console.info(
          `[pipeline.test] connector killed (SIGKILL) with ${atKill.points} of ${want.points} burst points written (${before.points} seen before)`,
        );
        expect(atKill.points, "the kill came after the whole burst was written").toBeLessThan(want.points);
        await sleep(2000);
        await stack.connector.start();
        await waitHealthy("connector", `${stack.connector.url}/health`, 120_000, () =>
          stack.connector.lastLines(),
        );
      });
      await waitFor(
        "the whole burst",
        () => counts("burst"),
        (c) => c.points >= want.points && c.predictions >= want.predictions && c.alerts >= want.alerts,
        180_000,
      );
      expect(await waitDrained(stack.kafka.bootstrap, 60_000)).toBe(0);
      expect(await counts("burst")).toEqual(want);
    } finally {
      await producer.disconnect();
    }
  }, 420_000);

  it("PostgreSQL restarted mid-stream: the connector waits and retries, exactly N rows", async () => {
    await streamThrough("pg", { n: 60, hosts: 3, everyMs: 300, faultAfterMs: 4000 }, async () => {
      await stack.postgres.restart();
    });
  }, 420_000);

  it("the same events produced twice through the gateway (the client's retry): one row each", async () => {
    const client = new UpstashKafka({
      url: stack.gateway.url,
      username: stack.gatewayUser,
      password: stack.gatewayPassword,
    }).producer();
    const records = hostEvents(TENANT, 0, Date.now() - 3_600_000, 20).map((r) => ({
      topic: r.topic,
      key: r.key.replace("host-0", "twice-0"),
      value: r.value.replaceAll('"host-0"', '"twice-0"').replaceAll('/host-0"', '/twice-0"'),
      headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
    }));
    const first = await client.produceMany(records);
    const second = await client.produceMany(records);
    expect(first.length).toBe(records.length);
    // Really written twice: the second copies sit at later offsets.
    for (let i = 0; i < records.length; i++) {
      expect(second[i]!.partition).toBe(first[i]!.partition);
      expect(BigInt(second[i]!.offset)).toBeGreaterThan(BigInt(first[i]!.offset));
    }
    const want = expectedRows(1, 20);
    // Both copies consumed and committed, then the rows counted.
    expect(await waitDrained(stack.kafka.bootstrap, 60_000)).toBe(0);
    expect(await counts("twice")).toEqual(want);
  }, 120_000);

  it("a malformed record lands in dead-letter with its origin; everything after it still arrives", async () => {
    const client = new UpstashKafka({
      url: stack.gateway.url,
      username: stack.gatewayUser,
      password: stack.gatewayPassword,
    }).producer();
    const good = hostEvents(TENANT, 0, Date.now() - 3_600_000, 10).map((r) => ({
      topic: r.topic,
      key: r.key.replace("host-0", "dlq-0"),
      value: r.value.replaceAll('"host-0"', '"dlq-0"').replaceAll('/host-0"', '/dlq-0"'),
      headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
    }));
    const bad = { topic: "metrics", key: `${TENANT}/dlq-0`, value: "{not json at all" };
    const answers = await client.produceMany([...good.slice(0, 3), bad, ...good.slice(3)]);
    const badAt = answers[3]!;

    const want = expectedRows(1, 10);
    await waitFor(
      "the good records' rows",
      () => counts("dlq"),
      (c) => c.points >= want.points && c.predictions >= want.predictions && c.alerts >= want.alerts,
      60_000,
    );
    expect(await counts("dlq")).toEqual(want);

    const consumer = new Kafka({ brokers: [stack.kafka.bootstrap], logLevel: logLevel.NOTHING }).consumer({
      groupId: "pipeline-test-dlq",
    });
    const dead: { value: string; headers: Record<string, string> }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: DEAD_LETTER_TOPIC, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          dead.push({
            value: message.value?.toString() ?? "",
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
          });
        },
      });
      await waitFor(
        "the dead letter",
        async () => dead.length,
        (n) => n >= 1,
        60_000,
      );
      expect(dead).toHaveLength(1);
      expect(dead[0]!.value).toBe(bad.value);
      expect(dead[0]!.headers).toMatchObject({
        [DEAD_LETTER_HEADERS.topic]: "metrics",
        [DEAD_LETTER_HEADERS.partition]: String(badAt.partition),
        [DEAD_LETTER_HEADERS.offset]: String(badAt.offset),
      });
      expect(dead[0]!.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);
    } finally {
      await consumer.disconnect();
    }
  }, 120_000);
});
