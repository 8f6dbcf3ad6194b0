/**
 * The one seam between the gateway and a Kafka client library. Two implementations exist
 * (`kafkajs.ts`, `platformatic.ts`), chosen by `GATEWAY_KAFKA_CLIENT`; both are driven by
 * `../producer.ts`, which assigns every record its partition and calls {@link KafkaClient.send} one
 * call at a time (see there for why), so an implementation never sees concurrent sends.
 */

export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;
export type KafkaClientName = (typeof KAFKA_CLIENTS)[number];

/** A record ready for the wire: its partition is already chosen. */
export interface OutRecord {
  topic: string;
  partition: number;
  key: string | null;
  value: string;
  /** In order; a key may repeat. */
  headers: readonly { key: string; value: string }[];
  /** CreateTime, epoch ms. */
  timestampMs: number;
}

/** The broker's acknowledgement for one topic-partition of a send: the offset of its first record. */
export interface PartitionAck {
  topic: string;
  partition: number;
  baseOffset: number;
}

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  /** Bound on one broker request (produce, metadata), ms. */
  requestTimeoutMs: number;
  /** Bound on opening a connection, ms. */
  connectionTimeoutMs: number;
}

export interface KafkaClient {
  readonly name: KafkaClientName;
  /**
   * Produces `records` with the idempotent producer and `acks=all`, the records of one partition in
   * one batch in array order. Resolves once the broker acknowledged all of them.
   * @throws KafkaClientError
   */
  send(records: readonly OutRecord[]): Promise<PartitionAck[]>;
  /** Topic → partition count of every topic on the cluster (one metadata request). */
  partitionCounts(): Promise<Map<string, number>>;
  /** A metadata request, bounded by the request timeout: the brokers the cluster reports. */
  ping(): Promise<{ brokers: number }>;
  /**
   * Drops the producer (after a timeout or connection failure) so the next send starts a fresh
   * idempotent producer (new producer id, sequences from 0) instead of reusing a half-known state.
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export type KafkaErrorKind = "unavailable" | "timeout" | "too_large" | "rejected";

/** A failed Kafka operation, classified. `unavailable`/`timeout` are worth a retry by the caller. */
export class KafkaClientError extends Error {
  override readonly name = "KafkaClientError";
  readonly retryable: boolean;
  constructor(
    readonly kind: KafkaErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = kind === "unavailable" || kind === "timeout";
  }
}

/** Rejects with a `timeout` KafkaClientError after `ms`; the losing promise keeps a handler. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new KafkaClientError("timeout", `${what} did not finish within ${ms} ms`)),
      ms,
    );
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Error messages down a `cause`/`errors`/`originalError` chain, for classification and logs. */
export function errorChain(error: unknown, depth = 0): string[] {
  if (depth > 6 || typeof error !== "object" || error === null)
    return error === undefined ? [] : [String(error)];
  const out: string[] = [];
  const e = error as {
    message?: unknown;
    type?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
    originalError?: unknown;
  };
  out.push([e.type, e.code, e.message].filter((x) => typeof x === "string").join(" "));
  if (e.cause !== undefined) out.push(...errorChain(e.cause, depth + 1));
  if (e.originalError !== undefined) out.push(...errorChain(e.originalError, depth + 1));
  if (Array.isArray(e.errors))
    for (const inner of e.errors.slice(0, 5)) out.push(...errorChain(inner, depth + 1));
  return out.filter((s) => s.length > 0);
}
