import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestRequest, isPlainIngestRequest, parseIngestRequest } from "./rpc.ts";

const point = (t: number) => ({
  timestamp: t,
  cpu_usage: 40,
  memory_usage: 55.5,
  network_latency: 30,
  error_rate: 0.002,
});
const valid = { tenant: "acme", host: "web-1", points: [point(1_700_000_000_000), point(1_700_000_060_000)] };

describe("ingest request: hand check of the common case", () => {
  it("takes the plain common case without the schema, with the schema's result", () => {
    expect(isPlainIngestRequest(valid)).toBe(true);
    expect(parseIngestRequest(valid)).toEqual(IngestRequest.parse(valid));
    const t0 = 1_700_000_000_000;
    const sparse = { ...valid, points: [{ timestamp: t0, cpu_usage: null }, { timestamp: t0 + 5 }] };
    expect(isPlainIngestRequest(sparse)).toBe(true);
    expect(IngestRequest.safeParse(sparse).success).toBe(true);
  });

  it("leaves extra metrics, labels and every invalid request to the schema (same errors as before)", () => {
    const withExtra = {
      ...valid,
      points: [{ ...point(1_700_000_000_000), metrics: { disk: 3 }, labels: { dc: "x" } }],
    };
    expect(isPlainIngestRequest(withExtra)).toBe(false);
    expect(parseIngestRequest(withExtra)).toEqual(IngestRequest.parse(withExtra));
    const bad = { ...valid, points: [{ ...point(1_700_000_000_000), cpu_usage: 101 }] };
    const early = { ...valid, points: [point(946_684_799_999)] };
    expect(isPlainIngestRequest(early)).toBe(false);
    expect(() => parseIngestRequest(early)).toThrow(/invalid ingest request:.*2000-01-01/s);
    expect(isPlainIngestRequest(bad)).toBe(false);
    expect(() => parseIngestRequest(bad)).toThrow(/invalid ingest request:.*cpu_usage/s);
  });

  it("never accepts what the schema rejects (generated requests near the boundaries)", () => {
    // Mostly valid values, some just outside a rule, some of the wrong type.
    const metric = fc.oneof(
      { weight: 50, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
      { weight: 2, arbitrary: fc.double({ min: -1, max: 1001 }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          0,
          1,
          100,
          -0,
          1e-9,
          -1e-9,
          1.0000001,
          100.0000001,
          NaN,
          Infinity,
          -Infinity,
        ),
      },
      { weight: 2, arbitrary: fc.constantFrom(null, undefined, "50", true, [], {}) },
    );
    const ts = fc.oneof(
      { weight: 40, arbitrary: fc.integer({ min: 0, max: 2 ** 45 }) },
      { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 ** 53 + 2 }) },
      { weight: 1, arbitrary: fc.double() },
      { weight: 1, arbitrary: fc.constantFrom(-0, 1.5, 2 ** 53, 2 ** 53 - 1, -1, NaN, "1", null) },
    );
    /** Absent (undefined) 12 times in 13. */
    const rare = <T>(a: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
    const pt = fc
      .record({
        timestamp: ts,
        cpu_usage: metric,
        memory_usage: metric,
        network_latency: metric,
        error_rate: metric,
        metrics: rare(fc.constantFrom({}, { a: 1 }, { "bad name": 1 })),
        labels: rare(fc.constantFrom({}, { a: "b" })),
        cpu_usge: rare(fc.constant(1)),
        // Keys present with the value undefined (the schema accepts them for optional fields).
        keepUndefined: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        noTimestamp: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
      })
      .map(({ keepUndefined, noTimestamp, ...p }) => {
        const out: Record<string, unknown> = { ...p };
        if (!keepUndefined) for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
        if (noTimestamp) delete out.timestamp;
        return out;
      });
    const req = fc
      .record({
        tenant: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom("acme", "t-1", "x".repeat(64)) },
          { weight: 1, arbitrary: fc.oneof(fc.constantFrom("", "a/b", "x".repeat(65), 7), fc.string()) },
        ),
        host: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom("web-1", "a", "h".repeat(128), "db.1:x_y") },
          {
            weight: 1,
            arbitrary: fc.oneof(fc.constantFrom("-x", "a b", "h".repeat(129), null), fc.string()),
          },
        ),
        points: fc.oneof(
          { weight: 8, arbitrary: fc.array(pt, { minLength: 0, maxLength: 4 }) },
          { weight: 1, arbitrary: fc.constantFrom(null, {}, "x") },
        ),
        extra: rare(fc.constant(1)),
      })
      .map((r) => {
        const out: Record<string, unknown> = { ...r };
        if (r.extra === undefined) delete out.extra;
        return out;
      });
    let plain = 0;
    fc.assert(
      fc.property(req, (r) => {
        const fast = isPlainIngestRequest(r);
        const schema = IngestRequest.safeParse(r);
        if (fast) {
          plain++;
          expect(schema.success).toBe(true);
          expect(r).toEqual(schema.data);
        }
      }),
      // A fixed seed, like every property here: the count below depends on the draw.
      { numRuns: 5000, seed: 20261124 },
    );
    // The generator does reach the shortcut (otherwise this test could not fail).
    expect(plain).toBeGreaterThan(20);
  });
});
