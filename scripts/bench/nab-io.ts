/** File side of the NAB benchmark: NAB-layout folders, label JSON and result CSVs in and out. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import { z } from "zod";
import { parseNabTimestamp } from "../../model/nab/index.ts";

export type NabFileErrorCode =
  | "missing_path"
  | "malformed_csv"
  | "malformed_labels"
  | "missing_label"
  | "missing_result"
  | "result_mismatch"
  | "too_few_files";

/** Unusable input files; the message names the file (and line) at fault. */
export class NabFileError extends Error {
  override readonly name = "NabFileError";
  constructor(
    readonly code: NabFileErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A data file's rows: the text of each row's timestamp and value kept verbatim for the result file. */
export interface DataFile {
  /** `category/file.csv`, with `/` on every platform (NAB's label keys). */
  name: string;
  timestampText: string[];
  valueText: string[];
  /** Microsecond keys (exact, for matching label timestamps) and epoch ms (for detectors). */
  timestampKey: number[];
  timestampMs: number[];
  /** NaN where the cell is empty or `NaN` (a missing value); see `readDataFile`. */
  value: number[];
  /** Rows whose timestamp is before the previous row's (e.g. a daylight-saving fall-back hour). */
  backwardRows: number;
  /** Rows whose timestamp equals the previous row's. */
  repeatedRows: number;
  /** Rows with an empty or `NaN` value cell. */
  missingValues: number;
}

function requireDir(path: string, what: string): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new NabFileError("missing_path", `${what} folder not found: ${path}`);
  }
}

/** Every `*.csv` under `dir`, as sorted `/`-separated paths relative to it (NAB walks the tree too). */
export function listCsvFiles(dir: string): string[] {
  requireDir(dir, "data");
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".csv"))
        out.push(relative(dir, full).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

interface CsvTable {
  header: string[];
  /** Rows with their 1-based line numbers in the file. */
  rows: { line: number; fields: string[] }[];
}

/**
 * Plain NAB CSV: comma-separated, no quoting; blank lines ignored; CRLF accepted. With `allowEmpty`
 * an empty file is a table with no header and no rows, and a header alone a table with no rows.
 */
function readCsv(path: string, label: string, allowEmpty = false): CsvTable {
  if (!existsSync(path)) throw new NabFileError("missing_path", `file not found: ${path}`);
  const lines = readFileSync(path, "utf8")
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) {
    if (allowEmpty) return { header: [], rows: [] };
    throw new NabFileError("malformed_csv", `${label}: empty file, expected a header line`);
  }
  const headerLine = lines[first] as string;
  const header = headerLine.split(",").map((h) => h.trim());
  const rows: CsvTable["rows"] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const text = lines[i] as string;
    if (text.trim() === "") continue;
    const fields = text.split(",");
    if (fields.length !== header.length) {
      throw new NabFileError(
        "malformed_csv",
        `${label} line ${i + 1}: ${fields.length} fields, header has ${header.length} (${header.join(",")})`,
      );
    }
    rows.push({ line: i + 1, fields });
  }
  if (rows.length === 0 && !allowEmpty) throw new NabFileError("malformed_csv", `${label}: no data rows`);
  return { header, rows };
}

function column(table: CsvTable, name: string, label: string): number {
  const at = table.header.indexOf(name);
  if (at < 0) {
    throw new NabFileError(
      "malformed_csv",
      `${label} line 1: no "${name}" column in header (${table.header.join(",")})`,
    );
  }
  return at;
}

function parseNumber(text: string, label: string, line: number, what: string): number {
  const v = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(v))
    throw new NabFileError(
      "malformed_csv",
      `${label} line ${line}: ${what} "${text}" is not a finite number`,
    );
  return v;
}

/** Empty cells and pandas' spellings of a missing number (what `DataFrame.to_csv` writes for NaN). */
const MISSING_VALUE = /^(?:|nan|NaN|NAN|null|NULL|NA|N\/A)$/;

/**
 * A data file's value cell: a number, NaN for a missing value (empty or `NaN`), and ±Number.MAX_VALUE
 * for a literal beyond the float range (`1e400`, `Infinity`): a huge value is an observation, not a gap.
 * Anything else (`abc`) means the file is not NAB layout and is an error naming the line.
 */
function parseValue(text: string, label: string, line: number): number {
  const t = text.trim();
  if (MISSING_VALUE.test(t)) return Number.NaN;
  const v = Number(t);
  if (Number.isNaN(v))
    throw new NabFileError("malformed_csv", `${label} line ${line}: value "${text}" is not a finite number`);
  return Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, v));
}

