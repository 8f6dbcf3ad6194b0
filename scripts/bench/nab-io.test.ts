import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  listCsvFiles,
  readDataFile,
  readLabels,
  readResultScores,
  resultPath,
  writeResultFile,
} from "./nab-io.ts";
import { runNabBench, type NabLog } from "./nab-run.ts";

const root = mkdtempSync(join(tmpdir(), "nab-io-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** Writes files into a fresh folder and returns it. */
function folder(files: Record<string, string>): string {
  const dir = join(root, String(n++));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const csv = (...rows: string[]) => ["timestamp,value", ...rows].join("\n") + "\n";
const quiet: NabLog = { info: () => {}, progress: () => {}, warn: () => {} };

describe("readDataFile", () => {
  it("keeps timestamp and value text verbatim and accepts CRLF and repeated timestamps (DST)", () => {
    const dir = folder({
      "c/f.csv": "timestamp,value\r\n2014-03-09 03:00:00,1.50\r\n2014-03-09 03:00:00,2e3\r\n",
    });
    const f = readDataFile(dir, "c/f.csv");
    expect(f.timestampText).toEqual(["2014-03-09 03:00:00", "2014-03-09 03:00:00"]);
    expect(f.valueText).toEqual(["1.50", "2e3"]);
    expect(f.value).toEqual([1.5, 2000]);
    expect(f.timestampMs[0]).toBe(Date.UTC(2014, 2, 9, 3));
  });
  it.each([
    ["c/f.csv", "timestamp,value\n2014-01-01 00:00:00,1,2\n", /c\/f\.csv line 2: 3 fields, header has 2/],
    [
      "c/f.csv",
      csv("2014-01-01 00:00:00,1", "01/02/2014 00:00,2"),
      /c\/f\.csv line 3: timestamp "01\/02\/2014 00:00"/,
    ],
    // Empty values and backward timestamps are real data, read as they are: see nab-robust.test.ts.
    ["c/f.csv", csv("2014-01-01 00:00:00,abc"), /c\/f\.csv line 2: value "abc" is not a finite number/],
    ["c/f.csv", "time,value\n2014-01-01 00:00:00,1\n", /c\/f\.csv line 1: no "timestamp" column/],
  ])("rejects malformed %s (%#) naming file and line", (name, text, message) => {
    expect(() => readDataFile(folder({ [name]: text }), name)).toThrow(message);
  });
  it.each([
    ["header only", "timestamp,value\n"],
    ["empty", ""],
    ["blank lines", "\n\r\n"],
  ])("reads a file with no rows (%s) as zero rows", (_, text) => {
    const f = readDataFile(folder({ "c/f.csv": text }), "c/f.csv");
    expect(f.value).toEqual([]);
    expect(f.timestampKey).toEqual([]);
  });
});

describe("readLabels", () => {
  it("reads NAB's label format", () => {
    const dir = folder({
      "l.json": JSON.stringify({
        "c/f.csv": [["2014-01-01 00:00:00.000000", "2014-01-02 00:00:00.000000"]],
        "c/g.csv": [],
      }),
    });
    expect(readLabels(join(dir, "l.json"))).toEqual({
      "c/f.csv": [["2014-01-01 00:00:00.000000", "2014-01-02 00:00:00.000000"]],
      "c/g.csv": [],
    });
  });
  it("names the offending key of a malformed label file", () => {
    const dir = folder({ "bad.json": "{", "shape.json": JSON.stringify({ "c/f.csv": [["a"]] }) });
    expect(() => readLabels(join(dir, "bad.json"))).toThrow(/bad\.json: not valid JSON/);
    expect(() => readLabels(join(dir, "shape.json"))).toThrow(/shape\.json: expected .* at c\/f\.csv → 0/);
    expect(() => readLabels(join(dir, "none.json"))).toThrow(/labels file not found/);
  });
});

describe("result files", () => {
  const dir = folder({ "data/c/f.csv": csv("2014-01-01 00:00:00,1", "2014-01-01 00:05:00,2") });
  const data = readDataFile(join(dir, "data"), "c/f.csv");
  it("round-trips NAB's layout and columns", () => {
    const path = resultPath(join(dir, "out", "det"), "det", "c/f.csv");
    expect(path).toBe(join(dir, "out", "det", "c", "det_f.csv"));
    writeResultFile(path, data, [0, 0.25]);
    expect(Array.from(readResultScores(path, data))).toEqual([0, 0.25]);
  });
  it("rejects results that do not line up with the data or leave 0..1", () => {
    const res = folder({
      "short.csv": "timestamp,value,anomaly_score\n2014-01-01 00:00:00,1,0\n",
      "shifted.csv": "timestamp,value,anomaly_score\n2014-01-01 00:00:00,1,0\n2014-01-01 00:06:00,2,0\n",
      "big.csv": "timestamp,anomaly_score\n2014-01-01 00:00:00,0\n2014-01-01 00:05:00,1.2\n",
    });
    expect(() => readResultScores(join(res, "short.csv"), data)).toThrow(/1 rows, but c\/f\.csv has 2/);
    expect(() => readResultScores(join(res, "shifted.csv"), data)).toThrow(
      /shifted\.csv line 3: timestamp .* differs from c\/f\.csv row 2/,
    );
    expect(() => readResultScores(join(res, "big.csv"), data)).toThrow(
      /big\.csv line 3: anomaly_score 1\.2 is outside 0\.\.1/,
    );
    expect(() => readResultScores(join(res, "none.csv"), data)).toThrow(/no result file for c\/f\.csv/);
  });
});

describe("runNabBench input checks", () => {
  it("lists data files recursively with / separators", () => {
    const dir = folder({
      "a/x.csv": csv("2014-01-01 00:00:00,1"),
      "b/c/y.csv": csv("2014-01-01 00:00:00,1"),
      "a/readme.md": "",
    });
    expect(listCsvFiles(dir)).toEqual(["a/x.csv", "b/c/y.csv"]);
  });
  it("skips data files that have no label key with a warning naming them, and scores the rest", async () => {
    const dir = folder({
      "data/a/x.csv": csv("2014-01-01 00:00:00,1"),
      "data/a/y.csv": csv("2014-01-01 00:00:00,1"),
      "l.json": JSON.stringify({ "a/y.csv": [], "a/other.csv": [] }),
    });
    const warnings: string[] = [];
    const r = await runNabBench(
      {
        dataDir: join(dir, "data"),
        labelsPath: join(dir, "l.json"),
        outDir: join(dir, "out"),
        detector: "null",
      },
      { ...quiet, warn: (l) => warnings.push(l) },
    );
    expect(r.files).toBe(1);
    expect(warnings.join("\n")).toMatch(/has no key for 1 data file\(s\), skipped .*: a\/x\.csv/);
  });
  it("fails with a clear message when no data file can be scored", async () => {
    const dir = folder({
      "data/a/x.csv": csv("2014-01-01 00:00:00,1"),
      "data/a/empty.csv": "timestamp,value\n",
      "l.json": JSON.stringify({ "a/empty.csv": [] }),
    });
    const run = runNabBench(
      {
        dataDir: join(dir, "data"),
        labelsPath: join(dir, "l.json"),
        outDir: join(dir, "out"),
        detector: "null",
      },
      quiet,
    );
    await expect(run).rejects.toThrow(/nothing to score under .*: no data file has both rows and a key/);
  });
  it("maps a label window whose start is not one of the file's timestamps, with a warning", async () => {
    const dir = folder({
      "data/a/x.csv": csv("2014-01-01 00:00:00,1", "2014-01-01 00:05:00,1"),
      "l.json": JSON.stringify({ "a/x.csv": [["2014-01-01 00:01:00.000000", "2014-01-01 00:05:00.000000"]] }),
    });
    const warnings: string[] = [];
    const r = await runNabBench(
      {
        dataDir: join(dir, "data"),
        labelsPath: join(dir, "l.json"),
        outDir: join(dir, "out"),
        detector: "null",
      },
      { ...quiet, warn: (l) => warnings.push(l) },
    );
    expect(r.files).toBe(1);
    expect(r.profiles[0]?.windows).toBe(1);
    expect(warnings.join("\n")).toMatch(/a\/x\.csv: label window 0 .* covers rows 2–2/);
  });
  it("refuses an unknown detector, listing the known ones", async () => {
    const dir = folder({
      "data/a/x.csv": csv("2014-01-01 00:00:00,1"),
      "l.json": JSON.stringify({ "a/x.csv": [] }),
    });
    const run = runNabBench(
      {
        dataDir: join(dir, "data"),
        labelsPath: join(dir, "l.json"),
        outDir: join(dir, "out"),
        detector: "magic",
      },
      quiet,
    );
    // Other detectors may follow edge and null in the registry.
    await expect(run).rejects.toThrow(/unknown detector "magic" \(known: edge, null(, [a-z0-9-]+)*\)/);
  });
  it("warns about label keys without a data file and scores the rest", async () => {
    const dir = folder({
      "data/a/x.csv": csv("2014-01-01 00:00:00,1"),
      "l.json": JSON.stringify({ "a/x.csv": [], "a/gone.csv": [] }),
    });
    const warnings: string[] = [];
    const r = await runNabBench(
      {
        dataDir: join(dir, "data"),
        labelsPath: join(dir, "l.json"),
        outDir: join(dir, "out"),
        detector: "null",
      },
      { ...quiet, warn: (l) => warnings.push(l) },
    );
    expect(warnings.join("\n")).toContain("a/gone.csv");
    expect(r.files).toBe(1);
  });
});
