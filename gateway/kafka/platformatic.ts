/**
 * {@link KafkaClient} on @platformatic/kafka 1.22 (the last release that runs on Node 20): an
 * idempotent `Producer` (which forces `acks: -1` and one request in flight per connection) and an
 * `Admin` for metadata. Keys, values and headers go as Buffers with no serialiser, so a repeated
 * header key survives (distinct Buffer objects are distinct Map keys) in its order.
 *
 * Two things this library does that the gateway works around:
 * - Concurrent `send()` calls on one idempotent producer lose records: sequence numbers advance only
 *   when a response arrives, so concurrent sends to one partition reuse a sequence and the broker
 *   acknowledges the later batches as duplicates of the first (measured: 20 concurrent sends, 39
 *   records, 7 "successful" sends all reporting the same offset, 1 record in the log; see README).
 *   `../producer.ts` therefore never calls `send` concurrently.
 * - An idempotent producer sets `retries` to `Number.MAX_SAFE_INTEGER`, so with the broker down a send
 *   never settles. Sends are bounded here; on a timeout the producer is closed and replaced.
 */
import { Admin, Producer } from "@platformatic/kafka";
import {
  errorChain,
  KafkaClientError,
  withTimeout,
  type KafkaClient,
  type KafkaClientOptions,
  type OutRecord,
  type PartitionAck,
} from "./types.ts";

export function createPlatformaticClient(o: KafkaClientOptions): KafkaClient {
  const base = {
    clientId: o.clientId,
    bootstrapBrokers: [...o.brokers],
    timeout: o.requestTimeoutMs,
    connectTimeout: o.connectionTimeoutMs,
  };
  let producer: Producer | undefined;
  let admin: Admin | undefined;
  const sendBound = 2 * o.requestTimeoutMs + o.connectionTimeoutMs;
  const metaBound = o.requestTimeoutMs + o.connectionTimeoutMs;

  const getAdmin = (): Admin => (admin ??= new Admin({ ...base, retries: 0 }));

  const classify = (error: unknown, what: string): KafkaClientError => {
    if (error instanceof KafkaClientError) return error;
    const text = errorChain(error).join(" | ");
    if (/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|too large/i.test(text))
      return new KafkaClientError("too_large", `${what}: the broker refused a batch as too large (${text})`, {
        cause: error,
      });
    if (/UNKNOWN_TOPIC|INVALID_RECORD|INVALID_TIMESTAMP|UserError|PLT_KFK_USER/i.test(text))
      return new KafkaClientError("rejected", `${what}: ${text}`, { cause: error });
    return new KafkaClientError("unavailable", `${what}: ${text}`, { cause: error });
  };

  return {
    name: "platformatic",
    async send(records: readonly OutRecord[]): Promise<PartitionAck[]> {
      producer ??= new Producer({ ...base, idempotent: true, retries: 2, retryDelay: 100 });
      const messages = records.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        key: r.key === null ? undefined : Buffer.from(r.key, "utf8"),
        value: Buffer.from(r.value, "utf8"),
        headers: new Map(r.headers.map((h) => [Buffer.from(h.key, "utf8"), Buffer.from(h.value, "utf8")])),
        timestamp: BigInt(r.timestampMs),
      }));
      try {
        const result = await withTimeout(producer.send({ messages }), sendBound, "produce");
        return (result.offsets ?? []).map((x) => ({
          topic: x.topic,
          partition: x.partition,
          baseOffset: Number(x.offset),
        }));
      } catch (e) {
        throw classify(e, "produce");
      }
    },
    async partitionCounts() {
      try {
        const a = getAdmin();
        const names = await withTimeout(a.listTopics(), metaBound, "metadata");
        if (names.length === 0) return new Map();
        const meta = await withTimeout(
          a.metadata({ topics: names, forceUpdate: true }),
          metaBound,
          "metadata",
        );
        return new Map([...meta.topics].map(([name, t]) => [name, t.partitionsCount]));
      } catch (e) {
        throw classify(e, "metadata");
      }
    },
    async ping() {
      try {
        const meta = await withTimeout(
          getAdmin().metadata({ topics: [], forceUpdate: true }),
          metaBound,
          "metadata",
        );
        return { brokers: meta.brokers.size };
      } catch (e) {
        throw classify(e, "metadata");
      }
    },
    async reset() {
      const p = producer;
      producer = undefined;
      if (p) await withTimeout(p.close(), metaBound, "producer close").catch(() => undefined);
    },
    async close() {
      await this.reset();
      const a = admin;
      admin = undefined;
      if (a) await withTimeout(a.close(), metaBound, "admin close").catch(() => undefined);
    },
  };
}
