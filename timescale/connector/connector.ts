/**
 * The Kafka → database connector: a consumer-group member that reads `metrics`, `predictions` and
 * `alerts`, parses every record with the schemas the edge writes them with (`contracts/events.ts`,
 * through the checked fast path of parse.ts), writes each partition batch in one transaction (COPY
 * first, writer.ts), and commits the batch's offsets only after that transaction committed. Delivery
 * into the tables is therefore at-least-once, and the natural keys turn it into exactly one row per
 * point, prediction and transition (a replayed batch inserts nothing).
 *
 * - Fetching overlaps writing: kafkajs hands a batch to `eachBatch`, which queues it on its
 *   partition's lane and returns, so the next fetch runs while this batch is parsed and written. A
 *   lane runs its batches in order; at most `concurrency` batches write at once.
 * - A record that does not parse (not JSON, wrong shape, key ≠ payload host, wrong topic) or that the
 *   database rejects as data goes to `dead-letter` with the reason and its origin in headers; the rest
 *   of the batch is written and the partition moves on.
 * - While the database is down or slow, the batch is retried with backoff, heartbeating so the group
 *   keeps the partition; the buffer of fetched records fills up to `maxBufferedRecords` and fetching
 *   then stops (backpressure). Nothing is committed until the write succeeds. A partition taken away
 *   meanwhile (rebalance) is left uncommitted, and its new owner writes the same rows again —
 *   harmlessly.
 * - Several connectors with the same group id share the partitions.
 */
import {
  Kafka,
  logLevel,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type Producer,
} from "kafkajs";
import postgres, { type Sql } from "postgres";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC, EVENT_TOPICS, EventError } from "../../contracts/events.ts";
import { parseRecord } from "./parse.ts";
import { toRows, type TenantEvent } from "./rows.ts";
import { writeBatch } from "./writer.ts";

/**
 * Pool size and batches written at once. 4 writers: on 2 cores shared with PostgreSQL and Kafka, 4 at
 * once did best in three of four interleaved runs of npm run bench:pipeline (medians 0.72-0.78x COPY
 * against 0.61-0.74x for 3 and 0.61-0.68x for 2; noisy), with one connection spare for health checks.
 */
export const CONNECTOR_DEFAULTS = { poolSize: 5, concurrency: 4 } as const;

export interface ConnectorConfig {
  /** `host:port` of the Kafka bootstrap servers. */
  brokers: string[];
  databaseUrl: string;
  /** Consumer group (default `timescale-connector`). */
  groupId?: string;
  clientId?: string;
  /** Database connections (default 5). */
  poolSize?: number;
  /** Partition batches written at once (default 4; each holds one connection while it writes). */
  concurrency?: number;
  /**
   * Records fetched but not yet written, at most (default 20 000): fetching goes on while batches are
   * written, and stops here while the database is slow or down.
   */
  maxBufferedRecords?: number;
  /** Longest backoff between retries of a failed write, ms (default 5000). */
  maxBackoffMs?: number;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
}

export interface ConnectorStats {
  /** Records read (every topic, including dead-lettered ones). */
  records: number;
  rowsInserted: number;
  deadLettered: number;
  batches: number;
  /** Failed attempts to write (each retried). */
  writeErrors: number;
  /** Partitions currently assigned to this member. */
  assigned: number;
}

export interface RunningConnector {
  registry: Registry;
  stats(): ConnectorStats;
  /** Database reachable (a `SELECT 1` within 2 s) and the consumer a member of its group. */
  health(): Promise<{ ok: boolean; database: string | null; kafka: string | null }>;
  /** Stops consuming after the batch in hand (which is written and committed, or left uncommitted). */
  close(): Promise<void>;
}

interface DeadLetter {
  message: KafkaMessage;
  reason: string;
}

