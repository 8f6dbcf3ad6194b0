/**
 * bench:nab against real files: NAB's shipped HTM detections (golden figures from NAB's own scorer),
 * null / perfect on the shared NAB subset, and the CLI end to end on a small folder written here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { nabBenchmark, nullDetections, resolveWindows, type LabelledScores } from "../../model/nab/index.ts";
import { listCsvFiles, readDataFile, readLabels } from "./nab-io.ts";
import { runNabBench, type NabLog } from "./nab-run.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// CI checks the shared data out beside the repository (/work/shared next to /work/main).
const NAB = resolve(ROOT, "../shared/datasets/nab");
const HAVE_NAB =
  existsSync(join(NAB, "data")) && existsSync(join(NAB, "labels/combined_windows_subset.json"));
if (!HAVE_NAB) {
  console.warn(
    `\n⚠ SKIPPING the NAB golden / null / perfect tests: ${NAB} not found (expected beside the repo).\n`,
  );
}

const quiet: NabLog = { info: () => {}, progress: () => {}, warn: () => {} };
const temps: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "nab-test-"));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAVE_NAB)(`NAB subset in ../shared/datasets/nab (skipped when absent: ${NAB})`, () => {
  const labelsPath = join(NAB, "labels/combined_windows_subset.json");

  it("scores NAB's shipped Numenta HTM detections 73.56 / 68.36 / 77.04, as NAB's own scorer does", async () => {
    const out = tempDir();
    const result = await runNabBench(
      {
        dataDir: join(NAB, "data"),
        labelsPath,
        outDir: out,
        detector: "numenta",
        scoreOnlyDir: join(NAB, "reference-results"),
      },
      quiet,
    );
    const by = Object.fromEntries(result.profiles.map((p) => [p.profile, p]));
    expect(by.standard?.normalisedScore).toBeCloseTo(73.56, 2);
    expect(by.reward_low_FP_rate?.normalisedScore).toBeCloseTo(68.36, 2);
    expect(by.reward_low_FN_rate?.normalisedScore).toBeCloseTo(77.04, 2);
    // The README's raw scores and threshold too (NAB prints them to 3 and 12 digits).
    expect(by.standard?.rawScore).toBeCloseTo(23.56, 3);
    expect(by.reward_low_FP_rate?.rawScore).toBeCloseTo(18.359, 3);
    expect(by.reward_low_FN_rate?.rawScore).toBeCloseTo(15.56, 3);
    for (const p of result.profiles) expect(p.threshold).toBeCloseTo(0.544449877418, 12);
    expect(result).toMatchObject({ files: 34 });
    const summary: unknown = JSON.parse(readFileSync(join(out, "numenta_scores.json"), "utf8"));
    expect(summary).toMatchObject({ detector: "numenta", mode: "score-only", files: 34 });
  });

  function corpusWith(scoresFor: (rows: number, windows: { start: number; end: number }[]) => Float64Array) {
    const labels = readLabels(labelsPath);
    return listCsvFiles(join(NAB, "data")).map((name): LabelledScores => {
      const data = readDataFile(join(NAB, "data"), name);
      const windows = resolveWindows(name, data.timestampKey, labels[name] ?? []);
      return { name, windows, anomalyScores: scoresFor(data.value.length, windows) };
    });
  }

  it("scores the null detector raw −50 / −50 / −100 and normalised 0", () => {
    const results = nabBenchmark(nullDetections(corpusWith((n) => new Float64Array(n))));
    expect(results.map((r) => r.rawScore)).toEqual([-50, -50, -100]);
    expect(results.map((r) => r.normalisedScore)).toEqual([0, 0, 0]);
  });

  it("scores a perfect detector (1 at each window's first row, 0 elsewhere) raw +50 and normalised 100", () => {
    const perfect = corpusWith((n, windows) => {
      const s = new Float64Array(n);
      for (const w of windows) s[w.start] = 1;
      return s;
    });
    const results = nabBenchmark(perfect);
    expect(results.map((r) => [r.rawScore, r.normalisedScore, r.windowsDetected])).toEqual([
      [50, 100, 50],
      [50, 100, 50],
      [50, 100, 50],
    ]);
  });
});

/** A small NAB-layout folder: two categories, one file without windows, values written oddly on purpose. */
function writeFixture(dir: string): { data: string; labels: string } {
  const data = join(dir, "data");
  const start = Date.UTC(2021, 0, 1);
  const ts = (i: number) => new Date(start + i * 300_000).toISOString().replace("T", " ").slice(0, 19);
  const files: Record<string, string[]> = {};
  // 100 rows each: probation = rows 0–14.
  files["catA/one.csv"] = Array.from(
    { length: 100 },
    (_, i) => `${ts(i)},${i % 7 === 0 ? "1.50" : String(i)}`,
  );
  files["catA/two.csv"] = Array.from({ length: 100 }, (_, i) => `${ts(i)},${i === 3 ? "2e3" : "-0.25"}`);
  files["catB/flat.csv"] = Array.from({ length: 100 }, (_, i) => `${ts(i)},42`);
  for (const [name, rows] of Object.entries(files)) {
    mkdirSync(join(data, dirname(name)), { recursive: true });
    writeFileSync(join(data, name), ["timestamp,value", ...rows].join("\n") + "\n");
  }
  const labels = join(dir, "labels.json");
  const label = (i: number) => `${ts(i)}.000000`;
  writeFileSync(
    labels,
    JSON.stringify({
      "catA/one.csv": [[label(40), label(49)]],
      "catA/two.csv": [
        [label(30), label(34)],
        [label(70), label(79)],
      ],
      "catB/flat.csv": [],
    }),
  );
  return { data, labels };
}

