import { describe, expect, it } from "vitest";
import { AnomalyLikelihood } from "./likelihood.ts";
import { tailSurprisal } from "./tail.ts";

describe("tailSurprisal", () => {
  it("matches known normal tail probabilities", () => {
    expect(tailSurprisal(0)).toBeCloseTo(Math.log10(2), 6);
    expect(tailSurprisal(1.6448536)).toBeCloseTo(-Math.log10(0.05), 5);
    expect(tailSurprisal(3.0902323)).toBeCloseTo(3, 5);
    expect(tailSurprisal(-3)).toBeCloseTo(-Math.log10(1 - 0.0013499), 6);
  });

  it("is finite and increasing far into the tail", () => {
    let prev = -1;
    for (let z = -3; z <= 60; z += 0.5) {
      const d = tailSurprisal(z);
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeGreaterThan(prev);
      prev = d;
    }
    expect(tailSurprisal(Number.NaN)).toBe(0);
  });
});

describe("AnomalyLikelihood", () => {
  it("reports nothing during warm-up and little for surprises like the usual ones", () => {
    const lik = new AnomalyLikelihood({ warmupSteps: 50, shortWindows: [4] });
    const out: number[] = [];
    for (let i = 0; i < 2000; i++) out.push(lik.update(i % 3)); // a steady mix of 0, 1, 2
    expect(out.slice(0, 50).every((d) => d === 0)).toBe(true);
    expect(Math.max(...out.slice(50))).toBeLessThan(2);
  });

  it("reports a run of unusually large surprises as improbable, more so the longer it lasts", () => {
    const lik = new AnomalyLikelihood({ warmupSteps: 50, shortWindows: [8] });
    for (let i = 0; i < 2000; i++) lik.update(i % 3);
    const run = [20, 20, 20, 20, 20, 20].map((e) => lik.update(e));
    for (let i = 1; i < run.length; i++) expect(run[i]).toBeGreaterThan(run[i - 1]!);
    expect(run[5]).toBeGreaterThan(3); // P < 1e-3 once most of the window is surprising
  });

  it("round-trips its state through JSON", () => {
    const a = new AnomalyLikelihood({ shortWindows: [2, 8], warmupSteps: 10 });
    for (let i = 0; i < 300; i++) a.update((i * 7) % 5);
    const b = AnomalyLikelihood.fromJSON(JSON.parse(JSON.stringify(a.toJSON())), {
      shortWindows: [2, 8],
      warmupSteps: 10,
    });
    for (let i = 0; i < 100; i++) expect(b.update(i % 11)).toBe(a.update(i % 11));
  });

  it("rejects windows it cannot keep in O(64)", () => {
    expect(() => new AnomalyLikelihood({ shortWindows: [65] })).toThrow(RangeError);
    expect(() => new AnomalyLikelihood({ shortWindows: [] })).toThrow(RangeError);
  });
});
