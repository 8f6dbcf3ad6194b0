/**
 * Fleet simulator: deterministic, labelled host metrics. Pure (no `node:*`).
 *
 * Every host is a pure function of (config, host index): its profile, failures, benign events and noise
 * come from generators seeded by hash(seed, index, stream), and fleet-wide traffic peaks from
 * hash(seed, fleet, stream). So hosts can be generated alone, in any order, in parallel, with equal results.
 *
 * @example
 * const { points, downtime } = simulateHost({ seed: 7, hosts: 20, days: 2 }, 3);
 * for (const p of fleetPoints({ seed: 7, hosts: 20, days: 2 })) send(p); // timestamp order
 */
import {
  applyBenign,
  applyBenignTraffic,
  applyRestart,
  fleetPeaks,
  scheduleBenign,
  type BenignPlan,
} from "./benign.ts";
import {
  HOUR_MS,
  MINUTE_MS,
  parseFleetConfig,
  stepCount,
  type FleetConfig,
  type FleetConfigInput,
} from "./config.ts";
import { applyPrecursor, scheduleFailures, type FailurePlan, type RestartParams } from "./failures.ts";
import { sampleProfile, seasonalTraffic, type HostProfile } from "./profiles.ts";
import { Rng, Stream } from "./rng.ts";
import { progress, type Sample } from "./sample.ts";
import { hostId, type BenignEvent, type Downtime, type HostClass, type MetricPoint } from "./types.ts";

export * from "./types.ts";
export {
  DEFAULT_START_MS,
  FleetConfigError,
  FleetConfigSchema,
  parseFleetConfig,
  stepCount,
  type FleetConfig,
  type FleetConfigInput,
} from "./config.ts";
export { DOWNTIME_MIN, FAMILY_RANGES, MIN_HEALTHY_MS } from "./failures.ts";
export type { HostProfile } from "./profiles.ts";

/** Everything about one host except its points (cheap: no per-step work). */
export interface HostPlan {
  index: number;
  host: string;
  profile: HostProfile;
  failures: FailurePlan[];
  benignPlans: BenignPlan[];
  downtime: Downtime[];
  benign: BenignEvent[];
}

export interface HostSimulation {
  host: string;
  hostClass: HostClass;
  /** JVM-like memory sawtooth on this host. */
  jvm: boolean;
  /** Points in timestamp order (strictly increasing). */
  points: MetricPoint[];
  downtime: Downtime[];
  benign: BenignEvent[];
}

export interface FleetSimulation {
  config: FleetConfig;
  hosts: HostSimulation[];
}

function resolve(config: FleetConfigInput | FleetConfig): FleetConfig {
  return parseFleetConfig(config);
}

/** Schedules one host (profile, failures, benign events) without generating points. */
export function planHost(config: FleetConfigInput | FleetConfig, index: number): HostPlan {
  const cfg = resolve(config);
  return planResolved(cfg, index, fleetPeaks(cfg));
}

function planResolved(cfg: FleetConfig, index: number, peaks: ReturnType<typeof fleetPeaks>): HostPlan {
  if (!Number.isInteger(index) || index < 0 || index >= cfg.hosts) {
    throw new RangeError(`host index ${index} outside 0..${cfg.hosts - 1}`);
  }
  const host = hostId(index);
  const profile = sampleProfile(Rng.for(cfg.seed, index, Stream.profile), cfg.cronHostShare);
  const failures = scheduleFailures(Rng.for(cfg.seed, index, Stream.failures), cfg);
  const benignPlans = scheduleBenign(Rng.for(cfg.seed, index, Stream.benign), cfg, profile, failures, peaks);
  return {
    index,
    host,
    profile,
    failures,
    benignPlans,
    downtime: failures.map((f) => ({
      host,
      family: f.family,
      precursorStartMs: f.precursorStartMs,
      startMs: f.startMs,
      endMs: f.endMs,
    })),
    benign: benignPlans.map((b) => ({ host, kind: b.kind, startMs: b.startMs, endMs: b.endMs })),
  };
}

