/**
 * GET /health — public. Model version, whether this isolate's inference session is ready (it is
 * created here on first call, as it would be for the first prediction), and the configured sink.
 * 503 when the model cannot be loaded or the environment is broken, so a load balancer can act on it.
 */
import type { Hono } from "hono";
import { edgeModel, MODEL_VERSION } from "../../model/runtime/workerd.ts";
import { sinkFromEnv } from "../../durable-objects/sinks.ts";
import type { AppEnv } from "../context.ts";
import { config } from "../env.ts";

export function healthRoute(app: Hono<AppEnv>): void {
  app.get("/health", async (c) => {
    let inference: { ready: boolean; load_ms: number | null; error: string | null };
    try {
      const m = await edgeModel.get();
      inference = { ready: true, load_ms: m.loadMs, error: null };
    } catch (e) {
      inference = { ready: false, load_ms: null, error: e instanceof Error ? e.message : String(e) };
    }
    let sink: { kind: string; error: string | null };
    try {
      sink = { kind: sinkFromEnv(c.env).kind, error: null };
    } catch (e) {
      sink = { kind: "misconfigured", error: e instanceof Error ? e.message : String(e) };
    }
    let env: string | null = null;
    try {
      config(c.env);
    } catch (e) {
      env = e instanceof Error ? e.message : String(e);
    }
    const ok = inference.ready && sink.error === null && env === null;
    return c.json(
      {
        status: ok ? "ok" : "degraded",
        model_version: MODEL_VERSION,
        inference,
        sink,
        environment_error: env,
      },
      ok ? 200 : 503,
    );
  });
}
