/** Host classes and per-host baselines ("what normal looks like" for one host). */
import { DAY_MS, HOUR_MS } from "./config.ts";
import type { Rng } from "./rng.ts";
import type { HostClass } from "./types.ts";

export interface HostProfile {
  hostClass: HostClass;
  /** Local time = UTC + this many hours (drives the daily cycle and business-hours deploys). */
  tzOffsetHours: number;
  /** Local hour of peak traffic. */
  peakHourLocal: number;
  /** Night traffic as a fraction 0..1 of the daily peak. */
  trafficFloor: number;
  /** Traffic multiplier on Saturday/Sunday (local). */
  weekendFactor: number;
  /** CPU % = cpuIdlePct + cpuLoadPct × traffic (traffic ≈ 0..1, peaks above). */
  cpuIdlePct: number;
  cpuLoadPct: number;
  cpuNoisePct: number;
  memBasePct: number;
  /** Memory % added at full traffic (connection buffers, caches). */
  memLoadPct: number;
  memNoisePct: number;
  /** JVM-like sawtooth: memory grows by sawAmpPct over sawPeriodMin minutes, then GC drops it. */
  jvm: boolean;
  sawAmpPct: number;
  sawPeriodMin: readonly [number, number];
  latBaseMs: number;
  /** Relative latency increase at full traffic. */
  latLoad: number;
  /** Log-normal latency noise sigma. */
  latSigma: number;
  /** Probability per point of a heavy-tailed latency outlier. */
  latTailProb: number;
  errBase: number;
  errSigma: number;
  /** CPU utilisation (fraction) where queueing starts to inflate latency. */
  queueKnee: number;
  /** Error fraction added per unit of queue inflation above ~4× (timeouts). */
  timeoutErrPerUnit: number;
  /** Slow drift (Ornstein–Uhlenbeck) standard deviations and time constant. */
  driftCpuPct: number;
  driftMemPct: number;
  driftLatLog: number;
  driftErrLog: number;
  driftTauHours: number;
  /** How strongly fleet-wide traffic peaks reach this host (0 = not at all). */
  peakSensitivity: number;
  /** Daily cron job, or null. */
  cron: { minuteLocal: number; durationMin: number; cpuPct: number; latMul: number; memPct: number } | null;
}

const REGIONS: readonly (readonly [number, number])[] = [
  [0, 5], // UTC
  [-5, 3], // US East
  [-8, 2], // US West
  [1, 3], // Central Europe
  [8, 1], // Asia
];

export function sampleProfile(rng: Rng, cronHostShare: number): HostProfile {
  const hostClass = rng.weighted<HostClass>([
    ["web", 35],
    ["api", 30],
    ["db", 15],
    ["batch", 20],
  ]);
  const tzOffsetHours = rng.weighted(REGIONS);
  const u = (lo: number, hi: number): number => rng.uniform(lo, hi);
  // Class-specific ranges; every host draws its own values inside them.
  const byClass = {
    web: { idle: u(4, 10), load: u(25, 45), mem: u(30, 50), lat: u(20, 80), err: u(0.001, 0.005), jvm: 0.25 },
    api: { idle: u(5, 12), load: u(30, 48), mem: u(40, 58), lat: u(40, 150), err: u(0.002, 0.008), jvm: 0.7 },
    db: { idle: u(5, 10), load: u(20, 40), mem: u(62, 78), lat: u(3, 15), err: u(0.0003, 0.002), jvm: 0 },
    batch: { idle: u(3, 8), load: u(10, 25), mem: u(28, 50), lat: u(15, 50), err: u(0.001, 0.004), jvm: 0.4 },
  }[hostClass];
  const jvm = rng.chance(byClass.jvm);
  const memLoadPct = hostClass === "db" ? u(1, 4) : u(2, 8);
  // Keep the top of a healthy sawtooth below ~85 % so a normal heap is not mistaken for a leak.
  const sawAmpPct = jvm ? Math.min(u(8, 22), 85 - byClass.mem - memLoadPct) : 0;
  const hasCron = hostClass === "db" || hostClass === "batch" || rng.chance(cronHostShare);
  const cron = hasCron
    ? {
        // Nightly jobs cluster around 01:00–05:00 local, some run at other fixed times.
        minuteLocal: rng.chance(0.75) ? rng.int(60, 300) : rng.int(0, 1439),
        durationMin: hostClass === "batch" ? u(20, 60) : u(5, 25),
        cpuPct: hostClass === "batch" ? u(30, 50) : u(20, 40),
        latMul: u(0.1, 0.6),
        memPct: u(2, 8),
      }
    : null;
  return {
    hostClass,
    tzOffsetHours,
    peakHourLocal: hostClass === "batch" ? u(0, 4) : u(13, 17),
    trafficFloor: hostClass === "batch" ? u(0.5, 0.8) : u(0.2, 0.5),
    weekendFactor: hostClass === "web" || hostClass === "api" ? u(0.6, 0.9) : u(0.9, 1),
    cpuIdlePct: byClass.idle,
    cpuLoadPct: byClass.load,
    cpuNoisePct: u(1, 3),
    memBasePct: byClass.mem,
    memLoadPct,
    memNoisePct: u(0.2, 0.6),
    jvm,
    sawAmpPct,
    sawPeriodMin: jvm ? [u(15, 40), u(45, 120)] : [60, 60],
    latBaseMs: byClass.lat,
    latLoad: u(0.2, 0.8),
    latSigma: u(0.08, 0.25),
    latTailProb: u(0.002, 0.015),
    errBase: byClass.err,
    errSigma: u(0.2, 0.5),
    queueKnee: u(0.55, 0.7),
    timeoutErrPerUnit: u(0.006, 0.015),
    // Drift scales with the host's typical load, so idle hosts wander less in absolute terms.
    driftCpuPct: (byClass.idle + 0.6 * byClass.load) * u(0.06, 0.14),
    driftMemPct: u(1, 4),
    driftLatLog: u(0.05, 0.15),
    driftErrLog: u(0.15, 0.4),
    driftTauHours: u(6, 24),
    peakSensitivity: hostClass === "batch" ? 0 : hostClass === "db" ? u(0.3, 0.6) : u(0.7, 1.2),
    cron,
  };
}

/** Local hour (0..24) and day of week (0 = Sunday) of an instant for this host. */
export function localTime(profile: HostProfile, tMs: number): { hour: number; dayOfWeek: number } {
  const localMs = tMs + profile.tzOffsetHours * HOUR_MS;
  const dayIndex = Math.floor(localMs / DAY_MS);
  const hour = (localMs - dayIndex * DAY_MS) / HOUR_MS;
  // 1970-01-01 was a Thursday (4).
  return { hour, dayOfWeek: (((dayIndex + 4) % 7) + 7) % 7 };
}

/** Seasonal traffic level (≈ trafficFloor at night … 1 at the daily peak), before any traffic peaks. */
export function seasonalTraffic(profile: HostProfile, tMs: number): number {
  const { hour, dayOfWeek } = localTime(profile, tMs);
  const x = (2 * Math.PI * (hour - profile.peakHourLocal)) / 24;
  // Main daily wave plus a small second harmonic: a flatter daytime plateau and a sharper night dip.
  const daily = Math.min(1, Math.max(0, 0.5 + 0.5 * Math.cos(x) + 0.08 * Math.cos(2 * x) - 0.04));
  let traffic = profile.trafficFloor + (1 - profile.trafficFloor) * daily;
  if (dayOfWeek === 0 || dayOfWeek === 6) traffic *= profile.weekendFactor;
  return traffic;
}