type Effect =
  | { type: "benign"; startMs: number; endMs: number; plan: BenignPlan }
  | { type: "precursor"; startMs: number; endMs: number; plan: FailurePlan }
  | { type: "restart"; startMs: number; endMs: number; restart: RestartParams };

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
/** Healthy hosts are sized with headroom: compress values above `knee` instead of letting noise saturate. */
const soft = (x: number, knee: number, slope: number): number => (x > knee ? knee + (x - knee) * slope : x);
/** Smooth positive floor: below `k`, decays exponentially towards 0 instead of clipping (no idle host sits at 0 %). */
const floor = (x: number, k: number): number => (x < k ? k * Math.exp((x - k) / k) : x);

/** Lazily generates one host's points in timestamp order. */
export function* hostPoints(config: FleetConfigInput | FleetConfig, plan: HostPlan): Generator<MetricPoint> {
  const next = hostStepper(resolve(config), plan);
  for (let p = next(); p !== undefined; p = next()) yield p;
}

/**
 * One host's points as a pull function (undefined when done). The generation core: a plain closure,
 * cheaper per point than a generator.
 */
function hostStepper(cfg: FleetConfig, plan: HostPlan): () => MetricPoint | undefined {
  const { host, profile: p, failures, index } = plan;
  const stepMs = cfg.stepSeconds * 1000;
  const n = stepCount(cfg);
  const jitterMs = cfg.jitterSeconds * 1000;

  const noise = Rng.for(cfg.seed, index, Stream.noise);
  const arrival = Rng.for(cfg.seed, index, Stream.arrival);
  const saw = Rng.for(cfg.seed, index, Stream.sawtooth);
  const eventNoise = Rng.for(cfg.seed, index, Stream.eventNoise);

  const effects: Effect[] = [
    ...plan.benignPlans.map((b): Effect => ({ type: "benign", startMs: b.startMs, endMs: b.endMs, plan: b })),
    ...failures.flatMap((f): Effect[] => [
      ...(f.precursorStartMs === null
        ? []
        : [{ type: "precursor" as const, startMs: f.precursorStartMs, endMs: f.startMs, plan: f }]),
      { type: "restart", startMs: f.endMs, endMs: f.endMs + f.restart.warmMs, restart: f.restart },
    ]),
  ].sort((a, b) => a.startMs - b.startMs);
  // Instants where the process restarts (heap emptied).
  const resets = [
    ...plan.benignPlans.filter((b) => b.kind === "deploy").map((b) => b.startMs),
    ...failures.map((f) => f.endMs),
  ].sort((a, b) => a - b);

  // Slow drift (Ornstein–Uhlenbeck) and short-term correlated noise (AR(1), ~5 min).
  const aDrift = Math.exp(-stepMs / (p.driftTauHours * HOUR_MS));
  const kDrift = Math.sqrt(1 - aDrift * aDrift);
  const aAr = Math.exp(-stepMs / (5 * MINUTE_MS));
  const kAr = Math.sqrt(1 - aAr * aAr);
  let dCpu = noise.normal() * p.driftCpuPct;
  let dMem = noise.normal() * p.driftMemPct;
  let dLat = noise.normal() * p.driftLatLog;
  let dErr = noise.normal() * p.driftErrLog;
  let arCpu = noise.normal();
  let arLat = noise.normal();

  const sawPeriod = (): number => saw.uniform(p.sawPeriodMin[0], p.sawPeriodMin[1]) * MINUTE_MS;
  let sawPeriodMs = sawPeriod();
  let sawPhase = saw.next();

  let fi = 0;
  let ei = 0;
  let ri = 0;
  const active: Effect[] = [];
  const s: Sample = {
    traffic: 0,
    cpuPct: 0,
    memPct: 0,
    latencyMs: 0,
    errorRate: 0,
    timeoutScale: 1,
    drop: false,
  };

  let k = 0;
  return () => {
    while (k < n) {
      const t = cfg.startMs + k++ * stepMs;

      // A fixed number of draws per step, so noise never depends on which events happen.
      dCpu = aDrift * dCpu + kDrift * p.driftCpuPct * noise.normal();
      dMem = aDrift * dMem + kDrift * p.driftMemPct * noise.normal();
      dLat = aDrift * dLat + kDrift * p.driftLatLog * noise.normal();
      dErr = aDrift * dErr + kDrift * p.driftErrLog * noise.normal();
      arCpu = aAr * arCpu + kAr * noise.normal();
      arLat = aAr * arLat + kAr * noise.normal();
      const zCpu = noise.normal();
      const zMem = noise.normal();
      const zLat = noise.normal();
      const zErr = noise.normal();
      const uTail = noise.next();
      const uTailSize = noise.next();
      const uBlip = noise.next();
      const uBlipSize = noise.next();
      const uMissing = arrival.next();
      const uJitter = arrival.next();

      // JVM heap: grows linearly, a GC empties it (with a small CPU blip); restarts empty it too.
      let gcCpu = 0;
      if (p.jvm) {
        sawPhase += stepMs / sawPeriodMs;
        if (sawPhase >= 1) {
          sawPhase = 0;
          sawPeriodMs = sawPeriod();
          gcCpu = saw.uniform(2, 6);
        }
      }
      while (ri < resets.length && (resets[ri] ?? Infinity) <= t) {
        sawPhase = 0;
        ri++;
      }

      // Down: no point at all.
      while (fi < failures.length && t >= (failures[fi]?.endMs ?? Infinity)) fi++;
      const failure = failures[fi];
      if (failure !== undefined && t >= failure.startMs) continue;

      while (ei < effects.length && (effects[ei]?.startMs ?? Infinity) <= t) {
        const e = effects[ei++];
        if (e !== undefined) active.push(e);
      }
      for (let i = active.length - 1; i >= 0; i--) if ((active[i]?.endMs ?? 0) <= t) active.splice(i, 1);

      // Normal behaviour.
      s.traffic = seasonalTraffic(p, t);
      s.errorRate = 0;
      s.timeoutScale = 1;
      s.drop = false;
      for (const e of active) if (e.type === "benign") applyBenignTraffic(e.plan, t, s);
      const traffic = s.traffic;
      s.cpuPct = p.cpuIdlePct + p.cpuLoadPct * traffic + dCpu + p.cpuNoisePct * (arCpu + 0.5 * zCpu) + gcCpu;
      s.memPct = p.memBasePct + p.memLoadPct * traffic + dMem + p.sawAmpPct * sawPhase + p.memNoisePct * zMem;
      s.latencyMs =
        p.latBaseMs * (0.8 + p.latLoad * traffic) * Math.exp(dLat + p.latSigma * 0.7 * (arLat + zLat));
      s.errorRate += p.errBase * (0.7 + 0.6 * traffic) * Math.exp(dErr + p.errSigma * zErr);
      // Rare small error blips (a bad request burst, a flaky client).
      if (uBlip < 0.003) s.errorRate += 0.005 + 0.025 * uBlipSize;

      for (const e of active) {
        if (e.type === "benign") applyBenign(e.plan, t, s);
        else if (e.type === "restart") applyRestart(e.restart, t - e.startMs, s);
      }
      s.cpuPct = floor(soft(s.cpuPct, 82, 0.3), 3);
      s.memPct = floor(soft(s.memPct, 88, 0.3), 5);

      for (const e of active) {
        // Progress reaches 1 at the last step before the downtime: the host dies at the precursor's peak.
        if (e.type === "precursor")
          applyPrecursor(e.plan, progress(t, e.startMs, e.endMs - stepMs), s, eventNoise);
      }

      // CPU queueing inflates latency (M/M/1-like above the knee); long queues time out as errors.
      const cpu = clamp(s.cpuPct, 0, 100);
      const u = Math.min(cpu / 100, 0.985);
      const queue = u <= p.queueKnee ? 1 : (1 - p.queueKnee) / (1 - u);
      let latency = s.latencyMs * queue;
      const errorRate = s.errorRate + p.timeoutErrPerUnit * s.timeoutScale * Math.max(0, queue - 4);
      // Heavy-ish tail: rare Pareto(α = 1.6) outliers, capped.
      if (uTail < p.latTailProb) latency *= Math.min(20, (1 - uTailSize) ** (-1 / 1.6));

      if (s.drop || uMissing < cfg.missingRate) continue;
      let timestamp = t + Math.round((2 * uJitter - 1) * jitterMs);
      // The first point after a downtime must not jitter back into it.
      const previous = failures[fi - 1];
      if (previous !== undefined && timestamp < previous.endMs) timestamp = t;
      // Nor may the very first point precede the configured start.
      if (timestamp < cfg.startMs) timestamp = cfg.startMs;
      return {
        host,
        timestamp,
        cpu_usage: round3(cpu),
        memory_usage: round3(clamp(s.memPct, 0, 100)),
        network_latency: round3(Math.max(0, latency)),
        error_rate: round6(clamp(errorRate, 0, 1)),
      };
    }
    return undefined;
  };
}

