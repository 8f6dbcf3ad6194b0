/**
 * Failure families: scheduling per host and the precursor each one draws on the metrics.
 * Every event ends in a labelled downtime (no points), then the host restarts.
 * Precursor length, shape (how late the deviation concentrates) and side-effect severities are drawn per
 * event; a `subtle` event has weak side effects and a late-concentrated primary signal.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, stepCount, type FleetConfig } from "./config.ts";
import type { Rng } from "./rng.ts";
import type { Sample } from "./sample.ts";
import { FAILURE_FAMILIES, type FailureFamily } from "./types.ts";

/** Healthy time kept before the first precursor and between one host's events. */
export const MIN_HEALTHY_MS = 2 * HOUR_MS;

/** Per-family ranges (minutes for durations). Documented here so reports and tests share one source. */
export const FAMILY_RANGES = {
  memory_leak: { precursorMin: [60, 360] },
  cpu_saturation: { precursorMin: [20, 90] },
  network_degradation: { precursorMin: [15, 60] },
  error_cascade: { precursorMin: [10, 40] },
  sudden_crash: { precursorMin: [0, 0] },
} as const satisfies Record<FailureFamily, { precursorMin: readonly [number, number] }>;
export const DOWNTIME_MIN: readonly [number, number] = [5, 30];

interface PlanBase {
  precursorStartMs: number | null;
  startMs: number;
  endMs: number;
  subtle: boolean;
  /** Restart after the downtime: warm-up length, fresh-process memory drop, start-up CPU, cold-cache latency. */
  restart: RestartParams;
}
export interface RestartParams {
  warmMs: number;
  memDropPct: number;
  cpuPct: number;
  latMul: number;
}

export type FamilyParams =
  | {
      family: "memory_leak";
      /** Memory follows base + (peakPct − base)·p^shape. */
      shape: number;
      peakPct: number;
      /** Progress after which swapping/GC thrash shows: latency ×(1+lateLatMul·q²), errors +lateErr·q², CPU +lateCpuPct·q². */
      lateOnset: number;
      lateLatMul: number;
      lateErr: number;
      lateCpuPct: number;
    }
  | {
      family: "cpu_saturation";
      /** CPU follows base + (targetPct − base)·p^shape; latency then inflates by queueing, errors by timeouts. */
      shape: number;
      targetPct: number;
      timeoutScale: number;
    }
  | {
      family: "network_degradation";
      /** Latency ×(1 + (latMulMax−1)·p^shape), spikes with probability spikeProb·p^shape, loss errors. */
      shape: number;
      latMulMax: number;
      spikeProb: number;
      lossErr: number;
    }
  | {
      family: "error_cascade";
      /** Errors + errPeak·(e^{growth·p}−1)/(e^{growth}−1); retries add latency and CPU in proportion. */
      growth: number;
      errPeak: number;
      retryLatMul: number;
      retryCpuPct: number;
    }
  | { family: "sudden_crash" };

export type FailurePlan = PlanBase & FamilyParams;

function pickFamily(rng: Rng, config: FleetConfig): FailureFamily {
  const enabled = FAILURE_FAMILIES.filter((f) => config.families.includes(f));
  const others = enabled.filter((f) => f !== "sudden_crash");
  if (others.length === 0) return "sudden_crash";
  const crashWeight = enabled.includes("sudden_crash") ? config.suddenCrashShare : 0;
  return rng.weighted<FailureFamily>([
    ["sudden_crash", crashWeight],
    ...others.map((f) => [f, (1 - crashWeight) / others.length] as const),
  ]);
}

function drawRestart(rng: Rng): RestartParams {
  return {
    warmMs: rng.uniform(10, 25) * MINUTE_MS,
    memDropPct: rng.uniform(3, 12),
    cpuPct: rng.uniform(10, 30),
    latMul: rng.uniform(0.3, 1),
  };
}

