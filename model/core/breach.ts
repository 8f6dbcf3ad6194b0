/**
 * Time-to-breach from the recent trend of one metric: least-squares slope over the last observed
 * steps, extrapolated to the metric's breach level (the `predict_linear` idea, done per host at the
 * edge). Returns seconds until the breach, 0 when already at/over it, or null when no breach is
 * forecast within `maxSeconds` (flat or falling trend, too few observations).
 *
 * @param values recent step values, oldest first, raw units; null/NaN = missing
 * @param stepSeconds spacing of `values`
 *
 * @example
 * timeToBreachSeconds([80, 82, 84, 86, 88, 90], 60, 95, { minPoints: 5 }) // → 150
 */
export function timeToBreachSeconds(
  values: ArrayLike<number | null>,
  stepSeconds: number,
  breach: number,
  opts: {
    minPoints?: number;
    maxSeconds?: number;
    /** use only the first `count` values */ count?: number;
  } = {},
): number | null {
  return breachSeconds(
    values,
    opts.count ?? values.length,
    stepSeconds,
    breach,
    opts.minPoints ?? DEFAULT_MIN_POINTS,
    opts.maxSeconds ?? DEFAULT_MAX_SECONDS,
  );
}

/** Fewest observed steps behind a trend. */
export const DEFAULT_MIN_POINTS = 10;
/** Breaches forecast further ahead than this (seconds) are reported as none. */
export const DEFAULT_MAX_SECONDS = 6 * 3600;

/**
 * {@link timeToBreachSeconds} over the first `len` of `values`, with positional arguments: the feature
 * builder calls it for every metric of every step, so it allocates nothing.
 */
export function breachSeconds(
  values: ArrayLike<number | null>,
  len: number,
  stepSeconds: number,
  breach: number,
  minPoints: number,
  maxSeconds: number,
): number | null {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  let last: number | null = null;
  let lastX = 0;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (v === null || v === undefined || Number.isNaN(v)) continue;
    n++;
    sx += i;
    sy += v;
    sxx += i * i;
    sxy += i * v;
    last = v;
    lastX = i;
  }
  if (last === null) return null;
  if (last >= breach) return 0;
  if (n < minPoints) return null;
  const denom = n * sxx - sx * sx;
  if (denom === 0) return null;
  const slope = (n * sxy - sx * sy) / denom; // units per step
  if (!(slope > 0)) return null;
  // Extrapolate from the fitted line at the last observed step, not the raw last value, so one noisy
  // point does not swing the estimate.
  const intercept = (sy - slope * sx) / n;
  const fitted = intercept + slope * lastX;
  const steps = (breach - Math.min(fitted, breach)) / slope - (len - 1 - lastX);
  const seconds = Math.max(0, steps * stepSeconds);
  return seconds <= maxSeconds ? seconds : null;
}