/** Generates one host completely. Host `index` is identical whether generated alone or in the fleet. */
export function simulateHost(config: FleetConfigInput | FleetConfig, index: number): HostSimulation {
  const cfg = resolve(config);
  return collect(cfg, planResolved(cfg, index, fleetPeaks(cfg)));
}

function collectPoints(next: () => MetricPoint | undefined): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (let p = next(); p !== undefined; p = next()) points.push(p);
  return points;
}

function collect(cfg: FleetConfig, plan: HostPlan): HostSimulation {
  return {
    host: plan.host,
    hostClass: plan.profile.hostClass,
    jvm: plan.profile.jvm,
    points: collectPoints(hostStepper(cfg, plan)),
    downtime: plan.downtime,
    benign: plan.benign,
  };
}

/** Generates every host (points per host). `onHost` reports progress after each host. */
export function simulateFleet(
  config: FleetConfigInput | FleetConfig,
  onHost?: (done: number, total: number) => void,
): FleetSimulation {
  const cfg = resolve(config);
  const peaks = fleetPeaks(cfg);
  const hosts: HostSimulation[] = [];
  for (let i = 0; i < cfg.hosts; i++) {
    hosts.push(collect(cfg, planResolved(cfg, i, peaks)));
    onHost?.(i + 1, cfg.hosts);
  }
  return { config: cfg, hosts };
}

