import { describe, expect, it } from "vitest";
import { episodesFromFlags, evaluateEpisodes, quantile } from "./leadtime.ts";

const MIN = 60_000;

describe("episodesFromFlags", () => {
  it("turns runs of alerting steps into episodes", () => {
    const ends = [1, 2, 3, 4, 5, 6].map((m) => m * MIN);
    const eps = episodesFromFlags("h", ends, [false, true, true, false, true, true]);
    expect(eps).toEqual([
      { host: "h", onsetMs: 2 * MIN, endMs: 3 * MIN },
      { host: "h", onsetMs: 5 * MIN, endMs: 6 * MIN },
    ]);
  });
});

describe("evaluateEpisodes", () => {
  const down = [
    { host: "a", family: "memory_leak", startMs: 100 * MIN },
    { host: "b", family: "cpu_saturation", startMs: 100 * MIN },
  ];

  it("counts a warning within maxLead before the start as detected, with its lead", () => {
    const r = evaluateEpisodes([{ host: "a", onsetMs: 80 * MIN, endMs: 99 * MIN }], down, down, 2, 60 * MIN);
    expect(r.truePositives).toBe(1);
    expect(r.recall).toBe(0.5);
    expect(r.leadMinutes).toEqual([20]);
    expect(r.precision).toBe(1);
  });

  it("counts too-early, wrong-host and after-start warnings as false alarms", () => {
    const eps = [
      { host: "a", onsetMs: 10 * MIN, endMs: 20 * MIN }, // 90 min early > 60
      { host: "c", onsetMs: 90 * MIN, endMs: 95 * MIN }, // no downtime on c
      { host: "b", onsetMs: 101 * MIN, endMs: 102 * MIN }, // after the start
    ];
    const r = evaluateEpisodes(eps, down, down, 4, 60 * MIN);
    expect(r.falseAlarms).toBe(3);
    expect(r.falseAlarmsPerHostDay).toBe(0.75);
    expect(r.recall).toBe(0);
    expect(r.medianLeadMinutes).toBeNull();
  });

  it("uses the earliest matching onset for the lead", () => {
    const eps = [
      { host: "a", onsetMs: 70 * MIN, endMs: 75 * MIN },
      { host: "a", onsetMs: 90 * MIN, endMs: 99 * MIN },
    ];
    const r = evaluateEpisodes(eps, down, down, 2, 60 * MIN);
    expect(r.leadMinutes).toEqual([30]);
    expect(r.truePositives).toBe(2);
  });
});

describe("quantile", () => {
  it("interpolates", () => {
    expect(quantile([0, 10, 20, 30, 40], 0.5)).toBe(20);
    expect(quantile([0, 10], 0.1)).toBe(1);
    expect(quantile([], 0.5)).toBeNull();
  });
});
