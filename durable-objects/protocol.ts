/**
 * The contract between the Worker and the HostMonitor Durable Object: the normalised point the Worker
 * hands over (already validated at the HTTP boundary, validated again here because RPC is a boundary
 * too), and what the object answers. Also the naming rules shared by both sides.
 */
import { z } from "zod";
import { METRIC_SPECS } from "../model/core/metrics.ts";

/** Host names: 1–128 chars, letters, digits and `. _ : -`, starting with a letter or digit. */
export const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Tenant names (from API_KEYS): same alphabet, at most 64 chars. */
export const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Extra metric and label names. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const NAME_RULE = "1–64 letters, digits and _ . : -, starting with a letter or _";

export const MAX_EXTRA_METRICS = 64;
export const MAX_LABELS = 32;
export const MAX_LABEL_VALUE_CHARS = 256;

export const HostName = z.string().regex(HOST_RE, {
  message: "must be 1–128 characters of letters, digits and . _ : -, starting with a letter or digit",
});

const finite = z.number().refine(Number.isFinite, { message: "must be a finite number" });
const metric = (name: keyof typeof METRIC_SPECS, what: string) => {
  const s = METRIC_SPECS[name];
  return finite
    .min(s.min, { message: `must be ${what}` })
    .max(s.max, { message: `must be ${what}` })
    .nullish();
};

/** The four canonical metrics with their valid ranges. */
export const CanonicalMetrics = {
  cpu_usage: metric("cpu_usage", "a percentage 0..100"),
  memory_usage: metric("memory_usage", "a percentage 0..100"),
  network_latency: metric("network_latency", "milliseconds ≥ 0"),
  error_rate: metric("error_rate", "a fraction 0..1"),
};

export const ExtraMetrics = z
  .record(z.string().regex(NAME_RE, { message: `is not a valid metric name: ${NAME_RULE}` }), finite)
  .refine((m) => Object.keys(m).length <= MAX_EXTRA_METRICS, {
    message: `must have at most ${MAX_EXTRA_METRICS} extra metrics`,
  });

export const Labels = z
  .record(
    z.string().regex(NAME_RE, { message: `is not a valid label name: ${NAME_RULE}` }),
    z.string().max(MAX_LABEL_VALUE_CHARS),
  )
  .refine((m) => Object.keys(m).length <= MAX_LABELS, { message: `must have at most ${MAX_LABELS} labels` });

/** A point as the Durable Object receives and stores it. `timestamp` is epoch ms. */
export const StoredPoint = z.strictObject({
  timestamp: z.number().int().min(0),
  ...CanonicalMetrics,
  metrics: ExtraMetrics.optional(),
  labels: Labels.optional(),
});
export type StoredPoint = z.infer<typeof StoredPoint>;

export const IngestRequest = z.strictObject({
  tenant: z.string().regex(TENANT_RE),
  host: HostName,
  points: z.array(StoredPoint).min(1).max(1000),
});
export type IngestRequest = z.infer<typeof IngestRequest>;

const POINT_KEYS = new Set<string>(["timestamp", ...Object.keys(CanonicalMetrics)]);
const CANONICAL = Object.keys(CanonicalMetrics) as (keyof typeof CanonicalMetrics)[];

/**
 * The common case of an ingest request checked by hand: points with a timestamp and canonical metrics
 * only (no `metrics`, no `labels`), every value in range. True only for requests that `IngestRequest`
 * accepts unchanged; false for everything else, which then goes through the schema (its answer, and
 * its error messages, decide). A conservative shortcut, not a second set of rules: it may say false to
 * a valid request, never true to an invalid one (protocol.test.ts checks this on generated requests).
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
  if (!Array.isArray(points) || points.length < 1 || points.length > 1000) return false;
  for (const p of points as unknown[]) {
    if (!isRecord(p)) return false;
    for (const k in p) if (!POINT_KEYS.has(k)) return false;
    const t = p.timestamp;
    if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0) return false;
    for (const m of CANONICAL) {
      const v = p[m];
      if (v === undefined || v === null) continue;
      const spec = METRIC_SPECS[m];
      if (typeof v !== "number" || !Number.isFinite(v) || v < spec.min || v > spec.max) return false;
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

/** The Durable Object's name for a host: tenant-namespaced, unambiguous (host names contain no `/`). */
export function hostObjectName(tenant: string, host: string): string {
  return `${tenant}/${host}`;
}

/**
 * Validates an RPC argument. Errors crossing the RPC boundary keep only their message, so the message
 * carries the readable issue list (a ZodError's own message would arrive as just "ZodError").
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