/** All hosts' plans (labels only, no points): cheap, for labels next to a streamed fleet. */
export function planFleet(config: FleetConfigInput | FleetConfig): HostPlan[] {
  const cfg = resolve(config);
  const peaks = fleetPeaks(cfg);
  return Array.from({ length: cfg.hosts }, (_, i) => planResolved(cfg, i, peaks));
}

/**
 * The whole fleet's points in timestamp order (ties: lower host index first), generated lazily
 * (memory ~ one point per host), for streaming. Jitter < stepSeconds/2, so every point belongs to the
 * nearest grid step and merging step by step gives a global order.
 */
export function* fleetPoints(config: FleetConfigInput | FleetConfig): Generator<MetricPoint> {
  const cfg = resolve(config);
  const stepMs = cfg.stepSeconds * 1000;
  const stepOf = (timestamp: number): number => Math.round((timestamp - cfg.startMs) / stepMs);
  const cursors = planFleet(cfg).map((plan) => {
    const pull = hostStepper(cfg, plan);
    return { pull, next: pull() };
  });
  const n = stepCount(cfg);
  const batch: MetricPoint[] = [];
  for (let k = 0; k < n; k++) {
    batch.length = 0;
    for (const c of cursors) {
      if (c.next === undefined || stepOf(c.next.timestamp) > k) continue;
      batch.push(c.next);
      c.next = c.pull();
    }
    // Array.prototype.sort is stable: equal timestamps keep host order.
    batch.sort((a, b) => a.timestamp - b.timestamp);
    yield* batch;
  }
}
