/**
 * Requests against the Worker under test (inside workerd, with its real Durable Objects), with the test
 * keys. The request goes straight to the Worker's fetch handler with the test's `env` and a fresh
 * execution context, not through `exports.default.fetch` / `SELF.fetch`: under
 * @cloudflare/vitest-pool-workers 0.x every request through that loopback gets slower than the one
 * before (workers-sdk issue #15446: ~6 ms to ~370 ms per request after 1 500), which made the suites
 * that send thousands of requests (fuzz, rate limit) run for minutes. Background work (`waitUntil`)
 * still runs, as it does behind a real request.
 */
import { createExecutionContext, env } from "cloudflare:test";
import worker from "../index.ts";
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
  const request = new Request(`http://edge.test${path}`, {
    method: o.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  return worker.fetch(request, env, createExecutionContext());
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
