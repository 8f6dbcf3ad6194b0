/**
 * Property-based bad input: ≥ 1000 generated invalid payloads per run against POST /metrics and
 * POST /predict, and bad query strings against GET /hosts and the history. Every one must get a 4xx
 * with a JSON error body naming a field in plain words (none of zod's own phrasings) — never a 5xx —
 * and none may create or touch a host's Durable Object.
 */
import { env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, type ErrorBody } from "./testing/http.ts";

const valid = { cpu_usage: 50, memory_usage: 50, network_latency: 100, error_rate: 0.01 };

/** A value that is invalid for the given field. */
const badNumber = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, -0.0001, 100.0001, 1e300, -1e300),
  fc.string(),
  fc.boolean(),
  fc.constant(null as unknown),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const badFor: Record<string, fc.Arbitrary<unknown>> = {
  cpu_usage: fc.oneof(
    badNumber.filter((v) => v !== null),
    fc.double({ min: 100.0001, max: 1e9, noNaN: true }),
  ),
  memory_usage: fc.oneof(
    badNumber.filter((v) => v !== null),
    fc.double({ min: -1e9, max: -0.0001, noNaN: true }),
  ),
  network_latency: fc.oneof(
    badNumber.filter((v) => v !== null && v !== 1e300 && v !== 100.0001),
    fc.double({ min: -1e9, max: -1e-9, noNaN: true }),
  ),
  error_rate: fc.oneof(
    badNumber.filter((v) => v !== null),
    fc.double({ min: 1.000001, max: 1e6, noNaN: true }),
  ),
  host: fc.oneof(
    fc.constantFrom("", " ", "a/b", "-x", ".x", "x".repeat(129), "ünïcode", "a b"),
    fc.integer(),
  ),
  timestamp: fc.oneof(
    fc.constantFrom("yesterday", "2026-13-01T00:00:00Z", "2026-01-01", 1.5, -1, 946_684_799_999),
    fc.integer({ min: 0, max: 946_684_799_999 }),
    fc.constant(Date.now() + 3_600_000),
    fc.boolean(),
  ),
  metrics: fc.oneof(
    fc.constant({ "bad name": 1 }),
    fc.constant({ disk: "full" }),
    fc.constant({ disk: null }),
    fc.dictionary(fc.constantFrom("a", "b"), fc.string(), { minKeys: 1 }),
    fc.string(),
  ),
  labels: fc.oneof(
    fc.constant({ region: 5 }),
    fc.constant({ "9x": "a" }),
    fc.constant({ k: "v".repeat(257) }),
    fc.integer(),
  ),
};

/** A single point with one or more fields broken (or an unknown field added). */
const badPoint = fc.oneof(
  fc
    .tuple(fc.constantFrom(...Object.keys(badFor)), fc.context())
    .chain(([field]) => badFor[field]!.map((v) => ({ ...valid, [field]: v }))),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((k) => !(k in badFor) && k !== "__proto__")
    .map((k) => ({ ...valid, [k]: 1 })),
  fc.constant({}),
  fc.constant({ host: "only-host" }),
);

/** Whole bodies: bad points alone, inside batches among good ones, or not objects at all. */
const badBody = fc.oneof(
  { weight: 4, arbitrary: badPoint },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.array(fc.constant(valid), { maxLength: 5 }),
        badPoint,
        fc.array(fc.constant(valid), { maxLength: 5 }),
      )
      .map(([a, b, c]) => ({ points: [...a, b, ...c] })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.string(),
      fc.array(fc.integer()),
      fc.constant(null),
      fc.constant({ points: "x" }),
      fc.constant({ points: [] }),
    ),
  },
);

/** Zod's default messages ("Invalid input: expected number, received NaN", "Too small: …", "✖ …"). */
const ZOD_PHRASES =
  /Invalid (input|key|option|element)|expected .* received|Too (small|big)|Unrecognized key|✖/i;

/** A 4xx error body whose messages speak the API: each issue names a path and says what is wrong. */
function expectApiMessages(e: ErrorBody, what: string): void {
  expect(e.error.message, what).not.toMatch(ZOD_PHRASES);
  for (const i of e.error.issues ?? []) {
    expect(i.path.length, what).toBeGreaterThan(0);
    expect(i.message, what).not.toMatch(ZOD_PHRASES);
    expect(e.error.message.length, what).toBeGreaterThan(0);
  }
}

