/**
 * What every route shares: the Hono environment type and `guard`, the auth + scope + rate-limit check
 * at the top of each protected route. Routes import this, `app.ts` imports the routes: no cycle.
 */
import type { Context } from "hono";
import { authenticate, requireScope, type Principal, type Scope } from "./auth.ts";
import { config, type Config, type Env } from "./env.ts";
import { ApiError } from "./errors.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { principal: Principal; config: Config };
}
export type AppContext = Context<AppEnv>;

/** Seconds a client should wait after too many failed authentications (the limiter's period). */
const AUTH_RETRY_AFTER_S = 60;

/** The 429 for a tenant over its rate limit (requests and the host objects they call). */
export function rateLimited(tenant: string): ApiError {
  return new ApiError("rate_limited", `too many requests for tenant '${tenant}'`, {
    headers: { "Retry-After": "10" },
  });
}

/**
 * Authenticates, checks the scope and the tenant's rate limit; call at the top of each protected route.
 * A missing, malformed or unknown key also counts against the client's allowance of failed
 * authentications (per IP, from CF-Connecting-IP); past it, the answer is a 429 instead of a 401, so
 * guessing keys or flooding the edge without one is throttled before it costs more.
 */
export async function guard(c: AppContext, scope: Scope): Promise<Principal> {
  const cfg = config(c.env);
  c.set("config", cfg);
  let principal: Principal;
  try {
    principal = await authenticate(c.req.header("authorization"), cfg.apiKeys);
  } catch (e) {
    if (e instanceof ApiError && e.code === "unauthorized") await throttleFailedAuth(c);
    throw e;
  }
  requireScope(principal, scope);
  if (c.env.RATE_LIMITER) {
    const { success } = await c.env.RATE_LIMITER.limit({ key: principal.tenant });
    if (!success) throw rateLimited(principal.tenant);
  }
  c.set("principal", principal);
  return principal;
}

/**
 * Counts a failed authentication against the client's IP; throws the 429 once it is over its allowance
 * (`AUTH_RATE_LIMITER`). Without the binding or the header (only set by Cloudflare's edge) nothing is
 * counted.
 */
async function throttleFailedAuth(c: AppContext): Promise<void> {
  const limiter = c.env.AUTH_RATE_LIMITER;
  const ip = c.req.header("cf-connecting-ip");
  if (!limiter || !ip) return;
  const { success } = await limiter.limit({ key: `auth-failed:${ip}` });
  if (!success) {
    throw new ApiError("rate_limited", "too many failed authentications from this client; retry later", {
      headers: { "Retry-After": String(AUTH_RETRY_AFTER_S) },
    });
  }
}
