import { NabInputError } from "./errors.ts";
import { parseNabTimestamp } from "./timestamp.ts";

/** A labelled anomaly window as row indices of its file, both ends inclusive. */
export interface WindowRows {
  start: number;
  end: number;
}

/** A window as NAB's label files give it: `[start, end]` timestamps, both inclusive. */
export type WindowLimits = readonly [string, string];

/**
 * Maps a file's label windows to row indices. Every NAB-layout file gets an answer; only a label file
 * that is not NAB layout (a malformed timestamp, a window that ends before it starts, windows out of
 * order or overlapping in time) is an error.
 *
 * The policy, window by window, in label order:
 * - **Exact ends (NAB's rule).** A window end that is a timestamp occurring exactly once in the file is
 *   that row, as in NAB's labeler; so where NAB accepts the labels, the rows are NAB's.
 * - **Start otherwise** (a timestamp the file lacks, or repeats, e.g. in a daylight-saving fall-back
 *   hour or a duplicated row): the first row, in file order, whose timestamp is within `[start, end]`.
 * - **End otherwise:** the window runs in file order from its start row until the file first goes past
 *   its end; it ends at the row before that (rows that step back in time inside it stay inside).
 * - **No row** has a timestamp within `[start, end]` (the window lies outside the file's time range or
 *   in a gap): the window is ignored, with a warning — it cannot be detected or missed.
 * - **Rows overlap** an earlier window's (only possible when the file's timestamps go backwards): the
 *   window is ignored, with a warning, since NAB's sweeper needs ordered, disjoint row ranges.
 * Each window that is not mapped by exact ends gets a warning saying which rows it covers.
 *
 * @param file name used in messages, e.g. `realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv`
 * @param timestampKeys the file's row timestamps (see `parseNabTimestamp`) in file order; repeats and
 *   backward steps allowed
 * @param warn receives one line per window mapped by the fallback rules or ignored
 */
export function resolveWindows(
  file: string,
  timestampKeys: readonly number[],
  limits: readonly WindowLimits[],
  warn: (line: string) => void = () => {},
): WindowRows[] {
  // Row of each timestamp; -1 when it occurs more than once.
  const rowOf = new Map<number, number>();
  timestampKeys.forEach((key, row) => rowOf.set(key, rowOf.has(key) ? -1 : row));
  const parse = (text: string, w: number): number => {
    const instant = parseNabTimestamp(text);
    if (instant === null) {
      throw new NabInputError(
        "bad_timestamp",
        `${file}: label window ${w} has a malformed timestamp "${text}"`,
      );
    }
    return instant.key;
  };
  const exact = (key: number): number | undefined => {
    const row = rowOf.get(key);
    return row === undefined || row === -1 ? undefined : row;
  };
  const n = timestampKeys.length;
  const windows: WindowRows[] = [];
  let prevEndKey = Number.NEGATIVE_INFINITY;
  limits.forEach(([startText, endText], w) => {
    const startKey = parse(startText, w);
    const endKey = parse(endText, w);
    if (endKey < startKey) {
      throw new NabInputError(
        "window_order",
        `${file}: label window ${w} ends (${endText}) before it starts`,
      );
    }
    if (startKey <= prevEndKey) {
      throw new NabInputError(
        "window_order",
        `${file}: label window ${w} starts (${startText}) before window ${w - 1} ends; windows must be ordered and disjoint`,
      );
    }
    prevEndKey = endKey;
    const within = (r: number): boolean => {
      const k = timestampKeys[r] as number;
      return k >= startKey && k <= endKey;
    };
    let start = exact(startKey);
    if (start === undefined) {
      start = -1;
      for (let r = 0; r < n; r++) {
        if (within(r)) {
          start = r;
          break;
        }
      }
    }
    const where = `${file}: label window ${w} [${startText}, ${endText}]`;
    if (start < 0) {
      warn(`${where} covers no row of the file (outside its time range or in a gap); ignored`);
      return;
    }
    let end = exact(endKey);
    if (end === undefined || end < start) {
      end = start;
      while (end + 1 < n && (timestampKeys[end + 1] as number) <= endKey) end++;
    }
    const prev = windows[windows.length - 1];
    if (prev !== undefined && start <= prev.end) {
      warn(
        `${where} maps to rows ${start + 1}–${end + 1}, overlapping window ${w - 1}'s rows (the file's timestamps go back); ignored`,
      );
      return;
    }
    if (exact(startKey) !== start || exact(endKey) !== end) {
      warn(
        `${where}: an end is not a timestamp occurring once in the file; covers rows ${start + 1}–${end + 1} (first row within the window to the row before the file first passes its end)`,
      );
    }
    windows.push({ start, end });
  });
  return windows;
}
