/**
 * Issue #12, hardening: the timestamp range. Property test (fixed seeds) of the Worker's rules — the
 * `PointBody` schema then `toStoredPoints` — against the README's range and the host object's own
 * check (`parseIngestRequest`), for every form a timestamp can take: epoch-ms numbers (integers,
 * fractions, huge values), ISO-8601 strings with any offset from −23:59 to +23:59, any number of
 * fraction digits, years 0000–9999. Then the same through HTTP: nothing of a request that answers an
 * error is stored, whichever host object would have failed.
 */
import { createExecutionContext, env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { PointBody } from "../contracts/api.ts";
import type { StoredPoint } from "../contracts/points.ts";
import { parseIngestRequest } from "../contracts/rpc.ts";
import { handleError } from "./app.ts";
import { guard, type AppEnv } from "./context.ts";
import { ingestByHost } from "./ingest.ts";
import { toStoredPoints } from "./schemas.ts";
import { TEST_KEYS } from "./testing/keys.ts";
import { call, json, type ErrorBody } from "./testing/http.ts";

const MIN_MS = Date.UTC(2000, 0, 1);
const FUTURE_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
/** Instants a 4-digit-year ISO string can name in UTC, with any offset: 0000-01-02 .. 9999-12-30. */
const ISO_MIN = Date.parse("0000-01-02T00:00:00Z");
const ISO_MAX = Date.parse("9999-12-30T00:00:00Z");

const pad = (n: number, w: number) => String(n).padStart(w, "0");

/** `ms` written as ISO-8601 in the zone `offsetMin` minutes east of UTC, with extra fraction digits. */
function isoAt(ms: number, offsetMin: number, fraction: string): string {
  const d = new Date(ms + offsetMin * 60_000);
  const y = d.getUTCFullYear();
  const zone =
    offsetMin === 0 && fraction.length % 2 === 0
      ? "Z"
      : `${offsetMin < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offsetMin) / 60), 2)}:${pad(Math.abs(offsetMin) % 60, 2)}`;
  return (
    `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${fraction}${zone}`
  );
}

/** The fraction of a second for `ms`: none (whole seconds only), or its 3 digits plus 0–30 more. */
const fractionFor = (ms: number) =>
  fc.oneof(
    fc.constant(ms % 1000 === 0 ? "" : null),
    fc
      .array(fc.integer({ min: 0, max: 9 }), { maxLength: 30 })
      .map((extra) => `.${pad(((ms % 1000) + 1000) % 1000, 3)}${extra.join("")}`),
  );

interface Case {
  receivedMs: number;
  retentionHours: number | null;
  /** The instant the timestamp denotes (what the API must store), and the timestamp as sent. */
  instantMs: number;
  sent: number | string;
  /** False for a number that is not an integer number of ms. */
  integral: boolean;
}

const receivedMs = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
const retention = fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 24 * 365 }));

/** Instants around the edges of the accepted range, and anywhere an ISO string can reach. */
const instant = (rcv: number, hours: number | null) =>
  fc.oneof(
    fc.integer({ min: -3, max: 3 }).map((d) => rcv + FUTURE_MS + d),
    fc.integer({ min: -3, max: 3 }).map((d) => (hours === null ? MIN_MS : rcv - hours * HOUR_MS) + d),
    fc.integer({ min: -3, max: 3 }).map((d) => MIN_MS + d),
    fc.integer({ min: rcv - 2 * 365 * 24 * HOUR_MS, max: rcv + 2 * HOUR_MS }),
    fc.integer({ min: ISO_MIN, max: ISO_MAX }),
  );

