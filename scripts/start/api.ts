/**
 * The slice of the edge API the demo reads, validated with zod (the demo is a client like any other:
 * it never trusts a response's shape), and a small client with timeouts.
 */
import { z } from "zod";
import { METRICS } from "../../model/core/metrics.ts";
import { StartError } from "./errors.ts";

const Level = z.enum(["ok", "warning", "critical"]);
export type Level = z.infer<typeof Level>;
const Metric = z.enum(METRICS);

export const PredictionSchema = z.object({
  host: z.string(),
  as_of: z.string(),
  risk: z.record(z.string(), z.number()),
  level: Level,
  level_since: z.string().nullable(),
  downtime_within_minutes: z.number().nullable(),
  time_to_breach: z.partialRecord(Metric, z.number()),
  anomaly: z.partialRecord(Metric, z.number()),
  contributors: z.array(
    z.object({
      metric: Metric,
      risk_delta: z.number().nullable(),
      value: z.number().nullable(),
      z: z.number().nullable(),
      anomaly: z.number(),
    }),
  ),
  model_version: z.string(),
  steps_seen: z.number(),
});
export type Prediction = z.infer<typeof PredictionSchema>;

const HostIngest = z.object({
  host: z.string(),
  accepted: z.number(),
  duplicates: z.number(),
  dropped_late: z.number(),
  prediction: PredictionSchema.nullable(),
});
export type HostIngest = z.infer<typeof HostIngest>;

/** Response of `POST /metrics` with a batch body. */
export const BatchIngestSchema = z.object({
  accepted: z.number(),
  duplicates: z.number(),
  dropped_late: z.number(),
  hosts: z.array(HostIngest),
});
export type BatchIngest = z.infer<typeof BatchIngestSchema>;

/** Response of `POST /metrics` with one point. */
export const PointIngestSchema = HostIngest;

export const ListedHostSchema = z.object({
  host: z.string(),
  level: Level,
  /** Warning-horizon (30-min) risk, fraction 0..1. */
  risk: z.number(),
  risks: z.record(z.string(), z.number()),
  downtime_within_minutes: z.number().nullable(),
  time_to_breach_s: z.number().nullable(),
  as_of: z.string(),
  updated_at: z.string(),
});
export type ListedHost = z.infer<typeof ListedHostSchema>;

export const HostsListingSchema = z.object({
  hosts: z.array(ListedHostSchema),
  total: z.number(),
  shards: z.number(),
});
export type HostsListing = z.infer<typeof HostsListingSchema>;

/** One alert level transition as the host's object recorded it (a committed step; `at` = the step's end). */
export const AlertTransitionSchema = z.object({
  host: z.string(),
  from: Level,
  to: Level,
  at: z.string(),
  risk: z.record(z.string(), z.number()),
});
export type AlertTransition = z.infer<typeof AlertTransitionSchema>;

/** The part of `GET /hosts/:host/history` the demo reads (points and predictions are not parsed). */
export const HistoryAlertsSchema = z.object({
  host: z.string(),
  alerts: z.array(AlertTransitionSchema),
  truncated: z.boolean(),
});
export type HistoryAlerts = z.infer<typeof HistoryAlertsSchema>;

export const HealthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  model_version: z.string(),
  inference: z.object({ ready: z.boolean(), load_ms: z.number().nullable(), error: z.string().nullable() }),
  sink: z.object({ kind: z.string(), error: z.string().nullable() }),
  environment_error: z.string().nullable().optional(),
});
export type Health = z.infer<typeof HealthSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** A failed API call: an HTTP status other than the expected one, no connection, or a body of the wrong shape. */
export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly code: "HTTP" | "NETWORK" | "CONTRACT",
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ApiCallError";
  }
}

const truncate = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Parses `text` as JSON of `schema`'s shape; throws StartError API_CONTRACT naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, text: string, what: string): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StartError("API_CONTRACT", `${what}: response is not JSON: ${truncate(text, 200)}`, undefined, {
      cause: e,
    });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new StartError(
      "API_CONTRACT",
      `${what}: unexpected response shape at ${i?.path.join(".") || "(body)"}: ${i?.message ?? "invalid"}`,
    );
  }
  return r.data;
}

export interface EdgeClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout, ms (default 10 000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export class EdgeClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly opts: EdgeClientOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** GET /health: resolves with the body for 200 and 503 (its status says which); throws otherwise. */
  async health(signal?: AbortSignal): Promise<Health> {
    const { status, text } = await this.get("/health", false, signal);
    if (status !== 200 && status !== 503) throw httpError("GET /health", status, text);
    return parseBody(HealthSchema, text, "GET /health");
  }

  async hosts(limit: number, signal?: AbortSignal): Promise<HostsListing> {
    const { status, text } = await this.get(`/hosts?limit=${limit}`, true, signal);
    if (status !== 200) throw httpError("GET /hosts", status, text);
    return parseBody(HostsListingSchema, text, "GET /hosts");
  }

  /** GET /hosts/:host/prediction; null for a host without data (404). */
  async prediction(host: string, signal?: AbortSignal): Promise<Prediction | null> {
    const { status, text } = await this.get(`/hosts/${encodeURIComponent(host)}/prediction`, true, signal);
    if (status === 404) return null;
    if (status !== 200) throw httpError(`GET /hosts/${host}/prediction`, status, text);
    return parseBody(PredictionSchema, text, `GET /hosts/${host}/prediction`);
  }

  /**
   * Alert transitions of `host` recorded in [fromMs, toMs) (data time, epoch ms), via
   * GET /hosts/:host/history; `limit` bounds each list (points, predictions, alerts) of the answer.
   */
  async alerts(
    host: string,
    fromMs: number,
    toMs: number,
    signal?: AbortSignal,
    limit = 10_000,
  ): Promise<HistoryAlerts> {
    const path = `/hosts/${encodeURIComponent(host)}/history?from=${fromMs}&to=${toMs}&limit=${limit}`;
    const { status, text } = await this.get(path, true, signal);
    if (status !== 200) throw httpError(`GET /hosts/${host}/history`, status, text);
    return parseBody(HistoryAlertsSchema, text, `GET /hosts/${host}/history`);
  }

  private async get(
    path: string,
    auth: boolean,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const headers: Record<string, string> = auth ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
    try {
      const res = await this.fetchImpl(this.opts.baseUrl + path, {
        headers,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new ApiCallError(`GET ${path} failed: ${reason}`, "NETWORK", true, undefined, { cause: e });
    }
  }
}

function httpError(what: string, status: number, text: string): ApiCallError {
  return new ApiCallError(
    `${what} → HTTP ${status}: ${truncate(text, 300)}`,
    "HTTP",
    status === 429 || status >= 500,
    status,
  );
}
