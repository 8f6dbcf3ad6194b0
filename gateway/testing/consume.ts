/**
 * Reads records back from a real Kafka with kafkajs, for the gateway's tests and the workerd
 * pipeline test's read endpoint: a consumer in a fresh group from the beginning of `topics`, collecting
 * records (optionally only those whose key matches) until `count` have arrived or `timeoutMs` passed.
 */
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  /** In wire order. kafkajs folds a repeated header key into an array; it is unfolded here. */
  headers: { key: string; value: string }[];
  timestamp: number;
}

export interface ReadOptions {
  topics: readonly string[];
  /** Stop once this many matching records arrived. */
  count: number;
  /** Keep only records whose key passes (e.g. a test's own tenant prefix). */
  filter?: (r: ConsumedRecord) => boolean;
  /** Give up after this long, ms (default 30 s); resolves with what arrived. */
  timeoutMs?: number;
}

export async function readRecords(bootstrap: string, o: ReadOptions): Promise<ConsumedRecord[]> {
  const kafka = new Kafka({
    clientId: "gateway-test-reader",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, sessionTimeout: 10_000 });
  const out: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const timer = setTimeout(done, o.timeoutMs ?? 30_000);
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: ConsumedRecord["headers"] = [];
        for (const [key, v] of Object.entries(message.headers ?? {})) {
          for (const one of Array.isArray(v) ? v : [v])
            headers.push({ key, value: one?.toString("utf8") ?? "" });
        }
        const r: ConsumedRecord = {
          topic,
          partition,
          offset: Number(message.offset),
          key: message.key?.toString("utf8") ?? null,
          value: message.value?.toString("utf8") ?? "",
          headers,
          timestamp: Number(message.timestamp),
        };
        if (o.filter && !o.filter(r)) return;
        out.push(r);
        if (out.length >= o.count) done();
      },
    });
    await finished;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** The end offset (next offset to be written) of every partition of `topic`, summed. */
export async function topicEndOffset(bootstrap: string, topic: string): Promise<number> {
  const kafka = new Kafka({
    clientId: "gateway-test-offsets",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const parts = await admin.fetchTopicOffsets(topic);
    return parts.reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}