function runCli(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/tsx/dist/cli.mjs"), "scripts/bench/nab.ts", ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The printed normalised score of one profile from the CLI's table. */
function printed(stdout: string, profile: string): number {
  const line = stdout.split("\n").find((l) => l.startsWith(profile + " "));
  return Number(line?.trim().split(/\s+/)[1]);
}

describe("bench:nab CLI end to end (fixture folder in a temp dir)", () => {
  it("runs the null detector, writes NAB result files verbatim, and prints/writes scores", () => {
    const dir = tempDir();
    const { data, labels } = writeFixture(dir);
    const out = join(dir, "out");
    const r = runCli(["--data", data, "--labels", labels, "--out", out, "--detector", "null"]);
    expect(r.stderr).toContain("[3/3] catB/flat.csv: 100 rows");
    expect(r.status).toBe(0);

    const result = readFileSync(join(out, "null/catA/null_two.csv"), "utf8").trimEnd().split("\n");
    const source = readFileSync(join(data, "catA/two.csv"), "utf8").trimEnd().split("\n");
    expect(result[0]).toBe("timestamp,value,anomaly_score");
    expect(result).toHaveLength(source.length);
    expect(result[4]).toBe(`${source[4]},0.5`); // "2e3" copied as written
    expect(existsSync(join(out, "null/catA/null_one.csv"))).toBe(true);
    expect(existsSync(join(out, "null/catB/null_flat.csv"))).toBe(true);

    for (const p of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"])
      expect(printed(r.stdout, p)).toBe(0);
    const summary: unknown = JSON.parse(readFileSync(join(out, "null_scores.json"), "utf8"));
    expect(summary).toMatchObject({
      detector: "null",
      mode: "detect",
      files: 3,
      rows: 300,
      profiles: [
        { profile: "standard", normalisedScore: 0, rawScore: -3, perfectScore: 3 },
        { profile: "reward_low_FP_rate", normalisedScore: 0, rawScore: -3 },
        { profile: "reward_low_FN_rate", normalisedScore: 0, rawScore: -6 },
      ],
    });
    expect(readFileSync(join(out, "null_scores.md"), "utf8")).toMatch(/\| standard \| 0\.00 \| -3\.000 \|/);
  });

  it("--score-only scores hand-written results: perfect → 100, one late TP and one FP → hand-computed", () => {
    const dir = tempDir();
    const { data, labels } = writeFixture(dir);
    const write = (detector: string, hits: Record<string, Record<number, number>>) => {
      for (const name of ["catA/one.csv", "catA/two.csv", "catB/flat.csv"]) {
        const rows = readFileSync(join(data, name), "utf8").trimEnd().split("\n");
        const body = rows.slice(1).map((row, i) => `${row},${hits[name]?.[i] ?? 0}`);
        const path = join(dir, detector, dirname(name), `${detector}_${name.split("/")[1]}`);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, ["timestamp,value,anomaly_score", ...body].join("\n") + "\n");
      }
    };
    write("perfect", { "catA/one.csv": { 40: 1 }, "catA/two.csv": { 30: 1, 70: 1 } });
    const perfect = runCli([
      "--data",
      data,
      "--labels",
      labels,
      "--out",
      join(dir, "out"),
      "--detector",
      "perfect",
      "--score-only",
      dir,
    ]);
    expect(perfect.status).toBe(0);
    for (const p of ["standard", "reward_low_FP_rate", "reward_low_FN_rate"])
      expect(printed(perfect.stdout, p)).toBe(100);

    // Window one.csv rows 40–49 detected at row 49 (last row): S(−1/10)/S(−1); two.csv missed twice;
    // an FP in flat.csv (no windows) costs A_FP. Standard: null −3, perfect +3.
    write("late", { "catA/one.csv": { 49: 1 }, "catB/flat.csv": { 50: 1 } });
    const late = runCli([
      "--data",
      data,
      "--labels",
      labels,
      "--out",
      join(dir, "out"),
      "--detector",
      "late",
      "--score-only",
      dir,
    ]);
    expect(late.status).toBe(0);
    const S = (x: number) => Math.tanh(-2.5 * x);
    const raw = S(-0.1) / S(-1) - 2 - 0.11;
    expect(printed(late.stdout, "standard")).toBeCloseTo((100 * (raw + 3)) / 6, 2);
  });

  it("fails with the file and line of a malformed CSV", () => {
    const dir = tempDir();
    const { data, labels } = writeFixture(dir);
    writeFileSync(
      join(data, "catB/flat.csv"),
      "timestamp,value\n2021-01-01 00:00:00,1\n2021-01-01 00:05:00,abc\n",
    );
    const r = runCli(["--data", data, "--labels", labels, "--out", join(dir, "out"), "--detector", "null"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('catB/flat.csv line 3: value "abc" is not a finite number');
  });

  it("rejects an unknown flag with usage", () => {
    const r = runCli(["--nope"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage: npm run bench:nab");
  });
});
