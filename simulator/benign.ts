/**
 * Benign events: look unusual, must not be predicted as downtime. Scheduled after failures and kept
 * clear of them (30 min margin) so every label stays unambiguous.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, stepCount, type FleetConfig } from "./config.ts";
import type { FailurePlan, RestartParams } from "./failures.ts";
import { localTime, type HostProfile } from "./profiles.ts";
import { FLEET_INDEX, Rng, Stream } from "./rng.ts";
import { progress, type Sample } from "./sample.ts";
import type { BenignKind } from "./types.ts";

/** Margin kept between benign events and any failure (precursor start − margin … downtime end + margin). */
export const FAILURE_MARGIN_MS = 30 * MINUTE_MS;

export type BenignPlan = { startMs: number; endMs: number } & (
  | {
      kind: "deploy";
      /** Restart gap: points before dropEndMs are missing. */
      dropEndMs: number;
      spikeEndMs: number;
      spikeCpuPct: number;
      blipEndMs: number;
      blipErr: number;
      restart: RestartParams;
    }
  | { kind: "cron"; cpuPct: number; latMul: number; memPct: number }
  | { kind: "traffic_peak"; intensity: number; errAdd: number }
  | { kind: "metrics_gap" }
);

interface FleetPeak {
  startMs: number;
  endMs: number;
  intensity: number;
  errAdd: number;
}

/** Fleet-wide traffic peaks: a pure function of (seed, window, rate), shared by every host. */
export function fleetPeaks(config: FleetConfig): FleetPeak[] {
  const rng = Rng.for(config.seed, FLEET_INDEX, Stream.fleetPeaks);
  const peaks: FleetPeak[] = [];
  if (config.trafficPeaksPerDay <= 0) return peaks;
  const endLimit = config.startMs + config.durationMs;
  let t = config.startMs;
  for (;;) {
    t += rng.exponential(DAY_MS / config.trafficPeaksPerDay);
    const durationMs = rng.uniform(30, 90) * MINUTE_MS;
    const intensity = rng.uniform(0.15, 0.4);
    const errAdd = rng.uniform(0.002, 0.01);
    if (t + durationMs > endLimit) break;
    peaks.push({ startMs: Math.round(t), endMs: Math.round(t + durationMs), intensity, errAdd });
  }
  return peaks;
}

