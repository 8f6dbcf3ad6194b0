/** The mutable per-step state every effect (benign or failure) writes into before clamping. */
export interface Sample {
  /** Traffic level (≈0..1 daily, peaks above); effects of stage "traffic" modify it first. */
  traffic: number;
  cpuPct: number;
  memPct: number;
  latencyMs: number;
  /** Error fraction (may temporarily exceed 1 before clamping). */
  errorRate: number;
  /** Multiplies timeout errors caused by CPU queueing (per failure event). */
  timeoutScale: number;
  /** Point not emitted (restart gap, agent outage). */
  drop: boolean;
}

/** Progress 0..1 of `tMs` through [startMs, endMs). */
export function progress(tMs: number, startMs: number, endMs: number): number {
  if (endMs <= startMs) return tMs >= startMs ? 1 : 0;
  return Math.min(1, Math.max(0, (tMs - startMs) / (endMs - startMs)));
}
