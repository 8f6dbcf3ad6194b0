import { describe, expect, it } from "vitest";
import { parseNabTimestamp } from "./timestamp.ts";
import { resolveWindows } from "./windows.ts";

describe("parseNabTimestamp", () => {
  it("reads data and label forms as the same instant (UTC)", () => {
    const data = parseNabTimestamp("2014-04-10 07:15:00");
    expect(data).toEqual({ key: Date.UTC(2014, 3, 10, 7, 15) * 1000, ms: Date.UTC(2014, 3, 10, 7, 15) });
    expect(parseNabTimestamp("2014-04-10 07:15:00.000000")).toEqual(data);
    expect(parseNabTimestamp("2014-04-10T07:15")).toEqual(data);
  });
  it("keeps microseconds in the key", () => {
    const t = parseNabTimestamp("2014-04-10 07:15:00.000250");
    expect(t?.key).toBe(Date.UTC(2014, 3, 10, 7, 15) * 1000 + 250);
  });
  it("rejects text that is not a calendar timestamp", () => {
    for (const bad of [
      "",
      "2014-04-10",
      "10/04/2014 07:15",
      "2014-02-30 00:00:00",
      "2014-04-10 24:00:00",
      "x",
    ]) {
      expect(parseNabTimestamp(bad)).toBeNull();
    }
  });
});

describe("resolveWindows", () => {
  const key = (t: string): number => parseNabTimestamp(t)?.key ?? Number.NaN;
  const keys = [
    "2020-01-01 00:00:00",
    "2020-01-01 00:05:00",
    "2020-01-01 00:10:00",
    "2020-01-01 00:15:00",
  ].map(key);
  /** Resolves and collects the warnings. */
  const resolve = (ks: readonly number[], limits: [string, string][]) => {
    const warnings: string[] = [];
    const rows = resolveWindows("c/f.csv", ks, limits, (l) => warnings.push(l));
    return { rows, warnings };
  };
  it("maps inclusive [start, end] timestamps to row indices, silently when both ends are exact", () => {
    expect(
      resolve(keys, [
        ["2020-01-01 00:05:00.000000", "2020-01-01 00:10:00.000000"],
        ["2020-01-01 00:15:00.000000", "2020-01-01 00:15:00.000000"],
      ]),
    ).toEqual({
      rows: [
        { start: 1, end: 2 },
        { start: 3, end: 3 },
      ],
      warnings: [],
    });
  });
  it("maps ends that are not timestamps of the file to the rows inside the window, with a warning", () => {
    const { rows, warnings } = resolve(keys, [["2020-01-01 00:06:00", "2020-01-01 00:12:00"]]);
    expect(rows).toEqual([{ start: 2, end: 2 }]);
    expect(warnings).toEqual([expect.stringMatching(/c\/f\.csv: label window 0 .* covers rows 3–3/)]);
  });
  it("maps an end that occurs more than once (duplicated row, fall-back hour) by file order", () => {
    // 00:00 00:05 00:10 00:15 00:10 00:15 00:20 — the clock goes back 10 minutes after 00:15.
    const fallBack = [
      "2020-01-01 00:00:00",
      "2020-01-01 00:05:00",
      "2020-01-01 00:10:00",
      "2020-01-01 00:15:00",
      "2020-01-01 00:10:00",
      "2020-01-01 00:15:00",
      "2020-01-01 00:20:00",
    ].map(key);
    // Start repeated: the first row inside; end unique: that row (rows going back stay inside).
    expect(resolve(fallBack, [["2020-01-01 00:10:00", "2020-01-01 00:20:00"]]).rows).toEqual([
      { start: 2, end: 6 },
    ]);
    // End repeated: up to the row before the file first passes it.
    expect(resolve(fallBack, [["2020-01-01 00:05:00", "2020-01-01 00:10:00"]]).rows).toEqual([
      { start: 1, end: 2 },
    ]);
    expect(resolve(fallBack, [["2020-01-01 00:05:00", "2020-01-01 00:15:00"]]).rows).toEqual([
      { start: 1, end: 5 },
    ]);
    // Duplicated rows at both ends.
    const dup = [...keys.slice(0, 2), keys[1] as number, ...keys.slice(2), keys[3] as number];
    expect(resolve(dup, [["2020-01-01 00:05:00", "2020-01-01 00:15:00"]]).rows).toEqual([
      { start: 1, end: 5 },
    ]);
  });
  it("ignores, with a warning, a window outside the file's time range or in a gap", () => {
    const { rows, warnings } = resolve(keys, [
      ["2019-12-31 00:00:00", "2019-12-31 01:00:00"],
      ["2020-01-01 00:06:00", "2020-01-01 00:09:00"],
      ["2020-01-01 00:10:00", "2020-01-01 00:15:00"],
      ["2020-01-02 00:00:00", "2020-01-02 01:00:00"],
    ]);
    expect(rows).toEqual([{ start: 2, end: 3 }]);
    expect(warnings).toHaveLength(3);
    for (const w of warnings) expect(w).toMatch(/covers no row of the file .*; ignored/);
    expect(resolve([], [["2020-01-01 00:00:00", "2020-01-01 00:05:00"]]).rows).toEqual([]);
  });
  it("ignores, with a warning, a window whose rows overlap an earlier one's (timestamps going back)", () => {
    // Windows disjoint in time can only collide in rows when the file steps back between them.
    const back = [
      "2020-01-01 00:15:00",
      "2020-01-01 00:00:00",
      "2020-01-01 00:10:00",
      "2020-01-01 00:20:00",
    ].map(key);
    const { rows, warnings } = resolve(back, [
      ["2020-01-01 00:00:00", "2020-01-01 00:12:00"],
      ["2020-01-01 00:13:00", "2020-01-01 00:20:00"],
    ]);
    expect(rows).toEqual([{ start: 1, end: 2 }]);
    expect(warnings).toHaveLength(2); // window 0 not exact at its end, window 1 overlapping
    expect(warnings[1]).toMatch(
      /label window 1 .* maps to rows 1–4, overlapping window 0's rows .*; ignored/,
    );
  });
  it("rejects a label file that is not NAB layout: malformed, reversed, unordered or overlapping windows", () => {
    expect(() => resolveWindows("c/f.csv", keys, [["soon", "2020-01-01 00:10:00"]])).toThrow(
      /c\/f\.csv: label window 0 has a malformed timestamp "soon"/,
    );
    expect(() => resolveWindows("c/f.csv", keys, [["2020-01-01 00:10:00", "2020-01-01 00:05:00"]])).toThrow(
      /ends .* before it starts/,
    );
    expect(() =>
      resolveWindows("c/f.csv", keys, [
        ["2020-01-01 00:05:00", "2020-01-01 00:10:00"],
        ["2020-01-01 00:10:00", "2020-01-01 00:15:00"],
      ]),
    ).toThrow(/window 1 starts .* before window 0 ends/);
  });
});
