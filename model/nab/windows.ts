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
 * Maps a file's label windows to row indices.
 *
 * NAB's labeler insists that both ends are timestamps of the file; its sweeper then walks the windows
 * in label order and enters one only at the row equal to its start, so unordered or overlapping
 * windows would silently be skipped there. We reject them instead.
 *
 * @param file name used in error messages, e.g. `realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv`
 * @param timestampKeys the file's row timestamps (see `parseNabTimestamp`) in file order; repeats are
 *   allowed (NAB's data has some around DST changes) but not at a window's ends, as in NAB's labeler
 */
export function resolveWindows(
  file: string,
  timestampKeys: readonly number[],
  limits: readonly WindowLimits[],
): WindowRows[] {
  // Row of each timestamp; -1 when it occurs more than once.
  const rowOf = new Map<number, number>();
  timestampKeys.forEach((key, row) => rowOf.set(key, rowOf.has(key) ? -1 : row));
  const find = (text: string, w: number): number => {
    const instant = parseNabTimestamp(text);
    if (instant === null) {
      throw new NabInputError(
        "bad_timestamp",
        `${file}: label window ${w} has a malformed timestamp "${text}"`,
      );
    }
    const row = rowOf.get(instant.key);
    if (row === undefined) {
      throw new NabInputError(
        "window_not_in_file",
        `${file}: label window ${w} timestamp "${text}" is not a timestamp of the file (NAB needs exact matches)`,
      );
    }
    if (row === -1) {
      throw new NabInputError(
        "window_not_in_file",
        `${file}: label window ${w} timestamp "${text}" occurs more than once in the file (NAB needs it exactly once)`,
      );
    }
    return row;
  };
  const windows: WindowRows[] = [];
  limits.forEach(([startText, endText], w) => {
    const start = find(startText, w);
    const end = find(endText, w);
    if (end < start) {
      throw new NabInputError(
        "window_order",
        `${file}: label window ${w} ends (${endText}) before it starts`,
      );
    }
    const prev = windows[windows.length - 1];
    if (prev !== undefined && start <= prev.end) {
      throw new NabInputError(
        "window_order",
        `${file}: label window ${w} starts (${startText}) before window ${w - 1} ends; windows must be ordered and disjoint`,
      );
    }
    windows.push({ start, end });
  });
  return windows;
}
