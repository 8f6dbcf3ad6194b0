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

/** Authenticates, checks the scope and the tenant's rate limit; call at the top of each protected route. */
export async function guard(c: AppContext, scope: Scope): Promise<Principal> {
  const cfg = config(c.env);
  c.set("config", cfg);
  const principal = await authenticate(c.req.header("authorization"), cfg.apiKeys);
  requireScope(principal, scope);
  if (c.env.RATE_LIMITER) {
    const { success } = await c.env.RATE_LIMITER.limit({ key: principal.tenant });
    if (!success) {
      throw new ApiError("rate_limited", `too many requests for tenant '${principal.tenant}'`, {
        headers: { "Retry-After": "10" },
      });
    }
  }
  c.set("principal", principal);
  return principal;
}
