import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("is public and reports a ready model", async () => {
    const res = await exports.default.fetch("http://edge.test/health");
    const body = await res.json<{ status: string; model_version: string; inference: { ready: boolean } }>();
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.inference.ready).toBe(true);
    expect(body.model_version).toMatch(/^\d{8}-[0-9a-f]{8}$/);
  });
});
