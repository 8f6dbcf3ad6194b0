/**
 * The pure parts of `npm run bench:pipeline`: quantiles and summaries on known samples, the COPY text
 * encoding, the targets' verdicts, and that `Resources` stops everything newest first even when one
 * stop fails. (The benchmark itself is run by hand; nothing here measures time.)
 */
import { describe, expect, it } from "vitest";
import type { ConnectorBenchResult } from "./pipeline/connector.ts";
import type { FreshnessResult } from "./pipeline/freshness.ts";
import { judge } from "./pipeline/report.ts";
import { Resources } from "./pipeline/resources.ts";
import { copyField, copyLine, median, perSecond, quantile, summarize } from "./pipeline/stats.ts";

describe("quantile (nearest rank)", () => {
  it("picks the smallest value with at least p·n values at or below it", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2);
    expect(quantile([4, 1, 3, 2], 0.75)).toBe(3);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([7], 0.01)).toBe(7);
  });

  it("p99 of 1..200 is 198, p50 is 100, p90 of 1..10 is 9", () => {
    const xs = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(quantile(xs, 0.99)).toBe(198);
    expect(quantile(xs, 0.5)).toBe(100);
    expect(
      quantile(
        Array.from({ length: 10 }, (_, i) => i + 1),
        0.9,
      ),
    ).toBe(9);
  });

  it("p99 of fewer than 100 values is the maximum", () => {
    expect(quantile([5, 1, 9, 3], 0.99)).toBe(9);
  });

  it("is NaN for no values and rejects p outside (0, 1]", () => {
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile([1], 0)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it("does not reorder its input", () => {
    const xs = [3, 1, 2];
    quantile(xs, 0.5);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe("summarize, median, perSecond", () => {
  it("summarises a known sample", () => {
    expect(summarize([10, 20, 30, 40])).toEqual({
      n: 4,
      min: 10,
      p50: 20,
      p90: 40,
      p99: 40,
      max: 40,
      mean: 25,
    });
  });

  it("an empty sample has n = 0 and NaN figures", () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect([s.min, s.p50, s.p99, s.max, s.mean].every(Number.isNaN)).toBe(true);
  });

  it("median averages the middle pair of an even count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("perSecond", () => {
    expect(perSecond(500, 250)).toBe(2000);
    expect(perSecond(1, 0)).toBeNaN();
  });
});

describe("COPY text format", () => {
  it("null and undefined are \\N; objects are JSON; numbers and strings as they are", () => {
    expect(copyField(null)).toBe("\\N");
    expect(copyField(undefined)).toBe("\\N");
    expect(copyField(1.5)).toBe("1.5");
    expect(copyField("2026-12-01T12:00:00.000Z")).toBe("2026-12-01T12:00:00.000Z");
    expect(copyField({ a: [1, null] })).toBe('{"a":[1,null]}');
  });

  it("escapes backslash, tab, newline and carriage return", () => {
    expect(copyField("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    // JSON's own escapes survive the round trip: COPY turns \\ back into \.
    expect(copyField({ s: 'q"\n' })).toBe('{"s":"q\\\\"\\\\n"}');
  });

  it("a line is the columns in order, tab-separated, newline-terminated", () => {
    expect(copyLine({ b: 2, a: "x", c: null, d: "unused" }, ["a", "b", "c"])).toBe("x\t2\t\\N\n");
  });
});

describe("judge", () => {
  const connector = (ratio: number) => ({ ratio }) as ConnectorBenchResult;
  const freshness = (p99: number, missing = 0, rejected = 0) =>
    ({ toPredictionRow: { p99 }, missingPredictionRows: missing, rejected }) as FreshnessResult;

  it("meets the targets at the bounds (ratio ≥ 0.7, p99 ≤ 2 s)", () => {
    const t = judge(connector(0.7), freshness(2000));
    expect(t.connector_ratio.met).toBe(true);
    expect(t.freshness_p99_ms.met).toBe(true);
  });

  it("misses them beyond, and a freshness run with missing rows or rejected points never meets its target", () => {
    expect(judge(connector(0.69), freshness(2001)).connector_ratio.met).toBe(false);
    expect(judge(connector(0.69), freshness(2001)).freshness_p99_ms.met).toBe(false);
    expect(judge(connector(1), freshness(10, 1)).freshness_p99_ms.met).toBe(false);
    expect(judge(connector(1), freshness(10, 0, 2)).freshness_p99_ms.met).toBe(false);
  });
});

describe("Resources", () => {
  it("stops everything newest first, once, and goes on after a failing stop", async () => {
    const order: string[] = [];
    const logged: string[] = [];
    const r = new Resources((l) => logged.push(l));
    r.add("database", async () => order.push("database"));
    const stopBroker = r.add("broker", async () => order.push("broker"));
    r.add("gateway", async () => {
      order.push("gateway");
      throw new Error("boom");
    });
    r.add("worker", async () => order.push("worker"));
    await stopBroker();
    await stopBroker();
    expect(r.names()).toEqual(["database", "gateway", "worker"]);
    await r.stopAll();
    await r.stopAll();
    expect(order).toEqual(["broker", "worker", "gateway", "database"]);
    expect(logged).toEqual(["stopping gateway failed: boom"]);
    expect(r.names()).toEqual([]);
  });

  it("stops a thing registered after stopAll began at once, and every stopAll waits for running stops", async () => {
    const order: string[] = [];
    const r = new Resources(() => undefined);
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    r.add("broker", async () => {
      await slow;
      order.push("broker");
    });
    const first = r.stopAll();
    const second = r.stopAll();
    const late = r.add("worker", async () => order.push("worker"));
    await late();
    expect(order).toEqual(["worker"]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["worker", "broker"]);
  });
});
