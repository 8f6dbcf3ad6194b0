/**
 * bench:nab on messy but real-looking NAB-layout files, all generated here (no NAB data): a
 * daylight-saving fall-back hour, duplicated rows, timestamps that jump back, gaps of days, irregular
 * steps, constant stretches, huge values and empty / NaN cells. Every row must get a score in 0..1, in
 * file order, and the run must not stop.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runNabCv } from "./nab-cv.ts";
import { DETECTORS } from "./nab-detectors.ts";
import { readDataFile, resultPath } from "./nab-io.ts";
import { runNabBench, type NabLog } from "./nab-run.ts";

const root = mkdtempSync(join(tmpdir(), "nab-robust-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MIN = 60_000;
const T0 = Date.UTC(2015, 10, 1);
/** NAB's timestamp text for epoch ms (NAB files carry no zone: local wall time). */
const stamp = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
/** A daily-ish wave with deterministic jitter, so the detector has something to learn. */
const wave = (i: number): number => 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 13;

interface Rows {
  ts: number[];
  value: string[];
}
const regular = (n: number, stepMs = 5 * MIN): Rows => ({
  ts: Array.from({ length: n }, (_, i) => T0 + i * stepMs),
  value: Array.from({ length: n }, (_, i) => wave(i).toFixed(3)),
});

/** Each case: rows as a sensor or exporter might really write them. */
function cases(): Record<string, Rows> {
  const n = 1200;
  // Fall-back: 01:00–01:55 local time twice (NAB's files are local wall time).
  const fallBack = regular(n);
  const at = 600;
  fallBack.ts = fallBack.ts.map((t, i) => (i >= at ? t - 60 * MIN : t));
  const dup = regular(n);
  const dupTs: number[] = [];
  const dupValue: string[] = [];
  dup.ts.forEach((t, i) => {
    const copies = i % 50 === 0 ? 3 : 1;
    for (let k = 0; k < copies; k++) {
      dupTs.push(t);
      dupValue.push(dup.value[i] as string);
    }
  });
  const backward = regular(n);
  backward.ts[700] = T0 - 400 * 86_400_000; // one garbage row a year back
  backward.ts[701] = (backward.ts[701] as number) - 3 * 86_400_000; // and one three days back
  const gaps = regular(n);
  gaps.ts = gaps.ts.map((t, i) => (i >= 800 ? t + 40 * 86_400_000 : i >= 400 ? t + 9 * 86_400_000 : t));
  const irregular = regular(n);
  irregular.ts = irregular.ts.map((_, i) => T0 + Math.floor(i * 5 * MIN + ((i * 104729) % 17) * 37_000));
  for (let i = 1; i < irregular.ts.length; i++)
    irregular.ts[i] = Math.max(irregular.ts[i] as number, (irregular.ts[i - 1] as number) + 1000);
  const constant = regular(n);
  constant.value = constant.value.map((v, i) => (i < 900 ? "0" : i < 1000 ? "7" : v));
  const huge = regular(n);
  huge.value = huge.value.map((v, i) =>
    i === 500 ? "1e308" : i === 600 ? "-1e400" : i === 700 ? "Infinity" : i > 1100 ? "3.2e250" : v,
  );
  const missing = regular(n);
  missing.value = missing.value.map((v, i) => (i % 97 === 0 ? "" : i % 101 === 0 ? "NaN" : v));
  return {
    "messy/fall_back.csv": fallBack,
    "messy/duplicated_rows.csv": { ts: dupTs, value: dupValue },
    "messy/backward.csv": backward,
    "messy/gaps_of_days.csv": gaps,
    "messy/irregular_steps.csv": irregular,
    "messy/constant_stretch.csv": constant,
    "messy/huge_values.csv": huge,
    "messy/missing_values.csv": missing,
  };
}

