/**
 * The slice of the edge API the demo reads, validated with the API's own schemas from `contracts/`
 * (the demo is a client like any other: it never trusts a response's shape), and a small client with
 * timeouts.
 */
import { z } from "zod";
import { HealthSchema, HostsListingSchema, type Health, type HostsListing } from "../../contracts/api.ts";
import { PredictionSchema, type Prediction } from "../../contracts/prediction.ts";
import { HistoryResponseSchema } from "../../contracts/rpc.ts";
import { StartError } from "./errors.ts";

/** The part of `GET /hosts/:host/history` the demo reads (points and predictions are not parsed). */
export const HistoryAlertsSchema = HistoryResponseSchema.pick({ host: true, alerts: true, truncated: true });
export type HistoryAlerts = z.infer<typeof HistoryAlertsSchema>;

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
