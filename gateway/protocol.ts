/**
 * The Upstash Kafka REST produce protocol as `@upstash/kafka` 1.3.5 speaks it (pinned in
 * durable-objects/sink/upstash.ts): `POST /produce` with one record or an array of
 * `{topic, value: string, key?, partition?, timestamp?, headers?: [{key, value}]}`; the answer is one
 * `{topic, partition, offset, timestamp}` per record, in order. `GET /topics` answers
 * `{"<topic>": <partitions>}`.
 *
 * The whole request is validated before anything is produced; the first problem becomes a 400 naming
 * the field, e.g. `records[3].topic: unknown topic "x"` (a single record is `records[0]`).
 */
import { z } from "zod";
import { GatewayError } from "./errors.ts";

const Header = z.strictObject({ key: z.string(), value: z.string() });

export function produceBodySchema(allowedTopics: readonly string[]) {
  const allowed = new Set(allowedTopics);
  const Record = z.strictObject({
    topic: z.string().refine((t) => allowed.has(t), {
      error: (issue) => `unknown topic ${JSON.stringify(issue.input)}`,
    }),
    value: z.string(),
    key: z.string().optional(),
    partition: z.number().int().nonnegative().max(1_000_000).optional(),
    /** CreateTime, epoch ms. */
    timestamp: z.number().int().nonnegative().max(8_640_000_000_000_000).optional(),
    headers: z.array(Header).max(256).optional(),
  });
  // One record or an array, by shape rather than z.union, so a 400 names the offending field.
  return z.preprocess(
    (v) => (Array.isArray(v) ? v : [v]),
    z.array(Record).min(1, { error: "must hold at least one record" }),
  );
}

export type ProduceRecord = z.infer<ReturnType<typeof produceBodySchema>>[number];

export interface ProduceResult {
  topic: string;
  partition: number;
  offset: number;
  /** The record's CreateTime, epoch ms. */
  timestamp: number;
}

/** Bytes a record puts on the wire that the caller controls: value, key and headers (UTF-8). */
export function recordBytes(r: {
  value: string;
  key?: string | null;
  headers?: readonly { key: string; value: string }[];
}): number {
  let n = Buffer.byteLength(r.value, "utf8");
  if (r.key !== undefined && r.key !== null) n += Buffer.byteLength(r.key, "utf8");
  for (const h of r.headers ?? []) n += Buffer.byteLength(h.key, "utf8") + Buffer.byteLength(h.value, "utf8");
  return n;
}

/**
 * Parses a produce body (already JSON) and checks each record's size.
 * @throws GatewayError `bad_request` naming the first bad field, `too_large` naming the first record
 *   over `maxRecordBytes`.
 */
export function parseProduceBody(
  schema: ReturnType<typeof produceBodySchema>,
  json: unknown,
  maxRecordBytes: number,
): ProduceRecord[] {
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new GatewayError("bad_request", issue ? describeIssue(issue, json) : "invalid body");
  }
  for (const [i, record] of r.data.entries()) {
    const bytes = recordBytes(record);
    if (bytes > maxRecordBytes)
      throw new GatewayError(
        "too_large",
        `records[${i}]: ${bytes} bytes of value, key and headers, over the cap of ${maxRecordBytes} bytes`,
      );
  }
  return r.data;
}

/** `records[3].headers[0].key: must be a string`. */
export function describeIssue(issue: z.core.$ZodIssue, body: unknown): string {
  let path = "records";
  for (const p of issue.path) path += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  if (issue.path.length === 0) path = "body";
  return `${path}: ${messageOf(issue, valueAt(Array.isArray(body) ? body : [body], issue.path))}`;
}

/** The value at `path` in the (array-wrapped) body: zod 4 issues do not carry their input. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = Reflect.get(v, p);
  }
  return v;
}

function messageOf(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "is required";
      if (issue.path.length <= 1 && issue.expected === "object")
        return "must be a record object {topic, value, key?, partition?, timestamp?, headers?}";
      return `must be ${issue.expected === "array" ? "an array" : `a ${issue.expected}`}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "too_small":
    case "too_big":
      return issue.message.startsWith("Too")
        ? `must be ${issue.code === "too_small" ? "≥" : "≤"} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)}`
        : issue.message;
    default:
      return issue.message;
  }
}
