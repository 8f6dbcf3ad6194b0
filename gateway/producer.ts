/**
 * Between the HTTP layer and a {@link KafkaClient}: places records on partitions, keeps topic
 * metadata, and runs sends **one at a time**, coalescing whatever requests queued up meanwhile into
 * the next send (group commit).
 *
 * Why one at a time: the idempotent producer numbers each partition's batches; @platformatic/kafka
 * 1.22 advances those numbers only when a response arrives, so two sends in flight to one partition
 * reuse a sequence and the broker acknowledges the second as a duplicate of the first — records lost
 * with a success answer (see kafka/platformatic.ts and README). Serialising the sends makes both
 * clients safe; coalescing keeps the throughput of many small concurrent requests.
 *
 * Offsets: every record's partition is chosen here (explicit, else Kafka's murmur2 of the key, else
 * round-robin), and the records of one partition go in one batch in request order, so record i of
 * partition p gets `baseOffset(p) + its index among p's records in that send`. A request larger than
 * {@link SEND_LIMITS} is split into several sends; if one fails, the rest of that request is not sent
 * and the request fails (the part already sent stays: at-least-once, the client retries, consumers
 * dedupe by event id).
 */
import { GatewayError, fromKafkaError } from "./errors.ts";
import { KafkaClientError, withTimeout, type KafkaClient, type OutRecord } from "./kafka/types.ts";
import { partitionForKey } from "./kafka/partitioner.ts";
import { recordBytes, type ProduceRecord, type ProduceResult } from "./protocol.ts";

/**
 * Bounds on one send. The broker refuses a partition's batch above `message.max.bytes` (default
 * 1 MiB + 12 B), so sends stay well under it; a single larger record still goes alone.
 */
export const SEND_LIMITS = { bytes: 512 * 1024, records: 2000 };
/** How long topic metadata is trusted before a refresh, ms. */
const METADATA_MAX_AGE_MS = 30_000;

interface Request {
  results: ProduceResult[];
  remaining: number;
  failed: boolean;
  resolve(results: ProduceResult[]): void;
  reject(error: unknown): void;
}

interface Chunk {
  request: Request;
  /** Index of the chunk's first record in its request. */
  start: number;
  records: OutRecord[];
  bytes: number;
}

export interface SendObserver {
  /** One send to the broker finished (ok or not) after `seconds`, carrying `records`. */
  (outcome: { ok: boolean; seconds: number; records: readonly OutRecord[] }): void;
}

export class GatewayProducer {
  #queue: Chunk[] = [];
  #pumping: Promise<void> | undefined;
  #closed = false;
  #meta: { counts: Map<string, number>; at: number } | undefined;
  #metaInFlight: Promise<Map<string, number>> | undefined;
  #roundRobin = new Map<string, number>();

  constructor(
    readonly client: KafkaClient,
    private readonly o: {
      allowedTopics: readonly string[];
      /** Bound on one send, ms (the client has its own; this one catches a client that hangs). */
      sendTimeoutMs: number;
      onSend?: SendObserver;
    },
  ) {}

  /** Partition counts of the allowed topics that exist on the broker (metadata ≤ 30 s old). */
  async topics(maxAgeMs = METADATA_MAX_AGE_MS): Promise<Map<string, number>> {
    const counts = await this.#metadata(maxAgeMs);
    return new Map(
      this.o.allowedTopics.flatMap((t) => (counts.has(t) ? [[t, counts.get(t)!] as const] : [])),
    );
  }

