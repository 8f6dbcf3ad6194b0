/**
 * The page's client of the edge API (same origin): every answer is parsed with the contracts' zod
 * schemas, the ones the Worker is written against; failures become an `ApiProblem` the page can
 * explain (wrong key, missing scope, rate limit, edge unreachable, …).
 */
import type { z } from "zod";
import { ErrorBodySchema, HostsListingSchema, type HostsListing } from "../../contracts/api.ts";
import { PredictionSchema, type Prediction } from "../../contracts/prediction.ts";
import { HistoryResponseSchema, type HistoryResponse } from "../../contracts/rpc.ts";

export type ProblemKind =
  "unauthorized" | "forbidden" | "not_found" | "rate_limited" | "unreachable" | "unexpected";

export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly status: number | null = null,
    /** Seconds to wait before retrying (429's Retry-After). */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "ApiProblem";
  }
}

/** Time allowed for one API call, ms. */
const TIMEOUT_MS = 15_000;

export class EdgeApi {
  constructor(private readonly key: string) {}

  hosts(limit = 1000): Promise<HostsListing> {
    return this.get(`/hosts?limit=${limit}`, HostsListingSchema);
  }

  prediction(host: string): Promise<Prediction> {
    return this.get(`/hosts/${encodeURIComponent(host)}/prediction`, PredictionSchema);
  }

  history(host: string, fromMs: number, toMs: number): Promise<HistoryResponse> {
    const q = new URLSearchParams({
      from: String(Math.floor(fromMs)),
      to: String(Math.ceil(toMs)),
      limit: "10000",
    });
    return this.get(`/hosts/${encodeURIComponent(host)}/history?${q}`, HistoryResponseSchema);
  }

  private async get<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>> {
    let res: Response;
    try {
      res = await fetch(path, {
        headers: { authorization: `Bearer ${this.key}`, accept: "application/json" },
        // Same origin only; no cookies are involved either way.
        credentials: "omit",
        cache: "no-store",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      throw new ApiProblem(
        "unreachable",
        `the edge did not answer (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const text = await res.text();
    const body = parseJson(text);
    if (!res.ok) throw problem(res, body);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiProblem(
        "unexpected",
        `GET ${path.split("?")[0]} answered a body this page does not understand`,
        res.status,
      );
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

function problem(res: Response, body: unknown): ApiProblem {
  const err = ErrorBodySchema.safeParse(body);
  const message = err.success ? err.data.error.message : `HTTP ${res.status}`;
  switch (res.status) {
    case 401:
      return new ApiProblem("unauthorized", message, 401);
    case 403:
      return new ApiProblem("forbidden", message, 403);
    case 404:
      return new ApiProblem("not_found", message, 404);
    case 429: {
      const after = Number(res.headers.get("retry-after"));
      return new ApiProblem("rate_limited", message, 429, Number.isFinite(after) && after > 0 ? after : 10);
    }
    default:
      return new ApiProblem("unexpected", message, res.status);
  }
}