/** Family-specific parameters; `subtle` picks the weak end. */
function drawFamilyParams(rng: Rng, family: FailureFamily, subtle: boolean): FamilyParams {
  const u = (normal: [number, number], weak: [number, number]): number =>
    subtle ? rng.uniform(weak[0], weak[1]) : rng.uniform(normal[0], normal[1]);
  switch (family) {
    case "memory_leak":
      return {
        family,
        shape: u([0.8, 1.5], [1.8, 3]),
        peakPct: rng.uniform(96, 99.5),
        lateOnset: rng.uniform(0.6, 0.9),
        lateLatMul: u([0.8, 4], [0.1, 0.5]),
        lateErr: u([0.01, 0.08], [0.001, 0.008]),
        lateCpuPct: u([10, 35], [2, 8]),
      };
    case "cpu_saturation":
      return {
        family,
        shape: u([0.8, 2.2], [2.5, 4]),
        targetPct: rng.uniform(96, 100),
        timeoutScale: u([0.7, 1.5], [0.5, 0.8]),
      };
    case "network_degradation":
      return {
        family,
        shape: u([0.8, 2], [1.5, 3]),
        latMulMax: u([3, 12], [1.6, 3]),
        spikeProb: u([0.15, 0.5], [0.05, 0.15]),
        lossErr: u([0.01, 0.08], [0.003, 0.015]),
      };
    case "error_cascade":
      return {
        family,
        growth: u([3, 6], [6, 9]),
        errPeak: u([0.15, 0.6], [0.05, 0.15]),
        retryLatMul: u([0.5, 2.5], [0.1, 0.4]),
        retryCpuPct: u([5, 15], [1, 4]),
      };
    case "sudden_crash":
      return { family };
  }
}

/**
 * Failures of one host, in time order, never overlapping, all inside the simulated window.
 * Gaps between events are exponential (Poisson process) with mean 1/failuresPerHostDay days, counted
 * from the end of the previous event plus MIN_HEALTHY_MS; all instants sit on the step grid.
 */
export function scheduleFailures(rng: Rng, config: FleetConfig): FailurePlan[] {
  if (config.failuresPerHostDay <= 0) return [];
  const stepMs = config.stepSeconds * 1000;
  const endLimit = config.startMs + stepCount(config) * stepMs;
  const align = (t: number): number => config.startMs + Math.ceil((t - config.startMs) / stepMs) * stepMs;
  const meanGapMs = DAY_MS / config.failuresPerHostDay;
  const plans: FailurePlan[] = [];
  let cursor = config.startMs + MIN_HEALTHY_MS;
  for (;;) {
    // Draw everything first so the random stream does not depend on whether the event fits.
    const family = pickFamily(rng, config);
    const subtle = family !== "sudden_crash" && rng.chance(config.subtleShare);
    const [pLo, pHi] = FAMILY_RANGES[family].precursorMin;
    const precursorMs = rng.uniform(pLo, pHi) * MINUTE_MS;
    const downSteps = Math.max(
      1,
      Math.round((rng.uniform(DOWNTIME_MIN[0], DOWNTIME_MIN[1]) * MINUTE_MS) / stepMs),
    );
    const gapMs = rng.exponential(meanGapMs);
    const params = drawFamilyParams(rng, family, subtle);
    const restart = drawRestart(rng);

    const onsetMs = align(cursor + gapMs);
    const startMs = family === "sudden_crash" ? onsetMs : align(onsetMs + Math.max(precursorMs, stepMs));
    const endMs = startMs + downSteps * stepMs;
    if (endMs > endLimit) break;
    plans.push({
      ...params,
      precursorStartMs: family === "sudden_crash" ? null : onsetMs,
      startMs,
      endMs,
      subtle,
      restart,
    });
    cursor = endMs + MIN_HEALTHY_MS;
  }
  return plans;
}

/** Draws the precursor of `plan` at progress p (0..1) onto the normal sample. */
export function applyPrecursor(plan: FailurePlan, p: number, s: Sample, rng: Rng): void {
  switch (plan.family) {
    case "memory_leak": {
      s.memPct += (plan.peakPct - s.memPct) * p ** plan.shape;
      const q = Math.max(0, (p - plan.lateOnset) / (1 - plan.lateOnset));
      const q2 = q * q;
      s.latencyMs *= 1 + plan.lateLatMul * q2;
      s.errorRate += plan.lateErr * q2;
      s.cpuPct += plan.lateCpuPct * q2;
      return;
    }
    case "cpu_saturation":
      s.cpuPct += (plan.targetPct - s.cpuPct) * p ** plan.shape;
      s.timeoutScale = plan.timeoutScale;
      return;
    case "network_degradation": {
      const f = p ** plan.shape;
      s.latencyMs *= 1 + (plan.latMulMax - 1) * f;
      // Loss and retransmits: occasional large spikes, more frequent as it worsens.
      if (rng.next() < plan.spikeProb * f) s.latencyMs *= 1 + rng.exponential(3);
      s.errorRate += plan.lossErr * f * (0.5 + rng.next());
      return;
    }
    case "error_cascade": {
      const g = Math.expm1(plan.growth * p) / Math.expm1(plan.growth);
      s.errorRate += plan.errPeak * g;
      s.latencyMs *= 1 + plan.retryLatMul * g;
      s.cpuPct += plan.retryCpuPct * g;
      return;
    }
    case "sudden_crash":
      return;
  }
}
