/**
 * The contract between the Worker and its Durable Objects: the requests the Worker hands over (already
 * validated at the HTTP boundary, validated again by the object because RPC is a boundary too) and
 * what the objects answer. The Worker parses the answers with the same schemas.
 */
import { z } from "zod";
import { INGEST_METRIC_RANGES, METRICS } from "./metrics.ts";
import { HOST_RE, HostName, TENANT_RE, TenantName } from "./names.ts";
import { IngestPoint, StoredPoint } from "./points.ts";
import { AlertTransitionSchema, LEVELS, LevelSchema, PredictionSchema } from "./prediction.ts";
import { isEpochMs } from "./time.ts";

export const MAX_POINTS_PER_CALL = 1000;

/**
 * What a host object accepts to ingest: the edge's rules for new points (`IngestPoint`: timestamps in
 * the range of contracts/time.ts, metric bounds, no reserved names), which everything the Worker
 * accepts satisfies (worker/timestamps.workerd.test.ts checks this on generated timestamps).
 */
export const IngestRequest = z.strictObject({
  tenant: TenantName,
  host: HostName,
  points: z.array(IngestPoint).min(1).max(MAX_POINTS_PER_CALL),
});
export type IngestRequest = z.infer<typeof IngestRequest>;

const POINT_KEYS = new Set<string>(["timestamp", ...METRICS]);

/**
 * The common case of an ingest request checked by hand: points with a timestamp and canonical metrics
 * only (no `metrics`, no `labels`), every value in range. True only for requests that `IngestRequest`
 * accepts unchanged; false for everything else, which then goes through the schema (its answer, and
 * its error messages, decide). A conservative shortcut, not a second set of rules: it may say false to
 * a valid request, never true to an invalid one (rpc.test.ts checks this on generated requests).
 */
export function isPlainIngestRequest(input: unknown): input is IngestRequest {
  if (!isRecord(input)) return false;
  let keys = 0;
  for (const k in input) {
    if (k !== "tenant" && k !== "host" && k !== "points") return false;
    keys++;
  }
  if (keys !== 3) return false;
  const { tenant, host, points } = input;
  if (typeof tenant !== "string" || !TENANT_RE.test(tenant)) return false;
  if (typeof host !== "string" || !HOST_RE.test(host)) return false;
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS_PER_CALL) return false;
  for (const p of points as unknown[]) {
    if (!isRecord(p)) return false;
    for (const k in p) if (!POINT_KEYS.has(k)) return false;
    const t = p.timestamp;
    if (!isEpochMs(t)) return false;
    for (const m of METRICS) {
      const v = p[m];
      if (v === undefined || v === null) continue;
      const r = INGEST_METRIC_RANGES[m];
      if (typeof v !== "number" || !Number.isFinite(v) || v < r.min || v > r.max) return false;
    }
  }
  return true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

/** An ingest request from RPC: the hand check for the common case, the schema for everything else. */
export function parseIngestRequest(input: unknown): IngestRequest {
  return isPlainIngestRequest(input) ? input : parseRpc(IngestRequest, input, "ingest request");
}

export const HistoryRequest = z.strictObject({
  fromMs: z.number().int(),
  toMs: z.number().int(),
  limit: z.number().int().min(1).max(10_000),
});
export type HistoryRequest = z.infer<typeof HistoryRequest>;

/** A host's entry in the ranking, as its HostMonitor reports it after an ingest. */
export const IndexEntrySchema = z.object({
  host: HostName,
  level: LevelSchema,
  /** Warning-horizon (30-min) risk, fraction 0..1. */
  risk: z.number().min(0).max(1),
  risks: z.record(z.string(), z.number()),
  downtime_within_minutes: z.number().nullable(),
  time_to_breach_s: z.number().nullable(),
  as_of: z.string(),
});
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

export const ListRequest = z.object({
  limit: z.number().int().min(1).max(1000),
  minLevel: z.enum(LEVELS),
});
export type ListRequest = z.infer<typeof ListRequest>;

export const ListedHostSchema = IndexEntrySchema.extend({
  /** When the index entry was last written (receive time), ISO-8601. */
  updated_at: z.string(),
  /**
   * Seconds from the entry's `as_of` (its newest point) to the listing: up to about a minute for a
   * host that is sending (entries are refreshed at least once a minute); more means the host stopped
   * reporting — perhaps because it is down.
   */
  silent_s: z.number(),
});
export type ListedHost = z.infer<typeof ListedHostSchema>;

/** One index shard's answer to a listing. */
export const ShardListingSchema = z.object({ hosts: z.array(ListedHostSchema), total: z.number() });
export type ShardListing = z.infer<typeof ShardListingSchema>;

/** A HostMonitor's answer to one ingest call. */
export const IngestResponseSchema = z.object({
  host: z.string(),
  /** Points accepted (stored, forwarded and scored). */
  accepted: z.number(),
  /** Points whose timestamp equals one already accepted for this host: ignored (first one wins). */
  duplicates: z.number(),
  /** Points older than the host's open step: dropped (the step they belong to is already scored). */
  dropped_late: z.number(),
  prediction: PredictionSchema.nullable(),
  /** The host's new ranking entry when it is due (the Worker forwards it to the index shard). */
  index: IndexEntrySchema.nullable(),
});
export type IngestResponse = z.infer<typeof IngestResponseSchema>;

export const HistoryPointSchema = StoredPoint.extend({ time: z.string() });

/** A HostMonitor's history answer (the body of `GET /hosts/:host/history`). */
export const HistoryResponseSchema = z.object({
  host: z.string(),
  from: z.string(),
  to: z.string(),
  points: z.array(HistoryPointSchema),
  predictions: z.array(PredictionSchema),
  alerts: z.array(AlertTransitionSchema),
  /** True when a list hit `limit` (ask again from the last timestamp). */
  truncated: z.boolean(),
});
export type HistoryResponse = z.infer<typeof HistoryResponseSchema>;

/**
 * Validates an RPC argument or answer. Errors crossing the RPC boundary keep only their message, so
 * the message carries the readable issue list (a ZodError's own message would arrive as just "ZodError").
 */
export function parseRpc<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new TypeError(`invalid ${what}: ${z.prettifyError(r.error)}`);
  return r.data;
}

/**
 * Errors cross the RPC boundary as plain Errors (message only); a model that cannot be loaded is marked
 * by this prefix so the Worker answers 503 instead of 500.
 */
export const MODEL_UNAVAILABLE = "model unavailable:";
