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
  const keys = [
    "2020-01-01 00:00:00",
    "2020-01-01 00:05:00",
    "2020-01-01 00:10:00",
    "2020-01-01 00:15:00",
  ].map((t) => parseNabTimestamp(t)?.key ?? Number.NaN);
  it("maps inclusive [start, end] timestamps to row indices", () => {
    expect(
      resolveWindows("c/f.csv", keys, [
        ["2020-01-01 00:05:00.000000", "2020-01-01 00:10:00.000000"],
        ["2020-01-01 00:15:00.000000", "2020-01-01 00:15:00.000000"],
      ]),
    ).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 3 },
    ]);
  });
  it("names the file and window when a timestamp is not a row of the file", () => {
    expect(() => resolveWindows("c/f.csv", keys, [["2020-01-01 00:06:00", "2020-01-01 00:10:00"]])).toThrow(
      /c\/f\.csv: label window 0 timestamp "2020-01-01 00:06:00" is not a timestamp of the file/,
    );
    expect(() => resolveWindows("c/f.csv", keys, [["soon", "2020-01-01 00:10:00"]])).toThrow(
      /malformed timestamp "soon"/,
    );
  });
  it("rejects a window end that occurs more than once (NAB's labeler does too)", () => {
    const dup = [...keys, keys[3] as number];
    expect(() => resolveWindows("c/f.csv", dup, [["2020-01-01 00:05:00", "2020-01-01 00:15:00"]])).toThrow(
      /occurs more than once/,
    );
  });
  it("rejects reversed, unordered and overlapping windows", () => {
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
