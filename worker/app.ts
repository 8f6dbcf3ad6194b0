/**
 * The HTTP API (Hono). Auth → rate limit → validate → route to the host's Durable Object. One file per
 * route under `routes/`; errors leave through one place (`onError`) as JSON.
 */
import { Hono } from "hono";
import { MODEL_UNAVAILABLE } from "../contracts/rpc.ts";
import type { AppContext, AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";
import { healthRoute } from "./routes/health.ts";
import { hostsRoutes } from "./routes/hosts.ts";
import { metricsRoute } from "./routes/metrics.ts";
import { otlpRoute } from "./routes/otlp.ts";
import { predictRoute } from "./routes/predict.ts";
import { remoteWriteRoute } from "./routes/remote-write.ts";
import { reportToSentry } from "./sentry.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  healthRoute(app);
  metricsRoute(app);
  predictRoute(app);
  hostsRoutes(app);
  remoteWriteRoute(app);
  otlpRoute(app);

  // A known path with another method is a 405, not a 404. Known paths come from the routes
  // registered above (`:param` matches one segment), so this list cannot drift from them.
  const known = app.routes.map((r) => ({
    re: new RegExp(`^${r.path.replace(/:[^/]+/g, "[^/]+")}$`),
    method: r.method,
  }));
  app.all("*", (c) => {
    const path = new URL(c.req.url).pathname;
    const allow = known.filter((r) => r.re.test(path)).map((r) => r.method);
    if (allow.length > 0) {
      throw new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}`, {
        headers: { Allow: allow.join(", ") },
      });
    }
    throw new ApiError("not_found", `no route ${c.req.method} ${path}`);
  });

  app.onError(handleError);
  return app;
}

/**
 * The one place errors become responses: ApiErrors as they are, a model that cannot load as a 503,
 * anything else as a 500 reported to Sentry (when configured) without leaking details to the client.
 */
export function handleError(err: unknown, c: AppContext): Response {
  if (err instanceof ApiError) return err.toResponse();
  if (err instanceof Error && err.message.startsWith(MODEL_UNAVAILABLE)) {
    return new ApiError("model_unavailable", "the model could not be loaded; retry shortly", {
      headers: { "Retry-After": "1" },
    }).toResponse();
  }
  reportToSentry(c, err);
  return new ApiError("internal", "internal error").toResponse();
}