  async #metadata(maxAgeMs: number): Promise<Map<string, number>> {
    if (this.#meta && Date.now() - this.#meta.at <= maxAgeMs) return this.#meta.counts;
    this.#metaInFlight ??= this.client
      .partitionCounts()
      .then((counts) => {
        this.#meta = { counts, at: Date.now() };
        return counts;
      })
      .catch((e: unknown) => {
        throw e instanceof KafkaClientError ? fromKafkaError(e) : e;
      })
      .finally(() => (this.#metaInFlight = undefined));
    return this.#metaInFlight;
  }

  /**
   * Chooses each record's partition; checks that the topic exists and an explicit partition is in
   * range (refreshing metadata once if it is older than a second). Nothing is sent.
   * @throws GatewayError `bad_request` naming the record, `unavailable` when metadata cannot be read.
   */
  async place(records: readonly ProduceRecord[], nowMs = Date.now()): Promise<OutRecord[]> {
    let counts = await this.#metadata(METADATA_MAX_AGE_MS);
    const fits = (r: ProduceRecord, c: Map<string, number>) => {
      const n = c.get(r.topic);
      return n !== undefined && (r.partition === undefined || r.partition < n);
    };
    if (!records.every((r) => fits(r, counts))) counts = await this.#metadata(1000);
    return records.map((r, i) => {
      const n = counts.get(r.topic);
      if (n === undefined)
        throw new GatewayError(
          "bad_request",
          `records[${i}].topic: topic ${JSON.stringify(r.topic)} does not exist on the broker`,
        );
      if (r.partition !== undefined && r.partition >= n)
        throw new GatewayError(
          "bad_request",
          `records[${i}].partition: topic ${r.topic} has ${n} partitions (0..${n - 1})`,
        );
      let partition = r.partition;
      if (partition === undefined && r.key !== undefined) partition = partitionForKey(r.key, n);
      if (partition === undefined) {
        const next = this.#roundRobin.get(r.topic) ?? 0;
        this.#roundRobin.set(r.topic, next + 1);
        partition = next % n;
      }
      return {
        topic: r.topic,
        partition,
        key: r.key ?? null,
        value: r.value,
        headers: r.headers ?? [],
        timestampMs: r.timestamp ?? nowMs,
      };
    });
  }

  /**
   * Produces placed records; resolves with one result per record, in order, once the broker
   * acknowledged all of them. @throws GatewayError
   */
  produce(records: readonly OutRecord[]): Promise<ProduceResult[]> {
    if (this.#closed) return Promise.reject(new GatewayError("unavailable", "the gateway is shutting down"));
    if (records.length === 0) return Promise.resolve([]);
    return new Promise<ProduceResult[]>((resolve, reject) => {
      const request: Request = {
        results: new Array(records.length),
        remaining: 0,
        failed: false,
        resolve,
        reject,
      };
      let chunk: Chunk | undefined;
      for (const [i, r] of records.entries()) {
        const bytes = recordBytes(r);
        if (
          !chunk ||
          chunk.records.length >= SEND_LIMITS.records ||
          chunk.bytes + bytes > SEND_LIMITS.bytes
        ) {
          chunk = { request, start: i, records: [], bytes: 0 };
          this.#queue.push(chunk);
          request.remaining++;
        }
        chunk.records.push(r);
        chunk.bytes += bytes;
      }
      this.#pumping ??= this.#pump().finally(() => (this.#pumping = undefined));
    });
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const unit: Chunk[] = [];
      let bytes = 0;
      let count = 0;
      while (this.#queue.length > 0) {
        const next = this.#queue[0]!;
        if (next.request.failed) {
          this.#queue.shift();
          continue;
        }
        if (
          unit.length > 0 &&
          (count + next.records.length > SEND_LIMITS.records || bytes + next.bytes > SEND_LIMITS.bytes)
        )
          break;
        unit.push(next);
        this.#queue.shift();
        bytes += next.bytes;
        count += next.records.length;
      }
      if (unit.length > 0) await this.#send(unit);
    }
  }

  async #send(unit: Chunk[]): Promise<void> {
    const records = unit.flatMap((c) => c.records);
    const t0 = performance.now();
    try {
      const acks = await withTimeout(this.client.send(records), this.o.sendTimeoutMs, "produce");
      const next = new Map<string, number>();
      for (const a of acks) next.set(`${a.topic}\u0000${a.partition}`, a.baseOffset);
      for (const chunk of unit) {
        for (const [i, r] of chunk.records.entries()) {
          const tp = `${r.topic}\u0000${r.partition}`;
          const offset = next.get(tp);
          if (offset === undefined)
            throw new KafkaClientError(
              "rejected",
              `the broker acknowledged no offset for ${r.topic}/${r.partition}`,
            );
          next.set(tp, offset + 1);
          chunk.request.results[chunk.start + i] = {
            topic: r.topic,
            partition: r.partition,
            offset,
            timestamp: r.timestampMs,
          };
        }
      }
      this.o.onSend?.({ ok: true, seconds: (performance.now() - t0) / 1000, records });
      for (const chunk of unit)
        if (--chunk.request.remaining === 0) chunk.request.resolve(chunk.request.results);
    } catch (e) {
      this.o.onSend?.({ ok: false, seconds: (performance.now() - t0) / 1000, records });
      const error = e instanceof KafkaClientError ? fromKafkaError(e) : e;
      for (const chunk of unit) {
        if (chunk.request.failed) continue;
        chunk.request.failed = true;
        chunk.request.reject(error);
      }
      // After a timeout or a lost connection the producer's sequence state is unknown: start afresh.
      if (!(e instanceof KafkaClientError) || e.retryable) await this.client.reset();
    }
  }

  /** Stops taking records, waits (bounded) for queued sends, then closes the client. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#pumping) await withTimeout(this.#pumping, timeoutMs, "flush").catch(() => undefined);
    await this.client.close();
  }
}
