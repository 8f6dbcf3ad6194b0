/**
 * {@link KafkaClient} on kafkajs 2.2: an idempotent producer (`maxInFlightRequests: 1`, as kafkajs
 * requires for idempotence) sending with `acks: -1`, and an admin client for metadata. kafkajs' own
 * retries are kept short (the gateway answers 503 and the edge's outbox retries with backoff), and its
 * logger is silenced except for errors.
 */
import { Kafka, logLevel, type Admin, type IHeaders, type Producer, type TopicMessages } from "kafkajs";
import {
  errorChain,
  KafkaClientError,
  withTimeout,
  type KafkaClient,
  type KafkaClientOptions,
  type OutRecord,
  type PartitionAck,
} from "./types.ts";

export function createKafkajsClient(o: KafkaClientOptions): KafkaClient {
  const kafka = new Kafka({
    clientId: o.clientId,
    brokers: [...o.brokers],
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let admin: Promise<Admin> | undefined;
  const bound = o.requestTimeoutMs + o.connectionTimeoutMs;

  const getProducer = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      try {
        await p.connect();
      } catch (e) {
        connecting = undefined;
        await p.disconnect().catch(() => undefined);
        throw e;
      }
      producer = p;
      connecting = undefined;
      return p;
    })();
    return connecting;
  };

  const getAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = kafka.admin({ retry: { retries: 0 } });
      try {
        await a.connect();
      } catch (e) {
        admin = undefined;
        throw e;
      }
      return a;
    })();
    return admin;
  };

  const classify = (error: unknown, what: string): KafkaClientError => {
    if (error instanceof KafkaClientError) return error;
    const chain = errorChain(error);
    const text = chain.join(" | ");
    if (/MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/.test(text))
      return new KafkaClientError("too_large", `${what}: the broker refused a batch as too large (${text})`, {
        cause: error,
      });
    const retriable = (e: unknown): boolean =>
      typeof e === "object" && e !== null && "retriable" in e && e.retriable === true;
    const name = error instanceof Error ? error.name : "";
    if (
      retriable(error) ||
      /Connection|Timeout|NumberOfRetriesExceeded|BrokerNotFound|MetadataNotLoaded/.test(name) ||
      /ECONNREFUSED|ECONNRESET|Connection (error|timeout)|Closed connection/i.test(text)
    )
      return new KafkaClientError("unavailable", `${what}: ${text}`, { cause: error });
    return new KafkaClientError("rejected", `${what}: ${text}`, { cause: error });
  };

  return {
    name: "kafkajs",
    async send(records: readonly OutRecord[]): Promise<PartitionAck[]> {
      // One entry per topic, records in request order (kafkajs keeps the order within a partition).
      const byTopic = new Map<string, TopicMessages>();
      for (const r of records) {
        let t = byTopic.get(r.topic);
        if (!t) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
        t.messages.push({
          partition: r.partition,
          key: r.key,
          value: r.value,
          headers: toHeaders(r.headers),
          timestamp: String(r.timestampMs),
        });
      }
      try {
        const p = await getProducer();
        const metas = await p.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
        return metas.map((m) => ({
          topic: m.topicName,
          partition: m.partition,
          baseOffset: Number(m.baseOffset ?? m.offset),
        }));
      } catch (e) {
        throw classify(e, "produce");
      }
    },
    async partitionCounts() {
      try {
        const a = await withTimeout(getAdmin(), bound, "admin connect");
        const { topics } = await withTimeout(a.fetchTopicMetadata(), bound, "metadata");
        return new Map(topics.map((t) => [t.name, t.partitions.length]));
      } catch (e) {
        throw classify(e, "metadata");
      }
    },
    async ping() {
      try {
        const a = await withTimeout(getAdmin(), bound, "admin connect");
        const c = await withTimeout(a.describeCluster(), bound, "metadata");
        return { brokers: c.brokers.length };
      } catch (e) {
        throw classify(e, "metadata");
      }
    },
    async reset() {
      const p = producer;
      producer = undefined;
      connecting = undefined;
      if (p) await withTimeout(p.disconnect(), bound, "producer disconnect").catch(() => undefined);
    },
    async close() {
      await this.reset();
      const a = admin;
      admin = undefined;
      if (a)
        await withTimeout(
          a.then((x) => x.disconnect()),
          bound,
          "admin disconnect",
        ).catch(() => undefined);
    },
  };
}

/** Upstash headers (an ordered list, keys may repeat) as kafkajs headers (a repeated key → an array). */
function toHeaders(headers: OutRecord["headers"]): IHeaders {
  const out: IHeaders = {};
  for (const { key, value } of headers) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev as string, value];
  }
  return out;
}
