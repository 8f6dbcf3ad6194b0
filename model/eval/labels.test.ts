import { describe, expect, it } from "vitest";
import { riskLabels } from "./labels.ts";

describe("riskLabels", () => {
  const step = 60_000;
  const starts = Array.from({ length: 40 }, (_, i) => i * step);

  it("marks rows whose horizon contains a downtime start, masks down steps and unknown tails", () => {
    const y = riskLabels(starts, step, [5, 15], [{ startMs: 20 * step, endMs: 25 * step }], 40 * step);
    const at = (t: number, h: number) => y[t * 2 + h]!;
    // Row 14 ends at 15·step; start 20·step is 5 steps later → outside the 5-step horizon.
    expect(at(14, 0)).toBe(0);
    expect(at(15, 0)).toBe(1);
    expect(at(19, 0)).toBe(1);
    expect(at(4, 1)).toBe(0);
    expect(at(5, 1)).toBe(1);
    for (let t = 20; t < 25; t++) expect(Number.isNaN(at(t, 0))).toBe(true);
    expect(at(25, 0)).toBe(0);
    // Row 30 ends at 31·step; 15-step horizon runs past 40·step → unknown.
    expect(Number.isNaN(at(30, 1))).toBe(true);
    expect(at(30, 0)).toBe(0);
  });
});
