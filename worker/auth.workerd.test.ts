import { describe, expect, it } from "vitest";
import { call, json, SEED_POINT, type ErrorBody } from "./testing/http.ts";

describe("auth — security", () => {
  const protectedRoutes: [string, string, unknown?][] = [
    ["POST", "/metrics?host=auth-1", SEED_POINT],
    ["POST", "/predict", { points: [SEED_POINT] }],
    ["GET", "/hosts"],
    ["GET", "/hosts/auth-1/prediction"],
    ["GET", "/hosts/auth-1/history"],
  ];

  for (const [method, path, body] of protectedRoutes) {
    it(`${method} ${path}: 401 without a key, with a wrong key and with a malformed header`, async () => {
      const variants: Record<string, string>[] = [
        {},
        { authorization: "Bearer not-a-key" },
        { authorization: "Basic dXNlcjpwYXNz" },
      ];
      for (const headers of variants) {
        const res = await call(path, { method, body, key: null, headers });
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect((await json<ErrorBody>(res)).error.code).toBe("unauthorized");
      }
    });
  }

  it("a 401 never stores anything", async () => {
    await call("/metrics?host=auth-nostore", { body: SEED_POINT, key: null });
    expect((await call("/hosts/auth-nostore/prediction")).status).toBe(404);
  });

  it("403 for a key without the needed scope", async () => {
    const w = await call("/metrics?host=auth-scope", { body: SEED_POINT, key: "acmeRead" });
    expect(w.status).toBe(403);
    expect((await json<ErrorBody>(w)).error.code).toBe("forbidden");
    expect((await call("/hosts", { key: "acmeWrite" })).status).toBe(403);
    // The write-only key can write; the read-only key of the same tenant then reads it.
    expect((await call("/metrics?host=auth-scope", { body: SEED_POINT, key: "acmeWrite" })).status).toBe(200);
    expect((await call("/hosts/auth-scope/prediction", { key: "acmeRead" })).status).toBe(200);
  });

  it("one tenant can never read another's hosts", async () => {
    expect((await call("/metrics?host=tenant-secret", { body: SEED_POINT, key: "acme" })).status).toBe(200);
    expect((await call("/hosts/tenant-secret/prediction", { key: "acme" })).status).toBe(200);
    expect((await call("/hosts/tenant-secret/prediction", { key: "globex" })).status).toBe(404);
    expect((await call("/hosts/tenant-secret/history", { key: "globex" })).status).toBe(404);
    const list = await json<{ hosts: { host: string }[] }>(await call("/hosts", { key: "globex" }));
    expect(list.hosts.map((h) => h.host)).not.toContain("tenant-secret");
    // Same host name, other tenant: a separate object with its own state.
    const g = await json<{ prediction: { steps_seen: number } }>(
      await call("/metrics?host=tenant-secret", { body: SEED_POINT, key: "globex" }),
    );
    expect(g.prediction.steps_seen).toBe(0);
    const h = await json<{ points: unknown[] }>(
      await call("/hosts/tenant-secret/history", { key: "globex" }),
    );
    expect(h.points).toHaveLength(1);
  });

  it("/health is public", async () => {
    expect((await call("/health", { key: null })).status).toBe(200);
  });

  it("429 with Retry-After once a tenant exceeds its rate limit", async () => {
    let limited: Response | undefined;
    // 600 per 10 s window: up to 2000 requests (a few seconds here; < 20 s on a slow machine, so at
    // most three windows) put more than 600 into one window wherever the boundaries fall.
    for (let i = 0; i < 2000 && !limited; i++) {
      const res = await call("/hosts/flood-1/prediction", { key: "flood" });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(404);
    }
    expect(limited).toBeDefined();
    expect(limited!.headers.get("retry-after")).toBe("10");
    expect((await json<ErrorBody>(limited!)).error.code).toBe("rate_limited");
    // Other tenants are unaffected.
    expect((await call("/hosts/flood-1/prediction", { key: "acme" })).status).toBe(404);
  });
});