export async function startConnector(cfg: ConnectorConfig): Promise<RunningConnector> {
  const log = cfg.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const maxBackoffMs = cfg.maxBackoffMs ?? 5000;
  const sql: Sql = postgres(cfg.databaseUrl, {
    max: cfg.poolSize ?? CONNECTOR_DEFAULTS.poolSize,
    onnotice: () => {},
    connect_timeout: 10,
    // No prepared-statement cache surprises across a restarted server.
    prepare: true,
  });
  const kafka = new Kafka({
    clientId: cfg.clientId ?? "timescale-connector",
    brokers: cfg.brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 250, maxRetryTime: 5000, retries: 8 },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: cfg.groupId ?? "timescale-connector",
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    retry: { initialRetryTime: 250, maxRetryTime: 5000, retries: 8, restartOnFailure: async () => true },
  });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "connector_" });
  const m = {
    records: new Counter({
      name: "connector_records_total",
      help: "Kafka records read, by topic",
      labelNames: ["topic"],
      registers: [registry],
    }),
    rows: new Counter({
      name: "connector_rows_inserted_total",
      help: "Rows inserted, by table (replays excluded)",
      labelNames: ["table"],
      registers: [registry],
    }),
    dead: new Counter({
      name: "connector_dead_letters_total",
      help: "Records sent to the dead-letter topic",
      registers: [registry],
    }),
    errors: new Counter({
      name: "connector_errors_total",
      help: "Failed attempts, by kind (database, dead_letter, commit); each is retried",
      labelNames: ["kind"],
      registers: [registry],
    }),
    batch: new Histogram({
      name: "connector_batch_seconds",
      help: "Time from a batch's arrival to its committed offsets",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lag: new Gauge({
      name: "connector_consumer_lag",
      help: "Records behind the partition's high watermark after the last committed batch",
      labelNames: ["topic", "partition"],
      registers: [registry],
    }),
    dbUp: new Gauge({
      name: "connector_database_up",
      help: "1 when the last database write succeeded",
      registers: [registry],
    }),
  };
  const stats: ConnectorStats = {
    records: 0,
    rowsInserted: 0,
    deadLettered: 0,
    batches: 0,
    writeErrors: 0,
    assigned: 0,
  };
  let kafkaProblem: string | null = "not joined yet";
  let closing = false;

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    kafkaProblem = null;
    generation++;
    const a = e.payload.memberAssignment;
    // Offsets of partitions given to another member are theirs to commit now.
    for (const [k, o] of pendingOffsets)
      if (!(a[o.topic] ?? []).includes(o.partition)) pendingOffsets.delete(k);
    stats.assigned = Object.values(a).reduce((s, p) => s + p.length, 0);
    log(`[connector] joined group ${e.payload.groupId}: ${JSON.stringify(a)}`);
  });
  consumer.on(consumer.events.CRASH, (e) => {
    kafkaProblem = `consumer crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`;
    log(`[connector] ${kafkaProblem}`);
  });

  /**
   * Offsets of batches whose transaction committed, waiting to be committed to Kafka: the newest per
   * partition. One commit at a time carries all of them, so a batch does not wait for Kafka's answer
   * (~10 ms here) before the next one starts. A commit that fails is retried with the next batch or
   * at close; until then a restart replays those batches, which the writer makes a no-op.
   */
  const pendingOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  let committing: Promise<void> | null = null;

  function commitLater(o: { topic: string; partition: number; offset: string }): void {
    pendingOffsets.set(`${o.topic}/${o.partition}`, o);
    committing ??= commitPending().finally(() => {
      committing = null;
    });
  }

  async function commitPending(): Promise<void> {
    while (pendingOffsets.size > 0) {
      const offsets = [...pendingOffsets.values()];
      pendingOffsets.clear();
      try {
        await consumer.commitOffsets(offsets);
      } catch (e) {
        m.errors.inc({ kind: "commit" });
        log(`[connector] offset commit failed (retried with the next batch): ${message(e)}`);
        for (const o of offsets) {
          const k = `${o.topic}/${o.partition}`;
          if (!pendingOffsets.has(k)) pendingOffsets.set(k, o);
        }
        return;
      }
    }
  }

  /** Waits for the commit in flight, then commits whatever is still pending (at close). */
  async function flushCommits(): Promise<void> {
    await committing;
    if (pendingOffsets.size > 0) await commitPending();
  }

  /**
   * Runs `op` until it succeeds, backing off between attempts and heartbeating while it waits; false
   * when the consumer is stopping or the partition was taken away (the batch then stays uncommitted).
   */
  async function retrying<T>(
    kind: string,
    p: Pick<EachBatchPayload, "heartbeat" | "isRunning" | "isStale">,
    op: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    let delay = 200;
    for (;;) {
      try {
        return { ok: true, value: await op() };
      } catch (e) {
        if (isDataError(e)) throw e;
        m.errors.inc({ kind });
        stats.writeErrors++;
        if (kind === "database") m.dbUp.set(0);
        log(`[connector] ${kind} failed (retry in ${delay} ms): ${message(e)}`);
      }
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!p.isRunning() || p.isStale() || closing) return { ok: false };
        try {
          await p.heartbeat();
        } catch {
          return { ok: false }; // rebalancing: the partition may be someone else's now
        }
        await sleep(Math.min(1000, until - Date.now()));
      }
      delay = Math.min(delay * 2, maxBackoffMs);
    }
  }

  /**
   * Writes the events; when the database rejects the batch's data, writes them one by one. An event
   * whose rows cannot be built (a time outside what a Date holds passes the schemas) is data too: it
   * goes to dead-letter rather than into the retry loop, which would hold its partition forever.
   */
  async function write(
    p: EachBatchPayload,
    all: { event: TenantEvent; message: KafkaMessage }[],
    dead: DeadLetter[],
  ): Promise<boolean> {
    let events = all;
    let rows: ReturnType<typeof toRows>;
    try {
      rows = toRows(events.map((e) => e.event));
    } catch {
      events = [];
      for (const ev of all) {
        try {
          toRows([ev.event]);
          events.push(ev);
        } catch (e) {
          dead.push({ message: ev.message, reason: `cannot build rows from the event: ${message(e)}` });
        }
      }
      if (events.length === 0) return true;
      rows = toRows(events.map((e) => e.event));
    }
    try {
      const r = await retrying("database", p, () => writeBatch(sql, rows));
      if (!r.ok) return false;
      count(r.value.inserted);
      return true;
    } catch (e) {
      if (!isDataError(e)) throw e;
      log(
        `[connector] the database rejected a batch (${message(e)}); writing its ${events.length} events one by one`,
      );
    }
    for (const ev of events) {
      try {
        const r = await retrying("database", p, () => writeBatch(sql, toRows([ev.event])));
        if (!r.ok) return false;
        count(r.value.inserted);
      } catch (e) {
        if (!isDataError(e)) throw e;
        dead.push({ message: ev.message, reason: `database rejected the event: ${message(e)}` });
      }
    }
    return true;
  }

  function count(inserted: Record<string, number>): void {
    m.dbUp.set(1);
    for (const [table, n] of Object.entries(inserted)) {
      m.rows.inc({ table }, n);
      stats.rowsInserted += n;
    }
  }

  /**
   * A fetched batch on its way to the database. eachBatch only queues it (and moves kafkajs's fetch
   * position past it), so the next fetch overlaps this batch's parsing and writing; its offsets go to
   * Kafka only once its transaction committed.
   */
  interface Job {
    p: EachBatchPayload;
    topic: string;
    partition: number;
    messages: KafkaMessage[];
    first: bigint;
    last: bigint;
    highWatermark: string;
    /** Group generation (joins seen) when fetched: a job from before a rebalance is dropped. */
    generation: number;
    t0: number;
  }

  /**
   * One lane per partition: its jobs run one after another, so offsets are committed in order. When a
   * job cannot finish (stopping, partition taken away, an unexpected error), the lane skips every later
   * job until the fetch starts again at or before the job's first offset (the partition is sought back
   * there), so no offset is ever committed past rows that were not written.
   */
  interface Lane {
    tail: Promise<void>;
    generation: number;
    resumeAt: bigint | null;
  }
  const lanes = new Map<string, Lane>();
  let generation = 0;
  let bufferedRecords = 0;
  const maxBufferedRecords = cfg.maxBufferedRecords ?? 20_000;
  let wake: () => void = () => {};
  let jobDone = new Promise<void>((r) => (wake = r));
  const writeSlots = new Semaphore(cfg.concurrency ?? CONNECTOR_DEFAULTS.concurrency);

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    // Closing: left unresolved and unqueued, so a restart fetches it again.
    if (batch.messages.length === 0 || closing) return;
    const job: Job = {
      p,
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages,
      first: BigInt(batch.firstOffset()!),
      last: BigInt(batch.lastOffset()),
      highWatermark: batch.highWatermark,
      generation,
      t0: performance.now(),
    };
    m.records.inc({ topic: batch.topic }, batch.messages.length);
    const key = `${job.topic}/${job.partition}`;
    let lane = lanes.get(key);
    if (!lane || lane.generation !== generation) {
      lane = { tail: lane?.tail ?? Promise.resolve(), generation, resumeAt: null };
      lanes.set(key, lane);
    }
    const l = lane;
    bufferedRecords += job.messages.length;
    l.tail = l.tail.then(() =>
      runJob(l, job).finally(() => {
        bufferedRecords -= job.messages.length;
        wake();
        jobDone = new Promise<void>((r) => (wake = r));
      }),
    );
    p.resolveOffset(batch.lastOffset());
    // Backpressure: while the database is slow or down the buffer fills and fetching stops here.
    while (bufferedRecords > maxBufferedRecords && !closing && p.isRunning() && !p.isStale()) {
      await Promise.race([jobDone, sleep(1000)]);
      try {
        await p.heartbeat();
      } catch {
        return; // rebalancing
      }
    }
  }

  async function runJob(lane: Lane, job: Job): Promise<void> {
    if (job.generation !== generation) return; // fetched before a rebalance: fetched again since
    if (lane.resumeAt !== null) {
      if (job.first > lane.resumeAt) return; // after a job that did not finish: fetched again later
      lane.resumeAt = null;
    }
    let done = false;
    try {
      done = await processJob(job);
    } catch (e) {
      m.errors.inc({ kind: "batch" });
      log(`[connector] ${job.topic}/${job.partition}@${job.first}: ${message(e)}`);
    }
    if (done) return;
    lane.resumeAt = job.first;
    if (!closing && job.generation === generation) {
      try {
        consumer.seek({ topic: job.topic, partition: job.partition, offset: job.first.toString() });
      } catch (e) {
        log(`[connector] seek ${job.topic}/${job.partition}: ${message(e)}`);
      }
    }
  }

  /** Parses, writes, dead-letters and queues the offset commit; false when it stopped before the end. */
  async function processJob(job: Job): Promise<boolean> {
    const { p, topic, partition } = job;
    const events: { event: TenantEvent; message: KafkaMessage }[] = [];
    const dead: DeadLetter[] = [];
    for (const msg of job.messages) {
      try {
        events.push({
          event: parseRecord(msg.value?.toString("utf8") ?? "", {
            topic,
            key: msg.key?.toString("utf8") ?? null,
          }),
          message: msg,
        });
      } catch (e) {
        if (!(e instanceof EventError)) throw e;
        dead.push({ message: msg, reason: e.message });
      }
    }
    // Parsed ahead of the write slot, so the CPU parses while the database writes. Every fetched batch
    // starts here at once, so yield between them: a write's answer is not left waiting behind them.
    await new Promise<void>((r) => setImmediate(r));
    if (events.length > 0) {
      const release = await writeSlots.acquire();
      try {
        if (!(await write(p, events, dead))) return false;
      } finally {
        release();
      }
    }
    if (dead.length > 0) {
      const r = await retrying("dead_letter", p, () =>
        producer.send({
          topic: DEAD_LETTER_TOPIC,
          acks: -1,
          messages: dead.map((d) => ({
            key: d.message.key,
            value: d.message.value,
            headers: {
              ...d.message.headers,
              [DEAD_LETTER_HEADERS.reason]: d.reason.slice(0, 1000),
              [DEAD_LETTER_HEADERS.topic]: topic,
              [DEAD_LETTER_HEADERS.partition]: String(partition),
              [DEAD_LETTER_HEADERS.offset]: d.message.offset,
            },
          })),
        }),
      );
      if (!r.ok) return false;
      m.dead.inc(dead.length);
      stats.deadLettered += dead.length;
      for (const d of dead)
        log(`[connector] dead-lettered ${topic}/${partition}@${d.message.offset}: ${d.reason}`);
    }
    const next = job.last + 1n;
    commitLater({ topic, partition, offset: next.toString() });
    stats.records += job.messages.length;
    stats.batches++;
    m.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(BigInt(job.highWatermark) - next)));
    m.batch.observe((performance.now() - job.t0) / 1000);
    return true;
  }

  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...EVENT_TOPICS], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: cfg.concurrency ?? CONNECTOR_DEFAULTS.concurrency,
      eachBatch,
    });
  } catch (e) {
    // Nothing half-started stays behind: the caller may retry with a fresh instance.
    closing = true;
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    await sql.end({ timeout: 1 }).catch(() => {});
    throw e;
  }

  return {
    registry,
    stats: () => ({ ...stats }),
    async health() {
      let database: string | null = null;
      try {
        await Promise.race([
          sql`SELECT 1`,
          sleep(2000).then(() => {
            throw new Error("no answer within 2 s");
          }),
        ]);
      } catch (e) {
        database = message(e);
      }
      return { ok: database === null && kafkaProblem === null, database, kafka: kafkaProblem };
    },
    async close() {
      closing = true;
      // Fetches nothing more, finishes the batches already fetched (a write that is failing gives up),
      // commits what was written, then leaves the group.
      try {
        consumer.pause(EVENT_TOPICS.map((topic) => ({ topic })));
      } catch (e) {
        log(`[connector] pause: ${message(e)}`);
      }
      while (bufferedRecords > 0) await Promise.race([jobDone, sleep(100)]);
      await flushCommits();
      await consumer
        .disconnect()
        .catch((e: unknown) => log(`[connector] consumer disconnect: ${message(e)}`));
      await producer
        .disconnect()
        .catch((e: unknown) => log(`[connector] producer disconnect: ${message(e)}`));
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * PostgreSQL errors about the data itself (SQLSTATE class 22 data exception, 23 integrity violation):
 * retrying the same rows cannot help. Everything else (connection lost, server shutting down, too many
 * connections, timeouts) is worth retrying.
 */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/** At most `n` holders at once; `acquire` resolves to the release function. */
class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
