/**
 * The HTTP API's bodies: what a client sends (`POST /metrics`, `POST /predict`) and what the Worker
 * answers (every route), so clients — the `npm start` demo, tests, the status page — parse answers with
 * the same schemas the Worker is written against. Error bodies: `{"error": {code, message, issues?}}`.
 */
import { z } from "zod";
import { METRICS } from "./metrics.ts";
import { HostName } from "./names.ts";
import { IngestCanonicalMetrics, IngestExtraMetrics, IngestLabels } from "./points.ts";
import { PredictionSchema } from "./prediction.ts";
import { IngestResponseSchema, ListedHostSchema, MAX_POINTS_PER_CALL } from "./rpc.ts";
import { MAX_FUTURE_MS, MIN_TIMESTAMP_MS } from "./time.ts";

export { MAX_FUTURE_MS };

// ── Requests ────────────────────────────────────────────────────────────────────────────────────────

/** Points per request body; a host's points of one request go to its object in one call. */
export const MAX_POINTS_PER_REQUEST = MAX_POINTS_PER_CALL;
export const MAX_BODY_BYTES = 1024 * 1024;

const TIMESTAMP_FORMS = "must be ISO-8601 with a time zone, or epoch milliseconds";

/**
 * ISO-8601 (with a zone) or epoch milliseconds. Its range (from 2000-01-01, the retention, at most
 * 5 min ahead) is checked against the receive time by `timestampIssue` (contracts/time.ts), for both
 * forms; a string becomes epoch ms with `isoToEpochMs` there.
 */
export const Timestamp = z.union([
  z
    // The message for a value that is neither a number nor a string (the union then reports it).
    .number({ error: TIMESTAMP_FORMS })
    .refine(Number.isFinite, { message: "must be a finite number" })
    .pipe(
      z.number().int({ message: "must be an integer (epoch milliseconds)" }).min(MIN_TIMESTAMP_MS, {
        message: "must be epoch milliseconds from 2000-01-01 on (a smaller number is usually seconds)",
      }),
    ),
  // Every string this accepts, isoToEpochMs reads (worker/timestamps.workerd.test.ts checks this).
  z.iso.datetime({ offset: true, message: TIMESTAMP_FORMS }),
]);

/** One point as sent over HTTP. Unknown keys are rejected so typos (`cpu_usge`) do not vanish silently. */
export const PointBody = z
  .strictObject({
    host: HostName.optional(),
    timestamp: Timestamp.optional(),
    ...IngestCanonicalMetrics,
    metrics: IngestExtraMetrics.optional(),
    labels: IngestLabels.optional(),
  })
  .refine(
    (p) =>
      METRICS.some((m) => p[m] !== undefined && p[m] !== null) || Object.keys(p.metrics ?? {}).length > 0,
    { message: `a point needs at least one of ${METRICS.join(", ")} or a non-empty metrics object` },
  );
export type PointBody = z.infer<typeof PointBody>;

/** A batch; its length is checked before this schema runs (more than 1000 points is a 413). */
export const BatchBody = z.strictObject({
  points: z.array(PointBody).min(1, { message: "must not be empty" }),
});

export const PredictBody = z.strictObject({
  host: HostName.optional(),
  points: z.array(PointBody).min(1, { message: "must not be empty" }),
});

// ── Responses ───────────────────────────────────────────────────────────────────────────────────────

/** `POST /metrics` with one point: the host's result. */
export const PointIngestSchema = IngestResponseSchema.omit({ index: true });
export type PointIngest = z.infer<typeof PointIngestSchema>;

/** `POST /metrics` with a batch: totals and each host's result. */
export const BatchIngestSchema = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  dropped_late: z.number(),
  hosts: z.array(PointIngestSchema),
});
export type BatchIngest = z.infer<typeof BatchIngestSchema>;

/** `POST /metrics/validate`. */
export const ValidateResponseSchema = z.object({
  valid: z.literal(true),
  points: z.number(),
  hosts: z.number(),
});

/** `POST /predict`. */
export const PredictResponseSchema = z.object({
  host: z.string(),
  points: z.number(),
  dropped_late: z.number(),
  prediction: PredictionSchema.nullable(),
});

/** `GET /hosts`. */
export const HostsListingSchema = z.object({
  hosts: z.array(ListedHostSchema),
  total: z.number(),
  shards: z.number(),
});
export type HostsListing = z.infer<typeof HostsListingSchema>;

/** `GET /health` (200 when `ok`, 503 when `degraded`). */
export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  model_version: z.string(),
  inference: z.object({ ready: z.boolean(), load_ms: z.number().nullable(), error: z.string().nullable() }),
  sink: z.object({ kind: z.string(), error: z.string().nullable() }),
  environment_error: z.string().nullable(),
});
export type Health = z.infer<typeof HealthSchema>;

export const ERROR_CODES = [
  "invalid_json",
  "invalid_field",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "model_unavailable",
  "bad_environment",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const IssueSchema = z.object({
  /** Dotted path into the request body (`points.3.cpu_usage`), or the query/header name. */
  path: z.string(),
  message: z.string(),
});
export type Issue = z.infer<typeof IssueSchema>;

/** Every error answer: `{"error": {"code", "message", "issues"?}}` (4xx bodies name the fields). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    issues: z.array(IssueSchema).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
