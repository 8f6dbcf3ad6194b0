/**
 * The Worker's environment: bindings from wrangler.toml plus vars/secrets, parsed with zod once per
 * isolate (per distinct value). A broken environment is a 500 `bad_environment`, never a silent
 * default.
 */
import { z } from "zod";
import type { HostIndex } from "../durable-objects/host-index.ts";
import type { HostMonitor } from "../durable-objects/host-monitor.ts";
import { ApiKeys, type ApiKeyEntry } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { apiMessage } from "./zod-messages.ts";

/** Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface Env {
  HOST_MONITOR: DurableObjectNamespace<HostMonitor>;
  HOST_INDEX: DurableObjectNamespace<HostIndex>;
  RATE_LIMITER?: RateLimiter;
  /** JSON array of `{tenant, sha256, scopes}` (a secret in production, `.dev.vars` locally). */
  API_KEYS?: string;
  SENTRY_DSN?: string;
  UPSTASH_KAFKA_REST_URL?: string;
  UPSTASH_KAFKA_REST_USERNAME?: string;
  UPSTASH_KAFKA_REST_PASSWORD?: string;
  /** Shards of the per-tenant host index behind GET /hosts (default 8). */
  HOST_INDEX_SHARDS?: string;
  /** First retry delay of the outbox flush after a sink failure, ms (default 1000; doubles, ≤ 5 min). */
  SINK_RETRY_BASE_MS?: string;
  /** How long a host keeps points, predictions and delivered events, hours (default 168 = 7 days). */
  RETENTION_HOURS?: string;
}

const intVar = (name: string, def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === "") return def;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer ${min}..${max}` });
        return z.NEVER;
      }
      return n;
    });

const RetentionHours = intVar("RETENTION_HOURS", 168, 1, 24 * 365);
const SinkRetryBaseMs = intVar("SINK_RETRY_BASE_MS", 1000, 1, 3_600_000);

/**
 * The settings a HostMonitor reads, parsed with the same rules as the Worker's. The Worker already
 * refuses requests when RETENTION_HOURS is malformed; an object falls back to the default instead, so
 * its alarms (retention, outbox flushes) keep running whatever the configuration.
 */
export function objectSettings(env: Env): { retentionMs: number; retryBaseMs: number } {
  const hours = RetentionHours.safeParse(env.RETENTION_HOURS);
  const base = SinkRetryBaseMs.safeParse(env.SINK_RETRY_BASE_MS);
  return {
    retentionMs: (hours.success ? hours.data : 168) * 3_600_000,
    retryBaseMs: base.success ? base.data : 1000,
  };
}

const Vars = z.object({
  API_KEYS: z
    .string({
      message: "API_KEYS is not set (npm start writes it to .dev.vars; in production: wrangler secret put)",
    })
    .transform((s, ctx) => {
      let json: unknown;
      try {
        json = JSON.parse(s);
      } catch {
        ctx.addIssue({ code: "custom", message: "API_KEYS is not valid JSON" });
        return z.NEVER;
      }
      const r = ApiKeys.safeParse(json, { error: apiMessage });
      if (!r.success) {
        const where = (path: readonly PropertyKey[]) => ["API_KEYS", ...path.map(String)].join(".");
        for (const i of r.error.issues)
          ctx.addIssue({ code: "custom", message: `${where(i.path)}: ${i.message}` });
        return z.NEVER;
      }
      return r.data;
    }),
  HOST_INDEX_SHARDS: intVar("HOST_INDEX_SHARDS", 8, 1, 256),
  RETENTION_HOURS: RetentionHours,
  SENTRY_DSN: z
    .url({ message: "SENTRY_DSN must be a URL" })
    .optional()
    .or(z.literal("").transform(() => undefined)),
});

export interface Config {
  apiKeys: ApiKeyEntry[];
  hostIndexShards: number;
  /** RETENTION_HOURS: how long a host keeps its history and its `GET /hosts` entry, hours. */
  retentionHours: number;
  sentryDsn: string | undefined;
}

let cached: { env: Env; config: Config } | undefined;

/** Parses the env (cached while the same env object is passed). Throws ApiError bad_environment. */
export function config(env: Env): Config {
  if (cached?.env === env) return cached.config;
  const r = Vars.safeParse({
    API_KEYS: env.API_KEYS,
    HOST_INDEX_SHARDS: env.HOST_INDEX_SHARDS,
    RETENTION_HOURS: env.RETENTION_HOURS,
    SENTRY_DSN: env.SENTRY_DSN,
  });
  if (!r.success) {
    throw new ApiError(
      "bad_environment",
      `server misconfigured: ${r.error.issues.map((i) => i.message).join("; ")}`,
    );
  }
  const c: Config = {
    apiKeys: r.data.API_KEYS,
    hostIndexShards: r.data.HOST_INDEX_SHARDS,
    retentionHours: r.data.RETENTION_HOURS,
    sentryDsn: r.data.SENTRY_DSN,
  };
  cached = { env, config: c };
  return c;
}
