/**
 * The connector's consumer lag: records in the event topics a group has not committed (end offset −
 * committed offset per partition; a partition the group never committed counts from its low offset),
 * read with the kafkajs admin client as `scripts/stack/stack.ts`'s `connectorLag` does. One admin
 * connection is kept between scrapes and dropped after a failure; every read is bounded by a timeout,
 * so a scrape never waits on a broker that is down.
 */
import { Kafka, logLevel, type Admin } from "kafkajs";
import { EVENT_TOPICS } from "../contracts/events.ts";

export interface LagReader {
  /** group → lag in records; rejects when Kafka does not answer in time. */
  read(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export function kafkaLagReader(o: { brokers: string[]; groups: string[]; timeoutMs: number }): LagReader {
  let admin: Admin | null = null;
  let connecting: Promise<Admin> | null = null;
  let generation = 0;
  const connect = () => {
    const mine = generation;
    connecting ??= (async () => {
      const a = new Kafka({
        clientId: "downtime-exporter",
        brokers: o.brokers,
        logLevel: logLevel.NOTHING,
        connectionTimeout: o.timeoutMs,
        requestTimeout: o.timeoutMs,
        retry: { retries: 0 },
      }).admin();
      await a.connect();
      if (mine !== generation) {
        // Dropped (timed out or closed) while connecting: do not keep this connection.
        await a.disconnect().catch(() => {});
        throw new Error("Kafka admin connection dropped");
      }
      admin = a;
      return a;
    })();
    return connecting;
  };
  const drop = async () => {
    const a = admin;
    generation++;
    admin = null;
    connecting = null;
    await a?.disconnect().catch(() => {});
  };

  const readOnce = async (): Promise<Map<string, number>> => {
    const a = await connect();
    const ends = new Map(
      await Promise.all(EVENT_TOPICS.map(async (t) => [t, await a.fetchTopicOffsets(t)] as const)),
    );
    const out = new Map<string, number>();
    for (const groupId of o.groups) {
      const committed = await a.fetchOffsets({ groupId, topics: [...EVENT_TOPICS] });
      let lag = 0;
      for (const topic of EVENT_TOPICS) {
        const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
        for (const e of ends.get(topic) ?? []) {
          const c = BigInt(mine.find((p) => p.partition === e.partition)?.offset ?? "-1");
          const done = c < 0n ? BigInt(e.low) : c;
          lag += Number(BigInt(e.high) - done);
        }
      }
      out.set(groupId, lag);
    }
    return out;
  };

  return {
    async read() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Kafka did not answer within ${o.timeoutMs} ms`)),
          o.timeoutMs,
        );
      });
      try {
        return await Promise.race([readOnce(), timeout]);
      } catch (e) {
        await drop();
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    close: drop,
  };
}
