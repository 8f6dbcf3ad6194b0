/**
 * The contract between a HostMonitor's outbox and wherever its events go.
 *
 * The DO writes every accepted point, prediction and alert transition as an {@link OutboxEvent}; an
 * alarm later hands the undelivered ones, oldest first, to the configured {@link EventSink}. Delivery
 * is at-least-once: a request whose answer is lost is sent again, so consumers drop duplicates by the
 * event id (carried both in the `event-id` Kafka header and inside the JSON value).
 *
 * The record format itself (envelope, topics, payloads, the `event-id` header) is in
 * `contracts/events.ts`, which the gateway and the connector import too.
 */
import type { EventEnvelope, Topic } from "../../contracts/events.ts";

export interface OutboxEvent {
  /** Stable across redeliveries; consumers dedupe on it. */
  id: string;
  topic: Topic;
  /** Kafka key, `<tenant>/<host>`: one partition per host keeps per-host order. */
  key: string;
  /** Event time, epoch ms. */
  timestampMs: number;
  /** Must survive `JSON.stringify` (no BigInt, no cycles). */
  payload: unknown;
}

/**
 * No external sink: events stay in DO storage under its retention and are served from there. It has
 * no `deliver`, so the type system stops the DO from "flushing" (and then deleting) them.
 */
export interface EmbeddedSink {
  readonly kind: "embedded";
}

/** Sends events to an external system (today: an Upstash-Kafka-REST-compatible gateway). */
export interface DeliveringSink {
  readonly kind: "upstash";
  /**
   * Delivers all `events` in order, or throws {@link SinkError} whose `delivered` counts the leading
   * events known to be delivered (the DO may advance its watermark by that many). Events after them
   * may or may not have arrived; sending them again is safe (consumers dedupe by id).
   */
  deliver(events: readonly OutboxEvent[]): Promise<void>;
}

export type EventSink = EmbeddedSink | DeliveringSink;

export type SinkErrorCode =
  /** The request failed before a response was read (connection refused, reset, DNS, TLS). */
  | "network"
  /** No answer within the sink's `timeoutMs`; the events may still arrive (duplicates are fine). */
  | "timeout"
  /** HTTP 429. */
  | "rate_limited"
  /** HTTP 5xx or 408: the gateway or Kafka behind it is unwell. */
  | "unavailable"
  /** HTTP 401/403: wrong credentials. Retrying unchanged will not help; an operator must fix them. */
  | "unauthorized"
  /** Other HTTP 4xx (bad request, unknown topic, too large): the gateway refuses this request. */
  | "rejected"
  /** A response we cannot trust: not JSON, no status in an error body, or not one result per event. */
  | "bad_response"
  /** An event's payload cannot be JSON-serialised; `delivered` points at it. */
  | "unserializable";

const RETRYABLE: Record<SinkErrorCode, boolean> = {
  network: true,
  timeout: true,
  rate_limited: true,
  unavailable: true,
  bad_response: true,
  unauthorized: false,
  rejected: false,
  unserializable: false,
};

/**
 * A failed (or partly failed) delivery. `retryable: false` means the same request will fail again
 * until something changes (credentials, topics, the offending event); the DO still keeps every
 * undelivered event either way and keeps retrying with its backoff — a sink error never drops data.
 */
export class SinkError extends Error {
  readonly code: SinkErrorCode;
  readonly retryable: boolean;
  /** Leading events of the `deliver` call known delivered (0..events.length-1). */
  readonly delivered: number;
  /** HTTP status when the gateway answered with one. */
  readonly status: number | undefined;

  constructor(
    code: SinkErrorCode,
    message: string,
    opts: { delivered: number; status?: number | undefined; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = "SinkError";
    this.code = code;
    this.retryable = RETRYABLE[code];
    this.delivered = opts.delivered;
    this.status = opts.status;
  }
}

export function toEnvelope(event: OutboxEvent): EventEnvelope {
  return { id: event.id, topic: event.topic, key: event.key, ts: event.timestampMs, payload: event.payload };
}
