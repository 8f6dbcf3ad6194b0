/**
 * Delay before the next outbox flush after consecutive failures: exponential with "full jitter"
 * (a uniform draw in [0, min(maxMs, baseMs·2^(attempt−1))) ), which spreads the retries of many DOs
 * that failed together instead of having them hit the recovering gateway in lock-step.
 */

export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms (default 1000). */
  baseMs?: number;
  /** Cap of every delay, ms (default 300000 = 5 min). */
  maxMs?: number;
  /** Uniform in [0, 1); injected so tests are deterministic (default `Math.random`). */
  random?: () => number;
}

/**
 * @param attempt consecutive failed deliveries so far, ≥ 1 (1 right after the first failure).
 * @returns whole ms in [0, min(maxMs, baseMs·2^(attempt−1))).
 *
 * @example
 * const delayMs = nextRetryDelayMs(meta.sinkAttempts); // after incrementing sinkAttempts
 * await ctx.storage.setAlarm(Date.now() + delayMs);
 */
export function nextRetryDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 1000, maxMs = 300_000, random = Math.random } = options;
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError(`baseMs and maxMs must be ≥ 0`);
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`);
  // Clamp the exponent: 2^52 already exceeds any sane cap, and baseMs·Infinity would be NaN for baseMs 0.
  const ceilingMs = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 52));
  return Math.floor(r * ceilingMs);
}
