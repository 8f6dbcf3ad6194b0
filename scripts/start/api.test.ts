import { describe, expect, it } from "vitest";
import { BatchIngestSchema } from "../../contracts/api.ts";
import { ApiCallError, EdgeClient, parseBody } from "./api.ts";
import { StartError } from "./errors.ts";

function client(status: number, body: string, seen: string[] = []) {
  return new EdgeClient({
    baseUrl: "http://edge",
    apiKey: "k",
    fetch: async (input, init) => {
      seen.push(`${String(input)} ${new Headers(init?.headers).get("authorization") ?? "-"}`);
      return new Response(body, { status });
    },
  });
}

describe("parseBody", () => {
  it("names the first field that breaks the contract", () => {
    expect(() => parseBody(BatchIngestSchema, '{"accepted":1}', "POST /metrics")).toThrow(
      /POST \/metrics: unexpected response shape at duplicates/,
    );
    expect(() => parseBody(BatchIngestSchema, "<html>", "POST /metrics")).toThrow(StartError);
  });
});

describe("EdgeClient", () => {
  it("sends the key to protected routes only", async () => {
    const seen: string[] = [];
    const c = client(
      200,
      JSON.stringify({
        status: "ok",
        model_version: "v",
        inference: { ready: true, load_ms: 10, error: null },
        sink: { kind: "embedded", error: null },
        environment_error: null,
      }),
      seen,
    );
    await expect(c.health()).resolves.toMatchObject({ status: "ok" });
    await expect(
      client(200, JSON.stringify({ hosts: [], total: 0, shards: 8 }), seen).hosts(5),
    ).resolves.toEqual({
      hosts: [],
      total: 0,
      shards: 8,
    });
    expect(seen).toEqual(["http://edge/health -", "http://edge/hosts?limit=5 Bearer k"]);
  });

  it("a host without data is null; other statuses are errors that say whether to retry", async () => {
    await expect(
      client(404, '{"error":{"code":"not_found","message":"no"}}').prediction("h"),
    ).resolves.toBeNull();
    const e = await client(429, "slow down")
      .hosts(5)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiCallError);
    expect(e).toMatchObject({ code: "HTTP", status: 429, retryable: true });
    await expect(client(401, "no").hosts(5)).rejects.toMatchObject({ retryable: false });
  });

  it("reads a host's alert transitions for a data-time range from its history", async () => {
    const seen: string[] = [];
    const body = {
      host: "web 1",
      from: "x",
      to: "y",
      points: [{ time: "t" }],
      predictions: [],
      alerts: [
        { host: "web 1", from: "ok", to: "warning", at: "2026-11-24T10:00:30.000Z", risk: { "30m": 0.7 } },
      ],
      truncated: false,
    };
    const h = await client(200, JSON.stringify(body), seen).alerts("web 1", 1000, 2000);
    expect(h).toEqual({ host: "web 1", alerts: body.alerts, truncated: false });
    expect(seen).toEqual(["http://edge/hosts/web%201/history?from=1000&to=2000&limit=10000 Bearer k"]);
    await expect(
      client(200, JSON.stringify({ ...body, alerts: [{ ...body.alerts[0], to: "down" }] })).alerts("h", 0, 1),
    ).rejects.toThrow(/GET \/hosts\/h\/history: unexpected response shape at alerts\.0\.to/);
  });

  it("a connection failure is a retryable NETWORK error", async () => {
    const c = new EdgeClient({
      baseUrl: "http://edge",
      apiKey: "k",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(c.hosts(1)).rejects.toMatchObject({ code: "NETWORK", retryable: true });
  });
});