async function hostObjects(): Promise<number> {
  return (await listDurableObjectIds(env.HOST_MONITOR)).length;
}

describe("property: bad input is a 4xx, never a 5xx, and stores nothing", () => {
  // Spread over three tenants so the per-tenant rate limit (600 per 10 s) stays out of the way.
  it("POST /metrics and POST /predict, 1200 generated payloads (+ raw byte strings)", async () => {
    const before = await hostObjects();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        badBody,
        fc.constantFrom("/metrics", "/predict"),
        fc.constantFrom("fuzz1", "fuzz2", "fuzz3") as fc.Arbitrary<"fuzz1" | "fuzz2" | "fuzz3">,
        async (body, path, key) => {
          runs++;
          const text = JSON.stringify(body, (_k, v: unknown) =>
            typeof v === "number" && !Number.isFinite(v) ? `__${String(v)}__` : v,
          ).replace(/"__(NaN|Infinity|-Infinity)__"/g, (_m, x: string) =>
            x === "NaN" ? "NaN" : x === "Infinity" ? "1e999" : "-1e999",
          );
          const res = await call(`${path}?host=fuzz-host`, { body: text, key });
          // A 429 would mean the payload was never validated: the tenants' budgets must cover the runs.
          expect(res.status, `${path} ${text.slice(0, 200)}`).not.toBe(429);
          expect(res.status, `${path} ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${path} ${text.slice(0, 200)}`).toBeLessThan(500);
          const e = (await res.json()) as ErrorBody;
          expect(typeof e.error.code).toBe("string");
          expect(e.error.message.length).toBeGreaterThan(0);
          if (res.status === 400 && e.error.code === "invalid_field")
            expect(e.error.issues!.length).toBeGreaterThan(0);
          expectApiMessages(e, `${path} ${text.slice(0, 200)}`);
        },
      ),
      { numRuns: 1200, seed: 20261124 },
    );
    // Arbitrary bytes as a body (invalid UTF-8, truncated JSON…).
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        runs++;
        const res = await call("/metrics?host=fuzz-host", {
          body: new TextDecoder().decode(bytes) + "{",
          key: "fuzz3",
        });
        expect(res.status).toBe(400);
      }),
      { numRuns: 100, seed: 7 },
    );
    expect(runs).toBeGreaterThanOrEqual(1300);
    expect(await hostObjects()).toBe(before);
    expect((await call("/hosts/fuzz-host/prediction", { key: "fuzz1" })).status).toBe(404);
  });

  it("GET /hosts and the history: bad query values are a 400 naming query.<name>", async () => {
    const limit = (max: number) =>
      fc
        .oneof(
          fc.constantFrom("", "abc", "NaN", "Infinity", "-1", "0", "1.5", "1e3x", "10001"),
          fc.string({ maxLength: 8 }),
        )
        .filter((s) => !(Number.isInteger(Number(s)) && Number(s) >= 1 && Number(s) <= max));
    // Strings of ≤ 12 characters cannot be an ISO-8601 date-time with a zone.
    const instant = fc
      .oneof(
        fc.constantFrom("", "yesterday", "2026-13-01", "-1", "1.5", "0x10"),
        fc.string({ maxLength: 12 }),
      )
      .filter((s) => !/^\d{1,15}$/.test(s));
    const param = fc.oneof(
      limit(1000).map((v) => ["/hosts", "limit", v] as const),
      fc
        .string({ maxLength: 10 })
        .filter((s) => !["ok", "warning", "critical"].includes(s))
        .map((v) => ["/hosts", "level", v] as const),
      limit(10_000).map((v) => ["/hosts/fuzz-q/history", "limit", v] as const),
      instant.map((v) => ["/hosts/fuzz-q/history", "from", v] as const),
      instant.map((v) => ["/hosts/fuzz-q/history", "to", v] as const),
    );
    await fc.assert(
      fc.asyncProperty(param, async ([route, name, value]) => {
        const url = `${route}?${name}=${encodeURIComponent(value)}`;
        // A tenant of its own: the payloads above leave fuzz1..3 near the rate limit (600 per 10 s).
        const res = await call(url, { key: "fuzz4" });
        expect(res.status, url).toBe(400);
        const e = (await res.json()) as ErrorBody;
        expect(e.error.code, url).toBe("invalid_field");
        expect(e.error.issues![0]!.path, url).toBe(`query.${name}`);
        expectApiMessages(e, url);
      }),
      { numRuns: 150, seed: 9 },
    );
  });
});
