/**
 * The Worker's environment: bindings from wrangler.toml plus vars/secrets, parsed with zod once per
 * isolate (per distinct value). A broken environment is a 500 `bad_environment`, never a silent
 * default.
 */
import { z } from "zod";
import type { HostIndex } from "../durable-objects/host-index.ts";
import type { HostMonitor } from "../durable-objects/host-monitor.ts";
import { intVar, RetentionHours, type ObjectEnv } from "../durable-objects/env.ts";
import { ApiKeys, type ApiKeyEntry } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { apiMessage } from "./zod-messages.ts";

/** Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface Env extends ObjectEnv {
  HOST_MONITOR: DurableObjectNamespace<HostMonitor>;
  HOST_INDEX: DurableObjectNamespace<HostIndex>;
  RATE_LIMITER?: RateLimiter;
  /** Failed authentications per client IP (CF-Connecting-IP); `[[ratelimits]]` in wrangler.toml. */
  AUTH_RATE_LIMITER?: RateLimiter;
  /** JSON array of `{tenant, sha256, scopes}` (a secret in production, `.dev.vars` locally). */
  API_KEYS?: string;
  SENTRY_DSN?: string;
  /** Shards of the per-tenant host index behind GET /hosts (default 8). */
  HOST_INDEX_SHARDS?: string;
  /** Distinct hosts (host objects called) per ingest request (default 200). */
  MAX_HOSTS_PER_REQUEST?: string;
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
  MAX_HOSTS_PER_REQUEST: intVar("MAX_HOSTS_PER_REQUEST", 200, 1, 1000),
  RETENTION_HOURS: RetentionHours,
  SENTRY_DSN: z
    .url({ message: "SENTRY_DSN must be a URL" })
    .optional()
    .or(z.literal("").transform(() => undefined)),
});

export interface Config {
  apiKeys: ApiKeyEntry[];
  hostIndexShards: number;
  /** MAX_HOSTS_PER_REQUEST: distinct hosts one ingest request may name (each is one object call). */
  maxHostsPerRequest: number;
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
    MAX_HOSTS_PER_REQUEST: env.MAX_HOSTS_PER_REQUEST,
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
    maxHostsPerRequest: r.data.MAX_HOSTS_PER_REQUEST,
    retentionHours: r.data.RETENTION_HOURS,
    sentryDsn: r.data.SENTRY_DSN,
  };
  cached = { env, config: c };
  return c;
}
