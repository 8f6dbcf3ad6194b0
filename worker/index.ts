/**
 * Worker entry: the Hono app plus the Durable Object classes wrangler binds (wrangler.toml). Every
 * answer leaves with `X-Content-Type-Options: nosniff`; JSON answers (the API's, errors included) also
 * with `Cache-Control: no-store`, so no browser or intermediary cache keeps a tenant's data.
 */
import { createApp } from "./app.ts";
import type { Env } from "./env.ts";

export { HostMonitor } from "../durable-objects/host-monitor.ts";
export { HostIndex } from "../durable-objects/host-index.ts";

const app = createApp();

/** The headers every answer gets (a copy when the response's headers are immutable). */
export function withSecurityHeaders(res: Response): Response {
  const out = new Response(res.body, res);
  out.headers.set("X-Content-Type-Options", "nosniff");
  const type = out.headers.get("content-type") ?? "";
  if (/^application\/(?:[a-z0-9.+-]+\+)?json\b/i.test(type) && !out.headers.has("cache-control")) {
    out.headers.set("Cache-Control", "no-store");
  }
  return out;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return withSecurityHeaders(await app.fetch(request, env, ctx));
  },
} satisfies ExportedHandler<Env>;
