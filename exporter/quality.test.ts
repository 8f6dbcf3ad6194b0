/** The warning judge, pure: each outcome and its edges (the horizon's end, the silence threshold). */
import { describe, expect, it } from "vitest";
import { judge, QualityMemo, quantile, summarise, type Warning } from "./quality.ts";

const rules = { horizonSeconds: 1800, silenceSeconds: 300 };
const S = 1000;
const w = (o: Partial<Warning> = {}): Warning => ({
  tenant: "t",
  host: "h",
  atMs: 0,
  criticalAtMs: null,
  newestPointMs: null,
  silenceStartsMs: [],
  ...o,
});

describe("judge", () => {
  it("followed by the earlier of a critical transition and a silence", () => {
    expect(judge(w({ criticalAtMs: 900 * S, silenceStartsMs: [600 * S] }), 4000 * S, rules)).toEqual({
      outcome: "followed",
      leadSeconds: 600,
    });
    expect(judge(w({ criticalAtMs: 100 * S, silenceStartsMs: [600 * S] }), 4000 * S, rules).leadSeconds).toBe(
      100,
    );
  });
  it("a critical transition after the horizon does not count", () => {
    expect(judge(w({ criticalAtMs: 1801 * S, newestPointMs: 3999 * S }), 4000 * S, rules).outcome).toBe(
      "false_alarm",
    );
    expect(judge(w({ criticalAtMs: 1800 * S }), 4000 * S, rules).outcome).toBe("followed");
  });
  it("a silence under way counts from the last point once it lasted the threshold", () => {
    expect(judge(w({ newestPointMs: 200 * S }), 500 * S, rules)).toEqual({
      outcome: "followed",
      leadSeconds: 200,
    });
    expect(judge(w({ newestPointMs: 201 * S }), 500 * S, rules).outcome).toBe("pending");
    // Quiet before the warning: the downtime counts from the warning itself.
    expect(judge(w({ atMs: 100 * S, newestPointMs: 0 }), 500 * S, rules).leadSeconds).toBe(0);
  });
  it("pending until the horizon is over and a silence inside it could be seen", () => {
    expect(judge(w({ newestPointMs: 1700 * S }), 1799 * S, rules).outcome).toBe("pending");
    // horizon over, last point 100 s before its end, quiet 250 s < 300 s: undecided.
    expect(judge(w({ newestPointMs: 1700 * S }), 1950 * S, rules).outcome).toBe("pending");
    // quiet 300 s: silent from 1700 s, inside the horizon.
    expect(judge(w({ newestPointMs: 1700 * S }), 2000 * S, rules)).toEqual({
      outcome: "followed",
      leadSeconds: 1700,
    });
    // points after the horizon and no silence: a false alarm.
    expect(judge(w({ newestPointMs: 1900 * S }), 1950 * S, rules).outcome).toBe("false_alarm");
  });
});

describe("summarise and quantile", () => {
  it("counts outcomes and lead quantiles per tenant", () => {
    const warnings = [
      w({ criticalAtMs: 0 }),
      w({ criticalAtMs: 300 * S }),
      w({ tenant: "u", newestPointMs: 5000 * S }),
    ];
    const q = summarise(warnings.map((x) => ({ tenant: x.tenant, ...judge(x, 5000 * S, rules) })));
    expect(q.get("t")?.counts).toEqual({ followed: 2, false_alarm: 0, pending: 0 });
    expect(q.get("t")?.lead.get(0.5)).toBe(150);
    expect(q.get("u")?.counts).toEqual({ followed: 0, false_alarm: 1, pending: 0 });
    expect(q.get("u")?.lead.size).toBe(0);
  });
  it("interpolates like percentile_cont", () => {
    expect(quantile([0.2, 0.5, 1, 1, 1, 2], 0.9)).toBeCloseTo(1.5, 12);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe("QualityMemo", () => {
  it("remembers only judgements that are final and past the grace, and forgets them with the window", () => {
    const memo = new QualityMemo({ ...rules, graceSeconds: 300 });
    const key = QualityMemo.key("t", "h", 0);
    // Horizon over at 1800 s, grace until 2100 s: judged, not remembered yet.
    expect(memo.judge(w({ newestPointMs: 1999 * S }), 2000 * S).outcome).toBe("false_alarm");
    expect(memo.get(key)).toBeUndefined();
    expect(memo.judge(w({ newestPointMs: 2099 * S }), 2100 * S).outcome).toBe("false_alarm");
    expect(memo.get(key)).toEqual({ tenant: "t", outcome: "false_alarm", leadSeconds: null, atMs: 0 });
    // Pending is never remembered.
    memo.judge(w({ atMs: 10_000 * S, newestPointMs: 10_000 * S }), 10_100 * S);
    expect(memo.size).toBe(1);
    memo.prune(0);
    expect(memo.size).toBe(0);
  });
});
