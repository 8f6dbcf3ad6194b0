/**
 * Issue #12, hardening the edge (what an adversarial probe of the edge found), through the real Worker
 * and its Durable Objects: fan-out bounds and object calls in the rate limit, reads that create no
 * storage, throttled failed authentication, reserved and out-of-bounds metric names and values,
 * response headers, error messages that do not echo bodies, compressed bodies.
 * (Timestamps: timestamps.workerd.test.ts.)
 */
import {
  createExecutionContext,
  env,
  listDurableObjectIds,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { StoredPoint } from "../contracts/points.ts";
import { handleError } from "./app.ts";
import { guard, type AppEnv } from "./context.ts";
import type { Env, RateLimiter } from "./env.ts";
import { ingestByHost } from "./ingest.ts";
import { TEST_KEYS } from "./testing/keys.ts";
import { call, json, SEED_POINT, type CallOptions, type ErrorBody } from "./testing/http.ts";

/** As `call`, with an env of the test's own (other settings, fake limiters). */
function callWith(e: Env, path: string, o: CallOptions = {}): Promise<Response> {
  return call(path, { ...o, env: e });
}

/** A limiter that grants `units` per key, and remembers every key it was asked about. */
function fakeLimiter(units: number): RateLimiter & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    limit({ key }) {
      calls.push(key);
      return Promise.resolve({ success: calls.filter((k) => k === key).length <= units });
    },
  };
}

async function hasObject(tenant: string, host: string): Promise<boolean> {
  const id = env.HOST_MONITOR.idFromName(`${tenant}/${host}`);
  return (await listDurableObjectIds(env.HOST_MONITOR)).some((x) => x.equals(id));
}

const point = (host: string, ago = 60_000) => ({ host, timestamp: Date.now() - ago, ...SEED_POINT });