/** Numbers no ISO string can name: beyond year 9999, beyond the Date range, beyond safe integers. */
const hugeMs = fc.oneof(
  fc.integer({ min: ISO_MAX, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(8.64e15, 8.64e15 + 1, 2 ** 53, 1e20, 1e300, Number.MAX_VALUE),
);

const caseArb: fc.Arbitrary<Case> = fc.tuple(receivedMs, retention).chain(([rcv, hours]) =>
  fc.oneof(instant(rcv, hours), { arbitrary: hugeMs, weight: 1 }).chain((ms) => {
    const asNumber = fc.constant<Case>({
      receivedMs: rcv,
      retentionHours: hours,
      instantMs: ms,
      sent: ms,
      integral: Number.isInteger(ms),
    });
    const fractional = fc.constantFrom(0.5, 0.001, 1e-9).map((f): Case => ({
      receivedMs: rcv,
      retentionHours: hours,
      instantMs: ms,
      sent: ms + f,
      // A fraction too small for the magnitude rounds away: then it is an integer after all.
      integral: Number.isInteger(ms + f),
    }));
    if (ms < ISO_MIN || ms > ISO_MAX) return fc.oneof(asNumber, fractional);
    const iso = fc
      .tuple(fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), fractionFor(ms))
      .filter(([, f]) => f !== null)
      .map(([off, f]): Case => ({
        receivedMs: rcv,
        retentionHours: hours,
        instantMs: ms,
        sent: isoAt(ms, off, f!),
        integral: true,
      }));
    return fc.oneof(asNumber, { arbitrary: iso, weight: 3 }, fractional);
  }),
);

/** The Worker's verdict: the stored timestamp, or null when the request is refused. */
function workerAccepts(c: Case): number | null {
  const p = PointBody.safeParse({ timestamp: c.sent, cpu_usage: 1 });
  if (!p.success) return null;
  const r = toStoredPoints([p.data], c.receivedMs, {
    pathOf: () => "timestamp",
    retentionHours: c.retentionHours,
  });
  return r.issues.length > 0 ? null : r.points[0]!.timestamp;
}

/** What the README states: from 2000 (and the retention, on routes that store) to 5 min ahead. */
function readmeAccepts(c: Case): boolean {
  const oldest =
    c.retentionHours === null ? MIN_MS : Math.max(MIN_MS, c.receivedMs - c.retentionHours * HOUR_MS);
  return c.integral && c.instantMs >= oldest && c.instantMs <= c.receivedMs + FUTURE_MS;
}

function objectAccepts(ms: number): boolean {
  try {
    parseIngestRequest({ tenant: "acme", host: "h", points: [{ timestamp: ms, cpu_usage: 1 }] });
    return true;
  } catch {
    return false;
  }
}

describe("property: the Worker's timestamp rules are exactly the README's, and the object's accept them", () => {
  it("every timestamp form, 4000 generated cases (seed 12)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const stored = workerAccepts(c);
        expect(stored !== null, `accepted ${JSON.stringify(c)}`).toBe(readmeAccepts(c));
        if (stored === null) return;
        expect(stored, `instant of ${JSON.stringify(c.sent)}`).toBe(c.instantMs);
        expect(objectAccepts(stored), `object refuses ${stored}`).toBe(true);
      }),
      { seed: 12, numRuns: 4000 },
    );
  });

  it("the object refuses what no route accepts: before 2000, beyond the Date range, not integral", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -8.64e15, max: MIN_MS - 1 }),
          fc.integer({ min: 8.64e15 + 1, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ noNaN: false }).filter((x) => !Number.isInteger(x)),
        ),
        (ms) => {
          expect(objectAccepts(ms), String(ms)).toBe(false);
        },
      ),
      { seed: 13, numRuns: 500 },
    );
  });
});

describe("a request that answers an error stores nothing", () => {
  it("POST /predict refuses an ISO timestamp before 2000 as it refuses the number", async () => {
    const res = await call("/predict", {
      body: { host: "old-1", points: [{ timestamp: "1999-12-31T23:59:59.999+00:00", cpu_usage: 5 }] },
    });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.issues?.[0]?.path).toBe("points.0.timestamp");
  });

  it("ISO fractions of any length are truncated to the millisecond, not misread", async () => {
    const t = Date.now() - 60_000;
    const base = new Date(t - (t % 1000)).toISOString().slice(0, 19);
    const body = { host: "frac-1", timestamp: `${base}.0909999999999999999999Z`, cpu_usage: 5 };
    expect((await call("/metrics", { body })).status).toBe(200);
    const h = await json<{ points: { timestamp: number }[] }>(await call("/hosts/frac-1/history"));
    expect(h.points.map((p) => p.timestamp)).toEqual([t - (t % 1000) + 90]);
  });

  it("ingestByHost (every ingest format's path) checks every host's points before any object call", async () => {
    // A format whose mapping let a bad point through (here: a timestamp before 2000 and one beyond the
    // Date range) must not leave the other hosts' points stored.
    const app = new Hono<AppEnv>();
    const now = Date.now();
    const good: StoredPoint[] = [{ timestamp: now - 60_000, cpu_usage: 5 }];
    app.post("/x", async (c) => {
      const { tenant } = await guard(c, "write");
      const byHost = new Map<string, StoredPoint[]>([
        ["atom-a", good],
        ["atom-b", [{ timestamp: 5, cpu_usage: 5 }]],
        ["atom-c", [{ timestamp: 9e15, cpu_usage: 5 }]],
      ]);
      return c.json(await ingestByHost(c, tenant, byHost));
    });
    app.onError(handleError);
    const before = (await listDurableObjectIds(env.HOST_MONITOR)).length;
    const res = await app.fetch(
      new Request("http://edge.test/x", {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_KEYS.acme}` },
      }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(400);
    const e = await json<ErrorBody>(res);
    expect(e.error.code).toBe("invalid_field");
    expect(e.error.message).toMatch(/timestamp/);
    expect((await listDurableObjectIds(env.HOST_MONITOR)).length).toBe(before);
    expect((await call("/hosts/atom-a/prediction")).status).toBe(404);
  });
});