/** Benign plans of one host, sorted by start. */
export function scheduleBenign(
  rng: Rng,
  config: FleetConfig,
  profile: HostProfile,
  failures: readonly FailurePlan[],
  peaks: readonly FleetPeak[],
): BenignPlan[] {
  const stepMs = config.stepSeconds * 1000;
  const startLimit = config.startMs;
  const endLimit = config.startMs + stepCount(config) * stepMs;
  const align = (t: number): number => startLimit + Math.ceil((t - startLimit) / stepMs) * stepMs;
  const blocked = failures.map((f) => [
    (f.precursorStartMs ?? f.startMs) - FAILURE_MARGIN_MS,
    f.endMs + FAILURE_MARGIN_MS,
  ]);
  const clear = (s: number, e: number): boolean =>
    s >= startLimit && e <= endLimit && blocked.every(([bs = 0, be = 0]) => e <= bs || s >= be);
  const plans: BenignPlan[] = [];

  // Deploys: weekdays, business hours local time, a Poisson number per day.
  const firstDay = Math.floor((startLimit + profile.tzOffsetHours * HOUR_MS) / DAY_MS) - 1;
  const lastDay = Math.floor((endLimit + profile.tzOffsetHours * HOUR_MS) / DAY_MS) + 1;
  for (let day = firstDay; day <= lastDay; day++) {
    const localMidnightUtc = day * DAY_MS - profile.tzOffsetHours * HOUR_MS;
    const count = Math.min(4, rng.poisson((config.deploysPerHostDay * 7) / 5));
    for (let i = 0; i < count; i++) {
      const startMs = align(localMidnightUtc + rng.uniform(9, 18) * HOUR_MS);
      const restart: RestartParams = {
        warmMs: rng.uniform(5, 15) * MINUTE_MS,
        memDropPct: rng.uniform(3, 10),
        cpuPct: rng.uniform(5, 15),
        latMul: rng.uniform(0.2, 0.8),
      };
      // Process down for a few steps, then a start-up CPU spike and an error blip while it warms up.
      const dropEndMs = startMs + rng.int(1, 4) * stepMs;
      const spikeEndMs = dropEndMs + rng.uniform(2, 5) * MINUTE_MS;
      const blipEndMs = dropEndMs + rng.uniform(1, 3) * MINUTE_MS;
      const blipErr = rng.uniform(0.02, 0.08);
      const spikeCpuPct = rng.uniform(20, 40);
      const endMs = align(Math.max(spikeEndMs, blipEndMs, dropEndMs, startMs + restart.warmMs));
      const { dayOfWeek } = localTime(profile, startMs);
      if (dayOfWeek === 0 || dayOfWeek === 6 || !clear(startMs, endMs)) continue;
      plans.push({
        kind: "deploy",
        startMs,
        endMs,
        dropEndMs,
        spikeEndMs,
        spikeCpuPct,
        blipEndMs,
        blipErr,
        restart,
      });
    }
  }

  // Cron: the same local minute every day, slightly varying length and load.
  if (profile.cron) {
    const cron = profile.cron;
    for (let day = firstDay; day <= lastDay; day++) {
      const startMs = align(day * DAY_MS - profile.tzOffsetHours * HOUR_MS + cron.minuteLocal * MINUTE_MS);
      const endMs = align(startMs + cron.durationMin * rng.uniform(0.8, 1.2) * MINUTE_MS);
      const load = rng.uniform(0.85, 1.15);
      if (!clear(startMs, endMs)) continue;
      plans.push({
        kind: "cron",
        startMs,
        endMs,
        cpuPct: cron.cpuPct * load,
        latMul: cron.latMul * load,
        memPct: cron.memPct,
      });
    }
  }

  // Fleet-wide traffic peaks, felt by each host with its own sensitivity.
  for (const peak of peaks) {
    const factor = profile.peakSensitivity * rng.uniform(0.8, 1.2);
    const startMs = align(peak.startMs);
    const endMs = align(peak.endMs);
    if (factor <= 0 || !clear(startMs, endMs)) continue;
    plans.push({
      kind: "traffic_peak",
      startMs,
      endMs,
      intensity: peak.intensity * factor,
      errAdd: peak.errAdd * factor,
    });
  }

  // Metrics-agent outages: the host is fine, only the points are missing.
  if (config.gapsPerHostDay > 0) {
    let t = startLimit;
    for (;;) {
      t += rng.exponential(DAY_MS / config.gapsPerHostDay);
      const steps = rng.int(2, 10);
      const startMs = align(t);
      const endMs = startMs + steps * stepMs;
      if (endMs > endLimit) break;
      if (clear(startMs, endMs)) plans.push({ kind: "metrics_gap", startMs, endMs });
    }
  }

  return plans.sort((a, b) => a.startMs - b.startMs || kindOrder(a.kind) - kindOrder(b.kind));
}

function kindOrder(kind: BenignKind): number {
  return ["traffic_peak", "cron", "deploy", "metrics_gap"].indexOf(kind);
}

/** Traffic-stage effect (runs before CPU/latency are derived from traffic). */
export function applyBenignTraffic(plan: BenignPlan, tMs: number, s: Sample): void {
  if (plan.kind !== "traffic_peak") return;
  const env = Math.sin(Math.PI * progress(tMs, plan.startMs, plan.endMs)) ** 2;
  s.traffic += plan.intensity * env;
  s.errorRate += plan.errAdd * env;
}

/** Value-stage effect. */
export function applyBenign(plan: BenignPlan, tMs: number, s: Sample): void {
  switch (plan.kind) {
    case "deploy":
      if (tMs < plan.dropEndMs) s.drop = true;
      if (tMs < plan.spikeEndMs) s.cpuPct += plan.spikeCpuPct;
      if (tMs < plan.blipEndMs) s.errorRate += plan.blipErr;
      applyRestart(plan.restart, tMs - plan.startMs, s);
      return;
    case "cron": {
      // Fast ramp up and down, plateau in between.
      const p = progress(tMs, plan.startMs, plan.endMs);
      const env = Math.min(1, p / 0.1, (1 - p) / 0.1);
      s.cpuPct += plan.cpuPct * env;
      s.latencyMs *= 1 + plan.latMul * env;
      s.memPct += plan.memPct * env;
      s.errorRate += 0.001 * env;
      return;
    }
    case "traffic_peak":
      return;
    case "metrics_gap":
      s.drop = true;
      return;
  }
}

/** A fresh process: lower memory recovering over the warm-up, start-up CPU, cold-cache latency. */
export function applyRestart(r: RestartParams, sinceMs: number, s: Sample): void {
  if (sinceMs < 0 || sinceMs >= r.warmMs) return;
  const left = 1 - sinceMs / r.warmMs;
  s.memPct -= r.memDropPct * left;
  s.cpuPct += r.cpuPct * left ** 4;
  s.latencyMs *= 1 + r.latMul * left * left;
}