describe("fan-out: distinct hosts per request, object calls in the rate limit", () => {
  it("more distinct hosts than MAX_HOSTS_PER_REQUEST is a 413 naming the limit and the field; nothing stored", async () => {
    const e = { ...env, MAX_HOSTS_PER_REQUEST: "3" } as Env;
    const hosts = ["fan-a", "fan-b", "fan-c", "fan-d"];
    for (const path of ["/metrics", "/metrics/validate"]) {
      const res = await callWith(e, path, { body: { points: hosts.map((h) => point(h)) } });
      expect(res.status, path).toBe(413);
      const b = await json<ErrorBody>(res);
      expect(b.error.code).toBe("payload_too_large");
      expect(b.error.message).toMatch(/at most 3 distinct hosts/);
      expect(b.error.message).toMatch(/MAX_HOSTS_PER_REQUEST/);
      expect(b.error.issues?.[0]?.path).toBe("points");
    }
    for (const h of hosts) expect(await hasObject("acme", h)).toBe(false);
    // At the limit: fine.
    const ok = await callWith(e, "/metrics", { body: { points: hosts.slice(0, 3).map((h) => point(h)) } });
    expect(ok.status).toBe(200);
  });

  it("the default bound (200) holds without configuration", async () => {
    const points = Array.from({ length: 201 }, (_, i) => point(`many-${i}`));
    const res = await call("/metrics/validate", { body: { points } });
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.message).toMatch(/at most 200 distinct hosts/);
  });

  it("a malformed MAX_HOSTS_PER_REQUEST is a 500 bad_environment, not a silent default", async () => {
    const res = await callWith({ ...env, MAX_HOSTS_PER_REQUEST: "0" } as Env, "/metrics", {
      body: point("env-bad"),
    });
    expect(res.status).toBe(500);
    expect((await json<ErrorBody>(res)).error.code).toBe("bad_environment");
  });

  it("each host object called costs one unit of the tenant's rate limit; over it, nothing is called", async () => {
    const limiter = fakeLimiter(5);
    const e = { ...env, RATE_LIMITER: limiter } as Env;
    const four = ["rl-a", "rl-b", "rl-c", "rl-d"];
    const first = await callWith(e, "/metrics", { body: { points: four.map((h) => point(h)) } });
    expect(first.status).toBe(200);
    expect(limiter.calls.filter((k) => k === "acme")).toHaveLength(4);
    // One unit left: a request that would call two objects is refused before calling either.
    const second = await callWith(e, "/metrics", { body: { points: [point("rl-e"), point("rl-f")] } });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("10");
    expect((await json<ErrorBody>(second)).error.code).toBe("rate_limited");
    expect(await hasObject("acme", "rl-e")).toBe(false);
    expect(await hasObject("acme", "rl-f")).toBe(false);
  });

  it("ingestByHost itself enforces both (the path remote_write and OTLP take)", async () => {
    const app = new Hono<AppEnv>();
    app.post("/x", async (c) => {
      const { tenant } = await guard(c, "write");
      const byHost = new Map<string, StoredPoint[]>(
        ["ibh-a", "ibh-b", "ibh-c"].map((h) => [h, [{ timestamp: Date.now() - 60_000, cpu_usage: 5 }]]),
      );
      return c.json(await ingestByHost(c, tenant, byHost));
    });
    app.onError(handleError);
    const req = () =>
      new Request("http://edge.test/x", {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEYS.acme}` },
      });
    const tooMany = await app.fetch(req(), { ...env, MAX_HOSTS_PER_REQUEST: "2" }, createExecutionContext());
    expect(tooMany.status).toBe(413);
    const limited = await app.fetch(
      req(),
      { ...env, RATE_LIMITER: fakeLimiter(2) },
      createExecutionContext(),
    );
    expect(limited.status).toBe(429);
    expect(await hasObject("acme", "ibh-a")).toBe(false);
  });
});

describe("reads create no storage", () => {
  /** The tables in a host object's SQLite storage (the runtime's own `_cf_*` tables left out). */
  async function tablesOf(tenant: string, host: string): Promise<string[]> {
    const stub = env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(`${tenant}/${host}`));
    return runInDurableObject(stub, (_obj, state) =>
      state.storage.sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
        .toArray()
        .map((r) => r.name)
        .filter((n) => !n.startsWith("_cf_")),
    );
  }

  it("GET /hosts/:host/prediction and /history of an unknown host: 404, and its object holds no tables", async () => {
    expect((await call("/hosts/ghost-1/prediction")).status).toBe(404);
    expect((await call("/hosts/ghost-1/history")).status).toBe(404);
    expect(await tablesOf("acme", "ghost-1")).toEqual([]);
    // The object's other read paths and its alarm leave it empty too.
    const stub = env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName("acme/ghost-3"));
    expect(await stub.prediction()).toBeNull();
    expect(await stub.history({ fromMs: 0, toMs: Date.now(), limit: 10 })).toBeNull();
    expect((await stub.sinkStatus()).pending).toBe(0);
    await runDurableObjectAlarm(stub);
    expect(await tablesOf("acme", "ghost-3")).toEqual([]);
    // A host with data still answers (the first write creates the tables).
    expect((await call("/metrics", { body: point("ghost-2") })).status).toBe(200);
    expect((await call("/hosts/ghost-2/prediction")).status).toBe(200);
    expect((await call("/hosts/ghost-2/history")).status).toBe(200);
    expect((await tablesOf("acme", "ghost-2")).sort()).toEqual(["events", "kv", "scorer"]);
  });
});

describe("failed authentication is throttled per client", () => {
  it("after the per-IP allowance, missing or wrong keys get a 429 with Retry-After (JSON); other IPs do not", async () => {
    const limiter = fakeLimiter(3);
    const e = { ...env, AUTH_RATE_LIMITER: limiter } as Env;
    const ip = { "cf-connecting-ip": "203.0.113.7" };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await callWith(e, "/hosts", { key: i % 2 ? null : "wrong-key-xyz", headers: ip });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(res.headers.get("content-type")).toMatch(/application\/json/);
        const b = await json<ErrorBody>(res);
        expect(b.error.code).toBe("rate_limited");
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(limiter.calls.every((k) => k.endsWith("203.0.113.7"))).toBe(true);
    // Another client is not affected, and a valid key from the throttled client still works.
    expect(
      (await callWith(e, "/hosts", { key: "wrong", headers: { "cf-connecting-ip": "198.51.100.1" } })).status,
    ).toBe(401);
    expect((await callWith(e, "/hosts", { headers: ip })).status).toBe(200);
  });

  it("with the real binding (wrangler.toml), a flood of wrong keys from one IP ends in 429", async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 500 && !limited; i++) {
      const res = await call("/hosts", {
        key: null,
        headers: { authorization: "Bearer nope", "cf-connecting-ip": "192.0.2.44" },
      });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("metrics and labels: reserved names and bounds", () => {
  for (const [field, name] of [
    ["metrics", "__proto__"],
    ["metrics", "constructor"],
    ["labels", "prototype"],
    ["labels", "__proto__"],
    ["metrics", "hasOwnProperty"],
  ] as const) {
    it(`${field}.${name} is a 400 naming the field`, async () => {
      const value = field === "metrics" ? "1" : '"x"';
      const raw = `{"points": [{"host": "res-1", "cpu_usage": 5, "${field}": {"ok_name": ${value}, "${name}": ${value}}}]}`;
      const res = await call("/metrics", { body: raw });
      expect(res.status).toBe(400);
      const b = await json<ErrorBody>(res);
      expect(b.error.issues?.map((i) => i.path)).toContain(`points.0.${field}.${name}`);
      expect(b.error.message).toMatch(/reserved/);
      expect(await hasObject("acme", "res-1")).toBe(false);
    });
  }

  it("network_latency above 3 600 000 ms and extra values beyond ±1e15 are 400s naming the field", async () => {
    const t = Date.now() - 60_000;
    const cases: [object, string][] = [
      [{ network_latency: 3_600_001 }, "points.0.network_latency"],
      [{ network_latency: 1e300 }, "points.0.network_latency"],
      [{ cpu_usage: 5, metrics: { big: 1.0000001e15 } }, "points.0.metrics.big"],
      [{ cpu_usage: 5, metrics: { small: -1e300 } }, "points.0.metrics.small"],
    ];
    for (const [p, path] of cases) {
      const res = await call("/metrics", { body: { points: [{ host: "bound-1", timestamp: t, ...p }] } });
      expect(res.status, path).toBe(400);
      expect((await json<ErrorBody>(res)).error.issues?.[0]?.path).toBe(path);
    }
    const edge = {
      host: "bound-1",
      timestamp: t,
      network_latency: 3_600_000,
      metrics: { big: 1e15, neg: -1e15 },
    };
    expect((await call("/metrics", { body: edge })).status).toBe(200);
  });
});

describe("response headers, error messages, compressed bodies", () => {
  it("authenticated JSON answers carry Cache-Control: no-store and nosniff; so do errors", async () => {
    for (const res of [
      await call("/hosts"),
      await call("/metrics", { body: point("hdr-1") }),
      await call("/hosts/hdr-1/prediction"),
      await call("/hosts?limit=abc"),
      await call("/hosts", { key: null }),
    ]) {
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await call("/health", { key: null })).headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("an invalid JSON body is not echoed in the error", async () => {
    const secret = "SECRET-token-9f8e7d";
    for (const body of [`{"cpu_usage": 5, "x": ${secret}}`, `${secret}`, `{"a": "${secret}"`]) {
      const res = await call("/metrics", { body });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain(secret);
      expect(text).not.toContain("SECRET");
    }
  });

  it("a compressed body (Content-Encoding other than identity) is a 415 naming the encoding", async () => {
    const gz = new Uint8Array(
      await new Response(
        new Blob([JSON.stringify(point("gz-1"))]).stream().pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    for (const [enc, body] of [
      ["gzip", gz],
      ["br", gz],
      ["snappy", gz],
    ] as const) {
      const res = await callWith(env, "/metrics", { body, headers: { "content-encoding": enc } });
      expect(res.status, enc).toBe(415);
      const b = await json<ErrorBody>(res);
      expect(b.error.code).toBe("unsupported_media_type");
      expect(b.error.issues?.[0]?.path).toBe("header.content-encoding");
      expect(b.error.message).toContain(enc);
    }
    expect(await hasObject("acme", "gz-1")).toBe(false);
    const plain = await callWith(env, "/metrics", {
      body: point("gz-2"),
      headers: { "content-encoding": "identity" },
    });
    expect(plain.status).toBe(200);
  });
});
