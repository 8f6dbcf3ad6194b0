/** `bench:nab` without the CLI: run a detector over a NAB-layout folder (or read results), then score. */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  nabBenchmark,
  resolveWindows,
  type LabelledScores,
  type ProfileResult,
  type WindowRows,
} from "../../model/nab/index.ts";
import { DETECTORS, type OnlineDetector, type Params } from "./nab-detectors.ts";
import {
  listCsvFiles,
  NabFileError,
  readDataFile,
  readLabels,
  readResultScores,
  resultPath,
  writeResultFile,
  type DataFile,
} from "./nab-io.ts";
import { formatMarkdown, formatTable, summaryJson } from "./nab-report.ts";

export interface NabRunOptions {
  dataDir: string;
  labelsPath: string;
  outDir: string;
  detector: string;
  /** Score this existing results folder instead of running the detector. */
  scoreOnlyDir?: string | undefined;
}

export interface NabRunResult {
  profiles: ProfileResult[];
  files: number;
  rows: number;
  jsonPath: string;
  markdownPath: string;
}

/** Where progress and results go (stdout / stderr in the CLI, captured in tests). */
export interface NabLog {
  info(line: string): void;
  progress(line: string): void;
  warn(line: string): void;
}

/** `--score-only DIR` may name the detector's own folder or the results root that holds it. */
function detectorFolder(dir: string, detector: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new NabFileError("missing_path", `results folder not found: ${dir}`);
  }
  const nested = join(dir, detector);
  return existsSync(nested) && statSync(nested).isDirectory() ? nested : dir;
}

/** Result CSVs in `dir` that belong to no data file (NAB would try to score them and fail). */
function strayResults(dir: string, detector: string, names: readonly string[]): string[] {
  const expected = new Set(names.map((n) => resultPath(dir, detector, n)));
  const stray: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(".csv") && !e.name.endsWith("_scores.csv") && !expected.has(full))
        stray.push(full);
    }
  };
  walk(dir);
  return stray;
}

/** A NAB-layout folder read and checked: data files in name order with their windows as rows. */
export interface NabCorpus {
  names: string[];
  data: DataFile[];
  windows: WindowRows[][];
  rows: number;
}

/**
 * Reads and checks every data file and the labels (before any possibly long detector run).
 *
 * Nothing NAB-layout stops the run; each odd case is a warning and has a fixed outcome:
 * - a data file with no label key: skipped (its truth is unknown; `[]` marks a file without anomalies);
 * - an empty data file, or a header alone: skipped (no row to score);
 * - repeated or backward timestamps, missing values: kept and scored in file order;
 * - label windows that are not exact, unique timestamps of the file, or cover no row: see `resolveWindows`;
 * - label keys with no data file: ignored.
 * Errors are left for input that is not NAB layout (no `timestamp`/`value` header, text that is not a
 * timestamp or a number, a labels file that is not `{file: [[start, end], …]}` with ordered windows)
 * and for a folder with nothing to score.
 */
export function loadNabCorpus(dataDir: string, labelsPath: string, log: NabLog): NabCorpus {
  const labels = readLabels(labelsPath);
  const listed = listCsvFiles(dataDir);
  if (listed.length === 0) throw new NabFileError("missing_path", `no *.csv files under ${dataDir}`);
  const unlabelled = listed.filter((n) => !Object.hasOwn(labels, n));
  if (unlabelled.length > 0) {
    log.warn(
      `${labelsPath} has no key for ${unlabelled.length} data file(s), skipped (use [] for a file ` +
        `without anomalies): ${unlabelled.join(", ")}`,
    );
  }
  const unused = Object.keys(labels).filter((k) => !listed.includes(k));
  if (unused.length > 0) {
    log.warn(
      `${unused.length} label key(s) have no data file under ${dataDir} and are ignored: ${unused.join(", ")}`,
    );
  }
  const names: string[] = [];
  const data: DataFile[] = [];
  const windows: WindowRows[][] = [];
  for (const name of listed) {
    if (!Object.hasOwn(labels, name)) continue;
    const file = readDataFile(dataDir, name);
    if (file.value.length === 0) {
      log.warn(`${name}: no data rows; skipped`);
      continue;
    }
    const odd = [
      file.backwardRows > 0 ? `${file.backwardRows} row(s) go back in time` : "",
      file.repeatedRows > 0 ? `${file.repeatedRows} row(s) repeat the previous timestamp` : "",
      file.missingValues > 0 ? `${file.missingValues} row(s) have no value` : "",
    ].filter((x) => x !== "");
    // Kept and scored in file order (NAB scores by row); the detector's policy is in its README.
    if (odd.length > 0) log.warn(`${name}: ${odd.join(", ")}; scored in file order`);
    names.push(name);
    data.push(file);
    windows.push(resolveWindows(name, file.timestampKey, labels[name] ?? [], log.warn));
  }
  if (names.length === 0) {
    throw new NabFileError(
      "missing_label",
      `nothing to score under ${dataDir}: no data file has both rows and a key in ${labelsPath}`,
    );
  }
  const rows = data.reduce((n, f) => n + f.value.length, 0);
  return { names, data, windows, rows };
}

