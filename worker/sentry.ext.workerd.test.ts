/**
 * Unhandled errors reach Sentry through toucan-js when SENTRY_DSN is set — checked against a local
 * endpoint that records what arrives (this project's SENTRY_DSN points at it).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, inject, it } from "vitest";
import { handleError } from "./app.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

const recorder = inject("sentryUrl");

async function received(): Promise<{ path: string; body: string }[]> {
  return (await (await fetch(`${recorder}/_control/received`)).json()) as { path: string; body: string }[];
}

describe("Sentry via toucan-js", () => {
  it("reports an unhandled error (500 to the client, details only to Sentry)", async () => {
    await fetch(`${recorder}/_control/reset`, { method: "POST" });
    // The Worker's own error handler on a route that fails unexpectedly.
    const app = new Hono<AppEnv>()
      .get("/boom", () => {
        throw new Error("kaboom-7f3a: storage exploded");
      })
      .get("/bad", () => {
        throw new ApiError("invalid_field", "expected failure");
      });
    app.onError(handleError);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request("http://edge.test/boom?x=1"), env, ctx);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain('"internal"');
    expect(body).not.toContain("kaboom"); // no internals leak to the client
    const bad = await app.fetch(new Request("http://edge.test/bad"), env, ctx);
    expect(bad.status).toBe(400);
    await waitOnExecutionContext(ctx); // toucan sends in waitUntil
    const got = await received();
    const events = got.filter((r) => r.body.includes("kaboom-7f3a"));
    expect(events).toHaveLength(1); // the 400 is not reported
    expect(events[0]!.path).toMatch(/^\/api\/1\/envelope\//);
    expect(events[0]!.body).toContain("http://edge.test/boom");
    expect(got.some((r) => r.body.includes("expected failure"))).toBe(false);
  });
});
