/**
 * Small, pure helpers of `npm run bench:pipeline`: quantiles of a sample, a sample's summary, rates,
 * and PostgreSQL's COPY text format. No I/O, no clock (pipeline.test.ts checks them on known inputs).
 */

/**
 * The `p`-quantile (0 < p ≤ 1) of `values` by the nearest-rank method: the smallest value with at
 * least p·n values at or below it (p50 of [1,2,3,4] is 2, p99 of 200 values is the 198th smallest).
 * NaN for an empty sample. `values` need not be sorted.
 */
export function quantile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`quantile: p must be in (0, 1], got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** n, min, p50, p90, p99 (nearest rank), max and mean; NaN fields for an empty sample. */
export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n === 0 ? NaN : Math.min(...values),
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: n === 0 ? NaN : Math.max(...values),
    mean: n === 0 ? NaN : values.reduce((s, v) => s + v, 0) / n,
  };
}

/** The median (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Items per second; NaN when no time passed. */
export const perSecond = (items: number, ms: number): number => (ms > 0 ? (items * 1000) / ms : NaN);

/**
 * One field in PostgreSQL's COPY text format: `\N` for null/undefined, objects as JSON, and the
 * characters the format gives meaning to (backslash, tab, newline, carriage return) escaped.
 */
export function copyField(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return s.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);
}

/** One COPY text line (tab-separated, newline-terminated) of `row`'s `columns`. */
export function copyLine(row: object, columns: readonly string[]): string {
  const r = row as Record<string, unknown>;
  return `${columns.map((c) => copyField(r[c])).join("\t")}\n`;
}