/**
 * Runs one detector over one file, online, checking every score is in 0..1.
 * The detector sees rows one by one, never anything after row r, and no file-wide statistics (NAB
 * hands its detectors the file's min/max; ours get nothing of the kind).
 */
export function runDetector(detector: OnlineDetector, file: DataFile, label: string): Float64Array {
  const out = new Float64Array(file.value.length);
  for (let r = 0; r < file.value.length; r++) {
    const s = detector.update(file.timestampMs[r] as number, file.value[r] as number);
    if (!(typeof s === "number" && s >= 0 && s <= 1)) {
      throw new Error(`detector ${label} returned ${String(s)} for ${file.name} row ${r + 1}, expected 0..1`);
    }
    out[r] = s;
  }
  return out;
}

export async function runNabBench(opts: NabRunOptions, log: NabLog): Promise<NabRunResult> {
  const { names, data, windows, rows } = loadNabCorpus(opts.dataDir, opts.labelsPath, log);

  let scores: Float64Array[];
  if (opts.scoreOnlyDir !== undefined) {
    const dir = detectorFolder(opts.scoreOnlyDir, opts.detector);
    log.progress(`scoring existing ${opts.detector} results in ${dir} (${names.length} files, ${rows} rows)`);
    scores = data.map((file, i) => {
      const path = resultPath(dir, opts.detector, file.name);
      const s = readResultScores(path, file);
      log.progress(`[${i + 1}/${data.length}] ${file.name}: ${file.value.length} rows ← ${path}`);
      return s;
    });
    const stray = strayResults(dir, opts.detector, names);
    if (stray.length > 0)
      log.warn(`ignoring ${stray.length} result file(s) with no data file: ${stray.join(", ")}`);
  } else {
    const load = DETECTORS[opts.detector];
    if (load === undefined)
      throw new Error(`unknown detector "${opts.detector}" (known: ${Object.keys(DETECTORS).join(", ")})`);
    const spec = await load();
    const detectorDir = join(opts.outDir, opts.detector);
    scores = [];
    for (const [i, file] of data.entries()) {
      const started = performance.now();
      const out = runDetector(spec.create(spec.grid[0] as Params), file, `"${opts.detector}"`);
      const path = resultPath(detectorDir, opts.detector, file.name);
      writeResultFile(path, file, out);
      scores.push(out);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      log.progress(
        `[${i + 1}/${data.length}] ${file.name}: ${file.value.length} rows in ${seconds} s → ${path}`,
      );
    }
  }

  const corpus: LabelledScores[] = data.map((f, i) => ({
    name: f.name,
    anomalyScores: scores[i] as Float64Array,
    windows: windows[i] ?? [],
  }));
  const started = performance.now();
  const profiles = nabBenchmark(corpus);
  log.progress(
    `scored ${names.length} files (${rows} rows) on 3 profiles in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );

  const meta = {
    detector: opts.detector,
    mode: opts.scoreOnlyDir === undefined ? ("detect" as const) : ("score-only" as const),
    dataDir: opts.dataDir,
    labelsPath: opts.labelsPath,
    // Relative to the working directory, so committed summaries do not carry a machine's path.
    resultsDir: opts.scoreOnlyDir ?? relative(process.cwd(), join(opts.outDir, opts.detector)),
    files: names.length,
    rows,
  };
  mkdirSync(opts.outDir, { recursive: true });
  const jsonPath = join(opts.outDir, `${opts.detector}_scores.json`);
  const markdownPath = join(opts.outDir, `${opts.detector}_scores.md`);
  writeFileSync(jsonPath, JSON.stringify(summaryJson(meta, profiles), null, 2) + "\n");
  writeFileSync(markdownPath, formatMarkdown(meta, profiles));
  for (const line of formatTable(opts.detector, profiles)) log.info(line);
  log.info(`wrote ${jsonPath} and ${markdownPath}`);
  return { profiles, files: names.length, rows, jsonPath, markdownPath };
}
