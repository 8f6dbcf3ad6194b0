/** JSON over HTTP to the local workerd, validated with zod; failures are BenchErrors with the body. */
import { z } from "zod";
import { BenchError } from "./errors.ts";

export interface JsonResponse<T> {
  status: number;
  body: T;
  /** Client-side wall time of the request (all attempts), ms. */
  ms: number;
  /** Attempts that failed at the network level before this answer (see `networkRetries`). */
  retried: number;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  okStatus?: number[];
  /**
   * Retries after a network-level failure (no HTTP answer), e.g. a keep-alive socket the server closed
   * while idle. Callers of non-idempotent routes must accept that the first attempt may have been
   * processed (POST /metrics then reports those points as duplicates).
   */
  networkRetries?: number;
}

/** "fetch failed" plus its cause (undici puts the socket error there). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const c = e.cause;
  const cause = c instanceof Error ? `: ${c.message}${"code" in c ? ` (${String(c.code)})` : ""}` : "";
  return `${e.message}${cause}`;
}

async function send(url: string, init: RequestOptions): Promise<Response> {
  return fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 300_000),
  });
}

export async function requestJson<T extends z.ZodType>(
  url: string,
  schema: T,
  init: RequestOptions = {},
): Promise<JsonResponse<z.output<T>>> {
  const t0 = performance.now();
  let retried = 0;
  let res: Response;
  for (;;) {
    try {
      res = await send(url, init);
      break;
    } catch (e) {
      const timedOut = e instanceof Error && e.name === "TimeoutError";
      if (!timedOut && retried < (init.networkRetries ?? 0)) {
        retried++;
        continue;
      }
      throw new BenchError("HTTP", `${url}: ${describe(e)}`, { cause: e, retryable: true });
    }
  }
  const text = await res.text();
  const ms = performance.now() - t0;
  const ok = init.okStatus ?? [200];
  if (!ok.includes(res.status)) {
    throw new BenchError("HTTP", `${url}: HTTP ${res.status}: ${text.slice(0, 500)}`, {
      retryable: res.status >= 500,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BenchError("HTTP", `${url}: not JSON: ${text.slice(0, 200)}`, { cause: e });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    throw new BenchError("HTTP", `${url}: unexpected answer: ${z.prettifyError(r.error)}`, {
      cause: r.error,
    });
  }
  return { status: res.status, body: r.data, ms, retried };
}
