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
import type { Env } from "../env.ts";
import worker from "../index.ts";
import { TEST_KEYS } from "./keys.ts";

export type KeyName = keyof typeof TEST_KEYS;

export interface CallOptions {
  method?: string;
  /** A test key by name, any other text as the key itself, or null for no Authorization header. */
  key?: KeyName | (string & {}) | null;
  /** Bytes and strings as they are; anything else serialised with JSON.stringify. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The Worker's env (default: the test env): other settings, fake limiters. */
  env?: Env;
}

export async function call(path: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...o.headers };
  const key = o.key === undefined ? "acme" : o.key;
  if (key !== null) {
    headers.authorization ??= `Bearer ${key in TEST_KEYS ? TEST_KEYS[key as KeyName] : key}`;
  }
  let body: BodyInit | undefined;
  if (o.body !== undefined) {
    body =
      typeof o.body === "string" || o.body instanceof Uint8Array
        ? (o.body as BodyInit)
        : JSON.stringify(o.body);
    headers["content-type"] ??= "application/json";
  }
  const request = new Request(`http://edge.test${path}`, {
    method: o.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  return worker.fetch(request, o.env ?? env, createExecutionContext());
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