function writeCorpus(): { data: string; labels: string; files: Record<string, Rows> } {
  const data = join(root, "data");
  const files = cases();
  const labels: Record<string, [string, string][]> = {};
  for (const [name, rows] of Object.entries(files)) {
    const path = join(data, ...name.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    const lines = rows.ts.map((t, i) => `${stamp(t)},${rows.value[i] as string}`);
    writeFileSync(path, ["timestamp,value", ...lines].join("\n") + "\n");
    // One window on rows whose timestamps occur once (NAB's labeler needs exact, unique ends).
    labels[name] = [[stamp(rows.ts[300] as number), stamp(rows.ts[340] as number)]];
  }
  const labelsPath = join(root, "labels.json");
  writeFileSync(labelsPath, JSON.stringify(labels));
  return { data, labels: labelsPath, files };
}

describe("bench:nab on messy NAB-layout files", () => {
  it("reads a fall-back hour, backward rows and missing values in file order, counting them", () => {
    const { data, files } = writeCorpus();
    const fb = readDataFile(data, "messy/fall_back.csv");
    expect(fb.timestampText).toEqual(files["messy/fall_back.csv"]?.ts.map(stamp));
    expect(fb.backwardRows).toBe(1);
    expect(fb.repeatedRows).toBe(0);
    const dup = readDataFile(data, "messy/duplicated_rows.csv");
    expect(dup.repeatedRows).toBe(2 * 24);
    expect(readDataFile(data, "messy/backward.csv").backwardRows).toBe(1);
    const miss = readDataFile(data, "messy/missing_values.csv");
    expect(miss.missingValues).toBe(miss.value.filter(Number.isNaN).length);
    expect(miss.missingValues).toBeGreaterThan(20);
    expect(miss.valueText[0]).toBe(""); // written back verbatim
    const huge = readDataFile(data, "messy/huge_values.csv");
    expect(huge.value[600]).toBe(-Number.MAX_VALUE);
    expect(huge.value[700]).toBe(Number.MAX_VALUE);
    expect(huge.value.every(Number.isFinite)).toBe(true);
  });

  it.each(Object.keys(DETECTORS))(
    "%s scores every row of every file, in order, with no NaN, and says which files were odd",
    async (detector) => {
      const { data, labels, files } = writeCorpus();
      const out = join(root, "out");
      const warnings: string[] = [];
      const result = await runNabBench(
        { dataDir: data, labelsPath: labels, outDir: out, detector },
        { info: () => {}, progress: () => {}, warn: (l) => warnings.push(l) },
      );
      expect(result.files).toBe(Object.keys(files).length);
      for (const [name, rows] of Object.entries(files)) {
        const text = readFileSync(resultPath(join(out, detector), detector, name), "utf8")
          .trimEnd()
          .split("\n");
        expect(text[0]).toBe("timestamp,value,anomaly_score");
        const body = text.slice(1).map((l) => l.split(","));
        expect(body.length, name).toBe(rows.ts.length);
        body.forEach(([ts, value, score], i) => {
          expect(ts, `${name} row ${i + 1}`).toBe(stamp(rows.ts[i] as number));
          expect(value).toBe(rows.value[i]);
          const s = Number(score);
          expect(Number.isFinite(s) && s >= 0 && s <= 1, `${name} row ${i + 1}: ${score}`).toBe(true);
        });
      }
      for (const p of result.profiles) expect(Number.isFinite(p.normalisedScore)).toBe(true);
      expect(warnings).toContain("messy/fall_back.csv: 1 row(s) go back in time; scored in file order");
      expect(
        warnings.some((w) => w.startsWith("messy/missing_values.csv:") && w.includes("have no value")),
      ).toBe(true);
    },
  );
});

/**
 * Label windows whose ends fall on a fall-back hour's repeated timestamps, on duplicated rows, on a
 * backward jump or outside the file, plus files NAB-layout but odd (empty, header only, one row, no
 * label key): the run goes on, each case warned about, with the outcome of `resolveWindows` and
 * `loadNabCorpus`'s policy.
 */
describe("bench:nab with label windows and files NAB's labeler would refuse", () => {
  function writeOdd(): { data: string; labels: string; dir: string } {
    const dir = join(root, "odd");
    const data = join(dir, "data");
    const write = (name: string, text: string): void => {
      const path = join(data, ...name.split("/"));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    };
    const rowsText = (r: Rows): string =>
      ["timestamp,value", ...r.ts.map((t, i) => `${stamp(t)},${r.value[i] as string}`)].join("\n") + "\n";
    const n = 1200;
    // Fall-back at row 600: rows 600–611 repeat the timestamps of rows 588–599.
    const fallBack = regular(n);
    fallBack.ts = fallBack.ts.map((t, i) => (i >= 600 ? t - 60 * MIN : t));
    write("odd/fall_back.csv", rowsText(fallBack));
    // Every 50th row three times.
    const dup: Rows = { ts: [], value: [] };
    const base = regular(n);
    base.ts.forEach((t, i) => {
      for (let k = 0; k < (i % 50 === 0 ? 3 : 1); k++) {
        dup.ts.push(t);
        dup.value.push(base.value[i] as string);
      }
    });
    write("odd/duplicated.csv", rowsText(dup));
    const backward = regular(n);
    backward.ts[700] = T0 - 400 * 86_400_000;
    write("odd/backward.csv", rowsText(backward));
    write("odd/one_row.csv", rowsText(regular(1)));
    write("odd/header_only.csv", "timestamp,value\n");
    write("odd/empty.csv", "");
    write("odd/unlabelled.csv", rowsText(regular(300)));
    const at = (r: Rows, i: number): string => stamp(r.ts[i] as number);
    const labels = {
      // Start on a repeated timestamp (row 590's = row 602's), end on one too (row 605's = row 593's).
      "odd/fall_back.csv": [[at(fallBack, 590), at(fallBack, 605)]],
      // Both ends on a row written three times.
      "odd/duplicated.csv": [[stamp(T0 + 300 * 5 * MIN), stamp(T0 + 350 * 5 * MIN)]],
      // One window around the garbage row a year back, one across it with exact ends, one after the end.
      "odd/backward.csv": [
        [stamp(T0 - 400 * 86_400_000 - 30 * MIN), stamp(T0 - 400 * 86_400_000 + 30 * MIN)],
        [at(backward, 690), at(backward, 710)],
        [stamp(T0 + 30 * 86_400_000), stamp(T0 + 31 * 86_400_000)],
      ],
      "odd/one_row.csv": [[at(regular(1), 0), at(regular(1), 0)]],
      "odd/header_only.csv": [],
      "odd/empty.csv": [[stamp(T0), stamp(T0 + MIN)]],
    };
    const labelsPath = join(dir, "labels.json");
    writeFileSync(labelsPath, JSON.stringify(labels));
    return { data, labels: labelsPath, dir };
  }

  it("maps every window by the documented policy and scores every file that has rows and a label key", async () => {
    const { data, labels, dir } = writeOdd();
    const warnings: string[] = [];
    const log: NabLog = { info: () => {}, progress: () => {}, warn: (l) => warnings.push(l) };
    const result = await runNabBench(
      { dataDir: data, labelsPath: labels, outDir: join(dir, "out"), detector: "edge" },
      log,
    );
    // fall_back, duplicated, backward, one_row; header_only and empty have no rows, unlabelled no key.
    expect(result.files).toBe(4);
    expect(result.rows).toBe(1200 + (1200 + 2 * 24) + 1200 + 1);
    const all = warnings.join("\n");
    expect(all).toMatch(/has no key for 1 data file\(s\), skipped .*: odd\/unlabelled\.csv/);
    expect(all).toContain("odd/header_only.csv: no data rows; skipped");
    expect(all).toContain("odd/empty.csv: no data rows; skipped");
    // fall_back: from the first row inside (row 590, 0-based) to the row before the file first passes
    // the end (row 594): data rows 591–594; the second pass through that time (rows 602–605) is after it.
    expect(all).toMatch(/odd\/fall_back\.csv: label window 0 .* covers rows 591–594/);
    // duplicated: the regular series' rows 300 and 350 are 0-based rows 312 and 364–366 of the file
    // (two extra copies of every 50th row); the window ends at the last copy.
    expect(all).toMatch(/odd\/duplicated\.csv: label window 0 .* covers rows 313–367/);
    // backward: window 0 holds just the garbage row (0-based 700); window 1, exact at rows 690 and 710,
    // would overlap it and is ignored; window 2 lies after the file.
    expect(all).toMatch(/odd\/backward\.csv: label window 0 .* covers rows 701–701/);
    expect(all).toMatch(/odd\/backward\.csv: label window 1 .* maps to rows 691–711, overlapping window 0's/);
    expect(all).toMatch(/odd\/backward\.csv: label window 2 .* covers no row of the file/);
    expect(all).not.toMatch(/one_row\.csv: label/); // exact, unique ends: NAB's rows, no warning
    const [standard] = result.profiles;
    expect(standard?.windows).toBe(4);
    for (const p of result.profiles) expect(Number.isFinite(p.normalisedScore)).toBe(true);

    // The same folder under --cv (two folds: four files), with the same policy.
    const cv = await runNabCv(
      {
        dataDir: data,
        labelsPath: labels,
        outDir: join(dir, "cv"),
        detector: "null",
        folds: 2,
        seed: 1,
        repeats: 1,
        ablate: false,
      },
      { info: () => {}, progress: () => {}, warn: () => {} },
    );
    expect(cv.files).toBe(4);
    expect(cv.rows).toBe(result.rows);
  });
});

describe("bench:nab --cv on corpora too small or without windows", () => {
  function corpus(name: string, labels: Record<string, [string, string][]>, files: string[]) {
    const dir = join(root, name);
    for (const f of files) {
      const path = join(dir, "data", ...f.split("/"));
      mkdirSync(dirname(path), { recursive: true });
      const r = regular(400);
      writeFileSync(
        path,
        ["timestamp,value", ...r.ts.map((t, i) => `${stamp(t)},${r.value[i] as string}`)].join("\n") + "\n",
      );
    }
    writeFileSync(join(dir, "labels.json"), JSON.stringify(labels));
    return {
      dataDir: join(dir, "data"),
      labelsPath: join(dir, "labels.json"),
      outDir: join(dir, "out"),
      detector: "edge",
      folds: 6,
      seed: 1,
      repeats: 1,
      ablate: false,
    };
  }
  const quiet: NabLog = { info: () => {}, progress: () => {}, warn: () => {} };

  it("refuses --cv with a clear message when fewer than 2 files can be scored", async () => {
    // b.csv has no label key: skipped, which leaves one file.
    const opts = corpus("cv-one", { "c/a.csv": [[stamp(T0 + 100 * 5 * MIN), stamp(T0 + 120 * 5 * MIN)]] }, [
      "c/a.csv",
      "c/b.csv",
    ]);
    await expect(runNabCv(opts, quiet)).rejects.toThrow(
      /--cv needs at least 2 files to score .* has 1 with rows and a key/,
    );
  });

  it("reports n/a, not -Infinity, when no file has a window", async () => {
    const opts = corpus("cv-nowin", { "c/a.csv": [], "c/b.csv": [] }, ["c/a.csv", "c/b.csv"]);
    const r = await runNabCv(opts, quiet);
    expect(r.files).toBe(2);
    expect(Object.values(r.inSampleBest)).toEqual([null, null, null]);
  });
});
