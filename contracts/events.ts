/**
 * The events the edge publishes — one Kafka record per event — and the topics they go to.
 *
 * Each HostMonitor writes every accepted batch of points, every prediction and every alert level
 * transition to its outbox; its sink delivers them at least once to `metrics`, `predictions` and
 * `alerts`, keyed `<tenant>/<host>` ({@link hostKey}) so one host's events stay in one partition, in
 * order. The record value is the JSON {@link EventEnvelope}; the `event-id` header repeats its id so a
 * consumer can drop duplicates without parsing. A consumer that cannot use a record sends it to
 * `dead-letter` with the reason and where it came from in {@link DEAD_LETTER_HEADERS}.
 */
import { z } from "zod";
import { HostName, parseHostKey } from "./names.ts";
import { StoredPoint } from "./points.ts";
import { AlertTransitionSchema, PredictionSchema } from "./prediction.ts";

export const EVENT_TOPICS = ["metrics", "predictions", "alerts"] as const;
export type Topic = (typeof EVENT_TOPICS)[number];
export const DEAD_LETTER_TOPIC = "dead-letter";
/** Every topic the pipeline uses: what the gateway allows and `npm run stack` creates. */
export const ALL_TOPICS = [...EVENT_TOPICS, DEAD_LETTER_TOPIC] as const;

/** Kafka header carrying the event id, so consumers can dedupe without parsing the value. */
export const EVENT_ID_HEADER = "event-id";

/** Headers a dead-lettered record carries besides the original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: "dlq-reason",
  topic: "dlq-topic",
  partition: "dlq-partition",
  offset: "dlq-offset",
} as const;

/** The body of a `metrics` event: one ingest call's accepted points of a host, oldest first. */
export const MetricsEventBody = z.object({ host: HostName, points: z.array(StoredPoint).min(1) });
export type MetricsEventBody = z.infer<typeof MetricsEventBody>;

/** The payload schema of each topic's events. */
export const PAYLOADS = {
  metrics: MetricsEventBody,
  predictions: PredictionSchema,
  alerts: AlertTransitionSchema,
} as const satisfies Record<Topic, z.ZodType>;

/** The Kafka record value (as a JSON string): the event itself, self-describing. */
export const EventEnvelopeSchema = z.object({
  /** `<object incarnation>:<sequence>`: stable across redeliveries; consumers dedupe on it. */
  id: z.string().min(1),
  topic: z.enum(EVENT_TOPICS),
  /** `<tenant>/<host>`, the record's Kafka key. */
  key: z.string(),
  /** Event time, epoch ms. */
  ts: z.number(),
  payload: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

const envelope = <T extends Topic>(topic: T) =>
  EventEnvelopeSchema.extend({ topic: z.literal(topic), payload: PAYLOADS[topic] });

/** An envelope whose payload is checked against its topic's schema. */
export const EventSchema = z
  .discriminatedUnion("topic", [envelope("metrics"), envelope("predictions"), envelope("alerts")])
  .superRefine((e, ctx) => {
    const k = parseHostKey(e.key);
    if (!k) ctx.addIssue({ code: "custom", path: ["key"], message: "must be <tenant>/<host>" });
    else if (k.host !== e.payload.host)
      ctx.addIssue({
        code: "custom",
        path: ["payload", "host"],
        message: `must equal the key's host "${k.host}"`,
      });
  });
export type Event = z.infer<typeof EventSchema>;

/**
 * Parses a record value into a typed event, checking the payload against its topic and the key against
 * the payload's host. When given, the record's own topic and Kafka key must equal the envelope's (a
 * record keyed otherwise may sit in another partition, out of its host's order). Throws
 * {@link EventError} with a readable reason (what goes into the dead-letter header).
 */
export function parseEvent(
  value: string,
  record: { topic?: string; key?: string | null } = {},
): Event & { tenant: string } {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (e) {
    throw new EventError(`value is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = EventSchema.safeParse(json);
  if (!r.success) throw new EventError(`invalid event: ${z.prettifyError(r.error).replaceAll("\n", "; ")}`);
  if (record.topic !== undefined && r.data.topic !== record.topic)
    throw new EventError(`event of topic "${r.data.topic}" arrived on topic "${record.topic}"`);
  if (record.key !== undefined && r.data.key !== record.key)
    throw new EventError(`record key ${JSON.stringify(record.key)} is not the event's key "${r.data.key}"`);
  return { ...r.data, tenant: parseHostKey(r.data.key)!.tenant };
}

export class EventError extends Error {
  override readonly name = "EventError";
}
