/**
 * The connector against a real Apache Kafka and a real PostgreSQL (with TimescaleDB where npm test's
 * set-up built it): events as the edge writes them become exactly one row each, replays change nothing,
 * a malformed record goes to `dead-letter` with its origin while everything after it still arrives, and
 * a second connector joining mid-stream (a rebalance) still leaves exactly N rows. Skipped, loudly,
 * where Java/Maven or PostgreSQL are missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC, EVENT_TOPICS } from "../../contracts/events.ts";
import { createTopics, kafkaToolsMissing, startKafka, type RunningKafka } from "../../scripts/kafka/kafka.ts";
import { postgresMissing, startPostgres, type RunningPostgres } from "../../scripts/postgres/postgres.ts";
import { migrate } from "../migrate.ts";
import { expectedRows, hostEvents, valueOf, type EventRecord } from "../testing/events.ts";
import { parseRecord } from "./parse.ts";
import { toRows } from "./rows.ts";
import { startConnector, type RunningConnector } from "./connector.ts";
import { writeBatch } from "./writer.ts";

const missing = kafkaToolsMissing() ?? postgresMissing();
if (missing) console.warn(`\n[connector.test] SKIPPED: ${missing}\n`);

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

async function waitFor<T>(
  what: string,
  f: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  let last: T = await f();
  while (!done(last)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await f();
  }
  return last;
}

describe.skipIf(missing !== null)("connector: Kafka → PostgreSQL", () => {
  const dir = mkdtempSync(join(tmpdir(), "connector-test-"));
  let kafka: RunningKafka;
  let pg: RunningPostgres;
  let sql: Sql;
  let producer: Producer;
  const connectors: RunningConnector[] = [];
  const logs: string[] = [];

  const counts = async (tenant: string) => {
    const [r] = await sql`
      SELECT (SELECT count(*)::int FROM metric_points WHERE tenant = ${tenant}) AS points,
             (SELECT count(*)::int FROM predictions WHERE tenant = ${tenant}) AS predictions,
             (SELECT count(*)::int FROM alerts WHERE tenant = ${tenant}) AS alerts`;
    return r as { points: number; predictions: number; alerts: number };
  };
  const send = async (records: EventRecord[]) => {
    for (let i = 0; i < records.length; i += 500) {
      const byTopic = new Map<string, EventRecord[]>();
      for (const r of records.slice(i, i + 500)) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, rs]) => ({
          topic,
          messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    }
  };
  const connector = async (name: string) => {
    const c = await startConnector({
      brokers: [kafka.bootstrap],
      databaseUrl: pg.url,
      clientId: name,
      maxBackoffMs: 1000,
      log: (l) => logs.push(`${name} ${l}`),
    });
    connectors.push(c);
    return c;
  };

  beforeAll(async () => {
    [kafka, pg] = await Promise.all([startKafka({ dataDir: join(dir, "kafka") }), startPostgres()]);
    await createTopics(kafka, [
      ...EVENT_TOPICS.map((name) => ({ name, partitions: 4 })),
      { name: DEAD_LETTER_TOPIC, partitions: 1 },
    ]);
    sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    await migrate(sql, { log: () => {} });
    const k = new Kafka({
      clientId: "connector-test",
      brokers: [kafka.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  }, 180_000);

  afterAll(async () => {
    for (const c of connectors) await c.close().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await sql?.end({ timeout: 5 });
    await Promise.all([kafka?.stop(), pg?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("writes every event once: exact row counts and values, host_latest at the newest point and prediction", async () => {
    const hosts = 6;
    const steps = 20;
    const records = Array.from({ length: hosts }, (_, h) => hostEvents("acme", h, T0, steps)).flat();
    await send(records);
    const c = await connector("c1");
    const want = expectedRows(hosts, steps);
    expect(
      await waitFor(
        "acme rows",
        () => counts("acme"),
        (n) => n.points === want.points && n.predictions === want.predictions && n.alerts === want.alerts,
      ),
    ).toEqual(want);

    const [p] =
      await sql`SELECT * FROM metric_points WHERE tenant = 'acme' AND host = 'host-3' AND time = ${new Date(T0 + 7 * 60_000)}`;
    expect(p).toMatchObject({
      cpu_usage: valueOf(3, 7, "cpu_usage"),
      memory_usage: valueOf(3, 7, "memory_usage"),
      network_latency: valueOf(3, 7, "network_latency"),
      error_rate: valueOf(3, 7, "error_rate"),
      metrics: { disk_usage: 57 },
      labels: { region: "eu" },
    });
    const [pr] =
      await sql`SELECT * FROM predictions WHERE tenant = 'acme' AND host = 'host-3' AND time = ${new Date(T0 + 7 * 60_000)}`;
    expect(pr).toMatchObject({
      level: "warning",
      risk_30m: 0.05 * 7,
      model_version: "test-model",
      steps_seen: 8,
    });
    expect(pr!.time_to_breach).toEqual({ memory_usage: 3600 - 7 * 60 });
    const [a] = await sql`SELECT * FROM alerts WHERE tenant = 'acme' AND host = 'host-3'`;
    expect(a).toMatchObject({ from_level: "ok", to_level: "warning" });
    expect((a!.time as Date).getTime()).toBe(T0 + 5 * 60_000);

    const latest =
      await sql`SELECT host, point_time, prediction_time, level, cpu_usage FROM host_latest WHERE tenant = 'acme' ORDER BY host`;
    expect(latest).toHaveLength(hosts);
    for (const [h, l] of latest.entries()) {
      expect((l.point_time as Date).getTime()).toBe(T0 + (steps - 1) * 60_000);
      expect((l.prediction_time as Date).getTime()).toBe(T0 + (steps - 1) * 60_000);
      expect(l.level).toBe("warning");
      expect(l.cpu_usage).toBe(valueOf(h, steps - 1, "cpu_usage"));
    }
    expect(c.stats().deadLettered).toBe(0);
    expect(c.stats().rowsInserted).toBeGreaterThanOrEqual(want.points + want.predictions + want.alerts);
    expect((await c.health()).ok).toBe(true);
  });

  it("a replay of the same events (the client's retry) changes nothing, an older replay does not move host_latest back", async () => {
    const c = connectors[0]!;
    const before = c.stats().records;
    const records = Array.from({ length: 6 }, (_, h) => hostEvents("acme", h, T0, 20)).flat();
    await send(records);
    await waitFor(
      "the replay to be consumed",
      async () => c.stats().records,
      (n) => n >= before + records.length,
    );
    expect(await counts("acme")).toEqual(expectedRows(6, 20));
    const [l] = await sql`SELECT point_time FROM host_latest WHERE tenant = 'acme' AND host = 'host-0'`;
    expect((l!.point_time as Date).getTime()).toBe(T0 + 19 * 60_000);
  });

  it("sends a malformed record to dead-letter with its origin; everything after it still arrives", async () => {
    const dlq = new Kafka({
      clientId: "dlq-reader",
      brokers: [kafka.bootstrap],
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId: "dlq-reader",
    });
    const dead: { value: string; headers: Record<string, string> }[] = [];
    await dlq.connect();
    await dlq.subscribe({ topic: DEAD_LETTER_TOPIC, fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        dead.push({
          value: message.value?.toString() ?? "",
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    try {
      const good = hostEvents("bad-neighbour", 0, T0, 10);
      const broken: EventRecord[] = [
        { topic: "metrics", key: "bad-neighbour/host-0", value: "{not json", headers: {} },
        // A valid event under another Kafka key (so possibly in another partition, out of order).
        { ...good[0]!, key: "bad-neighbour/someone-else" },
        // Envelope and record agree on a key whose host is not the payload's.
        {
          ...good[0]!,
          key: "bad-neighbour/someone-else",
          value: JSON.stringify({ ...JSON.parse(good[0]!.value), key: "bad-neighbour/someone-else" }),
        },
        // Passes the schemas (an integer ≥ 0), but no Date holds it: data, not a reason to retry forever.
        (() => {
          const e = JSON.parse(good[0]!.value) as {
            id: string;
            payload: { points: { timestamp: number }[] };
          };
          e.id = "beyond-dates:0";
          e.payload.points[0]!.timestamp = 9e15;
          return { ...good[0]!, value: JSON.stringify(e) };
        })(),
      ];
      await send([...good.slice(0, 4), ...broken, ...good.slice(4)]);
      await waitFor(
        "bad-neighbour rows",
        () => counts("bad-neighbour"),
        (n) => n.points === 10 && n.predictions === 10 && n.alerts === 1,
      );
      await waitFor(
        "four dead letters",
        async () => dead.length,
        (n) => n >= 4,
      ).catch((e: unknown) => {
        console.error(logs.join("\n"), JSON.stringify(dead));
        throw e;
      });
      expect(dead.map((d) => d.value).sort()).toEqual(broken.map((b) => b.value).sort());
      const notJson = dead.find((d) => d.value === "{not json")!;
      expect(notJson.headers[DEAD_LETTER_HEADERS.topic]).toBe("metrics");
      expect(notJson.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);
      expect(Number(notJson.headers[DEAD_LETTER_HEADERS.offset])).toBeGreaterThanOrEqual(0);
      const wrongKey = dead.find((d) => d.value === broken[1]!.value)!;
      expect(wrongKey.headers[DEAD_LETTER_HEADERS.reason]).toMatch(
        /record key "bad-neighbour\/someone-else" is not the event's key/,
      );
      expect(wrongKey.headers["event-id"]).toBe(JSON.parse(broken[1]!.value).id);
      const wrongHost = dead.find((d) => d.value === broken[2]!.value)!;
      expect(wrongHost.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/payload\.host/);
      const beyond = dead.find((d) => d.value === broken[3]!.value)!;
      expect(beyond.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/cannot build rows from the event/);
    } finally {
      await dlq.disconnect();
    }
  });

  it("writer: COPY first; a fully or partly replayed batch (or a duplicate inside one) inserts exactly the missing rows", async () => {
    const tenant = "replay";
    const events = Array.from({ length: 4 }, (_, h) => hostEvents(tenant, h, T0, 10))
      .flat()
      .map((r) => parseRecord(r.value, { topic: r.topic, key: r.key }));
    const first = events.filter((_, i) => i % 3 !== 0);
    const rest = events.filter((_, i) => i % 3 === 0);
    const r1 = await writeBatch(sql, toRows(first));
    expect(r1.replayed).toBe(false);
    const after1 = await counts(tenant);
    // Everything again plus the events not written yet, one of them twice: only those land.
    const r2 = await writeBatch(sql, toRows([...events, rest[0]!]));
    expect(r2.replayed).toBe(true);
    const want = expectedRows(4, 10);
    expect(await counts(tenant)).toEqual(want);
    expect(r2.inserted.metric_points + r2.inserted.predictions + r2.inserted.alerts).toBe(
      want.points + want.predictions + want.alerts - (after1.points + after1.predictions + after1.alerts),
    );
    // A full replay: nothing changes, host_latest stays at the newest point.
    const r3 = await writeBatch(sql, toRows(events));
    expect(r3).toMatchObject({ inserted: { metric_points: 0, predictions: 0, alerts: 0 }, latest: 0 });
    expect(await counts(tenant)).toEqual(want);
    const [l] =
      await sql`SELECT point_time, prediction_time FROM host_latest WHERE tenant = ${tenant} AND host = 'host-2'`;
    expect((l!.point_time as Date).getTime()).toBe(T0 + 9 * 60_000);
    expect((l!.prediction_time as Date).getTime()).toBe(T0 + 9 * 60_000);
    const [v] =
      await sql`SELECT cpu_usage, metrics, labels FROM metric_points WHERE tenant = ${tenant} AND host = 'host-2' AND time = ${new Date(T0 + 3 * 60_000)}`;
    expect(v).toEqual({
      cpu_usage: valueOf(2, 3, "cpu_usage"),
      metrics: { disk_usage: 53 },
      labels: { region: "eu" },
    });
  });

  it("writer: a replay into a compressed chunk (TimescaleDB) is caught by COPY and still inserts nothing", async (ctx) => {
    const [ext] = await sql`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`;
    if (ext!.n === 0) return ctx.skip();
    const tenant = "compressed";
    const old = T0 - 30 * 86_400_000;
    const events = hostEvents(tenant, 0, old, 6).map((r) =>
      parseRecord(r.value, { topic: r.topic, key: r.key }),
    );
    await writeBatch(sql, toRows(events.slice(0, 8)));
    for (const table of ["metric_points", "predictions"])
      await sql`SELECT compress_chunk(c, if_not_compressed => true)
        FROM show_chunks(${table}::regclass, older_than => ${new Date(old + 86_400_000)}::timestamptz) AS c`;
    const [c] = await sql`SELECT bool_and(is_compressed) AS all FROM timescaledb_information.chunks
      WHERE hypertable_name IN ('metric_points', 'predictions') AND range_end <= ${new Date(old + 86_400_000)}`;
    expect(c!.all).toBe(true);
    const r = await writeBatch(sql, toRows(events));
    expect(r.replayed).toBe(true);
    const want = expectedRows(1, 6);
    expect(await counts(tenant)).toEqual(want);
    expect(r.inserted.metric_points + r.inserted.predictions + r.inserted.alerts).toBe(
      want.points + want.predictions + want.alerts - 8,
    );
  });

  it("a second connector joining mid-stream (rebalance) still leaves exactly N rows", async () => {
    const hosts = 12;
    const steps = 30;
    const records = Array.from({ length: hosts }, (_, h) => hostEvents("scale-out", h, T0, steps)).flat();
    const half = Math.floor(records.length / 2);
    await send(records.slice(0, half));
    const c2 = await connector("c2");
    await send(records.slice(half));
    const want = expectedRows(hosts, steps);
    expect(
      await waitFor(
        "scale-out rows",
        () => counts("scale-out"),
        (n) => n.points === want.points && n.predictions === want.predictions && n.alerts === want.alerts,
      ),
    ).toEqual(want);
    await waitFor(
      "c2 to get partitions",
      async () => c2.stats().assigned,
      (n) => n > 0,
    );
    const dupes =
      await sql`SELECT tenant, host, time, count(*) FROM metric_points GROUP BY 1, 2, 3 HAVING count(*) > 1`;
    expect(dupes).toHaveLength(0);
  });
});