/**
 * Reads `dataDir/name`: header with `timestamp` and `value`, one result row per data row, in file order.
 *
 * Real metric files are kept as they are, since NAB scores row by row: repeated timestamps (NAB's own
 * data repeats some around DST changes), duplicated rows, timestamps that go back (a daylight-saving
 * fall-back hour; counted in `backwardRows`, never reordered or dropped), gaps and irregular steps.
 * Empty or `NaN` value cells are missing values (NaN; the row is still scored). Only text that is not
 * a timestamp or a number is an error, and so is a header without `timestamp` and `value`. An empty
 * file, or a header alone, is a file with no rows (`loadNabCorpus` skips it with a warning).
 */
export function readDataFile(dataDir: string, name: string): DataFile {
  const table = readCsv(join(dataDir, ...name.split("/")), name, true);
  const empty = table.header.length === 0;
  const tsCol = empty ? 0 : column(table, "timestamp", name);
  const valueCol = empty ? 1 : column(table, "value", name);
  const file: DataFile = {
    name,
    timestampText: [],
    valueText: [],
    timestampKey: [],
    timestampMs: [],
    value: [],
    backwardRows: 0,
    repeatedRows: 0,
    missingValues: 0,
  };
  for (const { line, fields } of table.rows) {
    const tsText = fields[tsCol] as string;
    const valueText = fields[valueCol] as string;
    const instant = parseNabTimestamp(tsText);
    if (instant === null) {
      throw new NabFileError(
        "malformed_csv",
        `${name} line ${line}: timestamp "${tsText}" is not YYYY-MM-DD HH:MM:SS`,
      );
    }
    const prev = file.timestampKey[file.timestampKey.length - 1];
    if (prev !== undefined && instant.key < prev) file.backwardRows++;
    else if (prev !== undefined && instant.key === prev) file.repeatedRows++;
    const value = parseValue(valueText, name, line);
    if (Number.isNaN(value)) file.missingValues++;
    file.value.push(value);
    file.timestampText.push(tsText);
    file.valueText.push(valueText);
    file.timestampKey.push(instant.key);
    file.timestampMs.push(instant.ms);
  }
  return file;
}

const labelsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));
export type Labels = z.infer<typeof labelsSchema>;

/** NAB's `combined_windows*.json`: `{ "category/file.csv": [[start, end], …] }`. */
export function readLabels(path: string): Labels {
  if (!existsSync(path)) throw new NabFileError("missing_path", `labels file not found: ${path}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new NabFileError("malformed_labels", `${path}: not valid JSON (${String(cause)})`, { cause });
  }
  const parsed = labelsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue === undefined ? "" : ` at ${issue.path.map(String).join(" → ") || "top level"}: ${issue.message}`;
    throw new NabFileError(
      "malformed_labels",
      `${path}: expected {"category/file.csv": [[start, end], …]}${where}`,
    );
  }
  return parsed.data;
}

/** Path of a detector's result file, NAB style: `<dir>/<category>/<detector>_<file>.csv`. */
export function resultPath(detectorDir: string, detector: string, name: string): string {
  const dir = posix.dirname(name);
  const file = `${detector}_${posix.basename(name)}`;
  return dir === "." ? join(detectorDir, file) : join(detectorDir, ...dir.split("/"), file);
}

/** Writes `timestamp,value,anomaly_score`, timestamp and value copied verbatim from the data file. */
export function writeResultFile(path: string, data: DataFile, scores: ArrayLike<number>): void {
  const lines = ["timestamp,value,anomaly_score"];
  for (let i = 0; i < data.timestampText.length; i++) {
    lines.push(`${data.timestampText[i]},${data.valueText[i]},${String(scores[i])}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, lines.join("\n") + "\n");
}

/**
 * Reads a result file's `anomaly_score` column and checks it row by row against the data file
 * (same row count, same timestamps), since NAB pairs the two by position.
 */
export function readResultScores(path: string, data: DataFile): Float64Array {
  if (!existsSync(path)) {
    throw new NabFileError("missing_result", `no result file for ${data.name}: expected ${path}`);
  }
  const table = readCsv(path, path);
  const tsCol = column(table, "timestamp", path);
  const scoreCol = column(table, "anomaly_score", path);
  if (table.rows.length !== data.timestampKey.length) {
    throw new NabFileError(
      "result_mismatch",
      `${path}: ${table.rows.length} rows, but ${data.name} has ${data.timestampKey.length}`,
    );
  }
  const scores = new Float64Array(table.rows.length);
  table.rows.forEach(({ line, fields }, i) => {
    const tsText = fields[tsCol] as string;
    if (parseNabTimestamp(tsText)?.key !== data.timestampKey[i]) {
      throw new NabFileError(
        "result_mismatch",
        `${path} line ${line}: timestamp "${tsText}" differs from ${data.name} row ${i + 1} ("${data.timestampText[i]}")`,
      );
    }
    const s = parseNumber(fields[scoreCol] as string, path, line, "anomaly_score");
    if (s < 0 || s > 1)
      throw new NabFileError("malformed_csv", `${path} line ${line}: anomaly_score ${s} is outside 0..1`);
    scores[i] = s;
  });
  return scores;
}
