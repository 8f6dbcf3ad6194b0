/** Requests against the Worker under test (inside workerd), with the test keys. */
import { exports } from "cloudflare:workers";
import { TEST_KEYS } from "./keys.ts";

export type KeyName = keyof typeof TEST_KEYS;

export interface CallOptions {
  method?: string;
  key?: KeyName | null;
  /** Serialised with JSON.stringify unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(path: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...o.headers };
  const key = o.key === undefined ? "acme" : o.key;
  if (key !== null) headers.authorization ??= `Bearer ${TEST_KEYS[key]}`;
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    headers["content-type"] ??= "application/json";
  }
  return exports.default.fetch(`http://edge.test${path}`, {
    method: o.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** A seed-shaped point. */
export const SEED_POINT = { cpu_usage: 75.5, memory_usage: 82.3, network_latency: 120.0, error_rate: 0.05 };

/** A regular series of points for one host, one per minute ending now (± jitter-free). */
export function series(n: number, endMs: number = Date.now(), stepMs = 60_000, host?: string) {
  return Array.from({ length: n }, (_, i) => ({
    ...(host === undefined ? {} : { host }),
    timestamp: endMs - (n - 1 - i) * stepMs,
    cpu_usage: 40 + 10 * Math.sin(i / 30),
    memory_usage: 55 + 5 * Math.cos(i / 40),
    network_latency: 80 + 20 * Math.sin(i / 17),
    error_rate: 0.002 + 0.001 * Math.cos(i / 23),
  }));
}
