/**
 * The baselines our model must beat, computed per step on the same resampled series the model sees.
 * Each returns a per-step "alert condition" for a given sensitivity knob; `hysteresisFlags` then
 * applies the same enter/exit step counts the shipped alert policy uses, so every method is judged by
 * one rule. Pure (no I/O).
 */
import { timeToBreachSeconds } from "../core/breach.ts";
import { scaleVector } from "../core/features.ts";
import { METRICS, METRIC_SPECS, N_METRICS } from "../core/metrics.ts";
import { HostNormalizer } from "../core/normalize.ts";

/** Per-step values of one host, rows × N_METRICS (NaN = missing). */
export interface StepValues {
  rows: number;
  values: Float64Array;
  stepSeconds: number;
}

/** Static thresholds as a function of one knob s in 0..1 (0 = most sensitive), per metric, raw units. */
export const STATIC_RANGE: Record<(typeof METRICS)[number], [number, number]> = {
  cpu_usage: [70, 99.5],
  memory_usage: [75, 99.5],
  network_latency: [200, 3000],
  error_rate: [0.02, 0.5],
};

/** "Any metric at or above its static threshold." */
export function staticCondition(v: StepValues, s: number): boolean[] {
  const th = METRICS.map((m) => STATIC_RANGE[m][0] + (STATIC_RANGE[m][1] - STATIC_RANGE[m][0]) * s);
  const out = new Array<boolean>(v.rows);
  for (let t = 0; t < v.rows; t++) {
    let hit = false;
    for (let i = 0; i < N_METRICS; i++) {
      const x = v.values[t * N_METRICS + i]!;
      if (x >= th[i]!) hit = true;
    }
    out[t] = hit;
  }
  return out;
}

/**
 * Minimum over metrics of the linear time-to-breach (seconds), Prometheus `predict_linear` style:
 * least-squares trend over the last `windowSteps` steps extrapolated to each metric's breach level.
 * Infinity where no breach is forecast. Compute once, threshold many times.
 */
export function linearTimeToBreach(v: StepValues, windowSteps = 30, maxSeconds = 24 * 3600): Float64Array {
  const out = new Float64Array(v.rows).fill(Number.POSITIVE_INFINITY);
  const series: (number | null)[][] = METRICS.map(() => []);
  for (let t = 0; t < v.rows; t++) {
    let best = Number.POSITIVE_INFINITY;
    METRICS.forEach((m, i) => {
      const x = v.values[t * N_METRICS + i]!;
      const s = series[i]!;
      s.push(Number.isNaN(x) ? null : x);
      if (s.length > windowSteps) s.shift();
      const ttb = timeToBreachSeconds(s, v.stepSeconds, METRIC_SPECS[m].breach, { maxSeconds });
      if (ttb !== null && ttb < best) best = ttb;
    });
    out[t] = best;
  }
  return out;
}

/**
 * Largest upward z-score over metrics per step against an exponentially weighted mean/variance of the
 * host's own history (half-life `halfLifeSteps`, statistics before the step updates them).
 */
export function ewmaMaxZ(v: StepValues, halfLifeSteps = 360): Float64Array {
  const norm = new HostNormalizer({ halfLifeSteps });
  const out = new Float64Array(v.rows);
  for (let t = 0; t < v.rows; t++) {
    const raw = Array.from({ length: N_METRICS }, (_, i) => {
      const x = v.values[t * N_METRICS + i]!;
      return Number.isNaN(x) ? null : x;
    });
    const scaled = scaleVector(raw);
    let zmax = 0;
    for (let i = 0; i < N_METRICS; i++) {
      const s = scaled[i];
      // Ignore the first hour of a host: its statistics are still the priors.
      // Unclipped (the model's features clip at ±8; a threshold sweep should be free to go higher).
      if (s !== null && s !== undefined && norm.count(i) >= 60)
        zmax = Math.max(zmax, (s - norm.mean(i)) / norm.std(i));
    }
    out[t] = zmax;
    norm.update(scaled);
  }
  return out;
}

/**
 * Applies enter/exit hysteresis to a per-step condition: alerting starts after `enterSteps`
 * consecutive true steps and stops after `exitSteps` consecutive false ones.
 */
export function hysteresisFlags(
  condition: ArrayLike<boolean>,
  enterSteps: number,
  exitSteps: number,
): boolean[] {
  const out = new Array<boolean>(condition.length);
  let on = false;
  let run = 0;
  for (let t = 0; t < condition.length; t++) {
    const c = condition[t]!;
    if (!on) {
      run = c ? run + 1 : 0;
      if (run >= enterSteps) {
        on = true;
        run = 0;
      }
    } else {
      run = c ? 0 : run + 1;
      if (run >= exitSteps) {
        on = false;
        run = 0;
      }
    }
    out[t] = on;
  }
  return out;
}
