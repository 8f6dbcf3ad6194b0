import { describe, expect, it } from "vitest";
import { HOUR_MS } from "../../simulator/config.ts";
import { fleetPoints } from "../../simulator/fleet.ts";
import {
  countPoints,
  demoShiftMs,
  hostMajorPoints,
  LIVE_HOURS,
  MAX_FUTURE_MS,
  PhasedPoints,
  planDemo,
  REPLAY_HOURS,
  TICK_MS,
  WARMUP_HOURS,
} from "./plan.ts";

const NOW = Date.UTC(2026, 10, 24, 12, 34, 56, 789);

describe("planDemo", () => {
  it("warm-up, replay and live follow each other; --once stops after the replay", () => {
    const live = planDemo({ hosts: 4, seed: 7, once: false, speed: 300 }, NOW);
    expect(live.phases.map((p) => p.name)).toEqual(["warm-up", "replay", "live"]);
    for (let i = 1; i < live.phases.length; i++)
      expect(live.phases[i]!.fromMs).toBe(live.phases[i - 1]!.toMs);
    expect(live.phases.at(-1)!.toMs).toBe(live.fleet.startMs + live.fleet.durationMs);
    expect(live.phases.map((p) => p.speed)).toEqual([0, 300, 1]);

    const once = planDemo({ hosts: 4, seed: 7, once: true, speed: null }, NOW);
    expect(once.phases.map((p) => p.name)).toEqual(["warm-up", "replay"]);
    expect(once.phases[1]).toMatchObject({ speed: 0, batchSize: 4 });
  });

  it("a seed gives the same points and downtimes with and without --once (only the shift differs)", () => {
    const paced = planDemo({ hosts: 20, seed: 7, once: false, speed: 300 }, NOW);
    const once = planDemo({ hosts: 20, seed: 7, once: true, speed: null }, NOW);
    expect(once.fleet).toEqual(paced.fleet);
    // Downtimes (before the shift) are the same up to the end of the replay; --once stops there.
    const replayEnd = once.phases[1]!.toMs;
    const unshifted = (p: typeof paced) =>
      p.downtime
        .map((d) => ({
          ...d,
          precursorStartMs: d.precursorStartMs === null ? null : d.precursorStartMs - p.shiftMs,
          startMs: d.startMs - p.shiftMs,
          endMs: d.endMs - p.shiftMs,
        }))
        .filter((d) => d.startMs < replayEnd);
    expect(unshifted(once).length).toBeGreaterThan(0);
    expect(unshifted(once)).toEqual(unshifted(paced));
    // The points the replay sends (before the shift), warm-up included, are the same.
    const sent = (p: typeof paced) => {
      const points = new PhasedPoints(p.fleet);
      return p.phases.slice(0, 2).flatMap((ph) => [...points.take(ph)]);
    };
    const [a, b] = [sent(once), sent(paced)];
    expect(a.length).toBe(b.length);
    expect(a).toEqual(b);
    expect(once.fleet.durationMs).toBe((WARMUP_HOURS + REPLAY_HOURS + LIVE_HOURS) * HOUR_MS);
  });

  it("batches never exceed the API's 1000 points", () => {
    const p = planDemo({ hosts: 200, seed: 1, once: true, speed: null }, NOW);
    for (const ph of p.phases) expect(ph.batchSize).toBeLessThanOrEqual(1000);
  });

  it("shifts downtimes like the points", () => {
    const p = planDemo({ hosts: 20, seed: 7, once: true, speed: null }, NOW);
    expect(p.downtime.length).toBeGreaterThan(0);
    for (const d of p.downtime) expect(d.startMs).toBeLessThanOrEqual(NOW);
  });

  it("the default seed sends a few hosts into failures with a visible precursor during the replay", () => {
    const p = planDemo({ hosts: 20, seed: 7, once: false, speed: 300 }, NOW);
    const replay = p.phases[1]!;
    const inReplay = p.downtime.filter(
      (d) =>
        d.precursorStartMs !== null &&
        d.precursorStartMs >= replay.fromMs + p.shiftMs &&
        d.startMs < replay.toMs + p.shiftMs,
    );
    expect(inReplay.length).toBeGreaterThanOrEqual(3);
    expect(new Set(inReplay.map((d) => d.host)).size).toBe(inReplay.length);
  });
});

describe("demoShiftMs", () => {
  it.each([[1], [60], [300], [3000], [100_000], [null]])(
    "at speed %s no point is ahead of the clock when paced out, and the replay ends at about now + its duration",
    (speed) => {
      const plan = planDemo({ hosts: 3, seed: 7, once: true, speed }, NOW);
      const stepMs = plan.fleet.stepSeconds * 1000;
      expect(plan.shiftMs % stepMs).toBe(0);
      const replay = plan.phases[1]!;
      const points = new PhasedPoints(plan.fleet);
      const warm = [...points.take(plan.phases[0]!)];
      const played = [...points.take(replay)];
      // Warm-up goes out first, as fast as possible: all of it is in the past.
      expect(Math.max(...warm.map((p) => p.timestamp)) + plan.shiftMs).toBeLessThan(NOW);
      const first = played[0]!.timestamp;
      let newest = -Infinity;
      for (const p of played) {
        // The earliest moment pacing may send it (the stream starts no earlier than NOW; a tick early at most).
        const sendMs = speed === null ? NOW : NOW + (p.timestamp - first) / speed - TICK_MS;
        const sent = p.timestamp + plan.shiftMs;
        expect(sent).toBeLessThanOrEqual(sendMs + MAX_FUTURE_MS / 10);
        newest = Math.max(newest, sent);
      }
      const replayRealMs = speed === null ? 0 : (REPLAY_HOURS * HOUR_MS) / speed;
      expect(newest).toBeGreaterThan(NOW + replayRealMs - 2 * stepMs - 10_000);
      expect(newest).toBeLessThanOrEqual(NOW + replayRealMs);
    },
  );

  it("depends on the clock only in whole steps", () => {
    const fleet = planDemo({ hosts: 1, seed: 7, once: true, speed: 300 }, NOW).fleet;
    expect(demoShiftMs(fleet, NOW + 60_000, 300) - demoShiftMs(fleet, NOW, 300)).toBe(60_000);
  });
});

describe("PhasedPoints", () => {
  it("cuts the fleet's stream into the phases without losing, repeating or reordering a point", () => {
    const plan = planDemo({ hosts: 3, seed: 7, once: false, speed: null }, NOW);
    const points = new PhasedPoints(plan.fleet);
    const parts = plan.phases.map((ph) => [...points.take(ph)]);
    expect(parts.flat()).toEqual([...fleetPoints(plan.fleet)]);
    plan.phases.forEach((ph, i) => {
      for (const p of parts[i]!) {
        expect(p.timestamp).toBeGreaterThan(ph.fromMs - 30_000);
        expect(p.timestamp).toBeLessThan(ph.toMs + 30_000);
      }
    });
    expect(countPoints(plan.fleet, plan.phases)).toEqual(parts.map((p) => p.length));
    expect([...points.take(plan.phases[1]!)]).toEqual([]);
  });
});

describe("hostMajorPoints", () => {
  it("holds the phase's points host after host, each host's exactly as in the time-ordered stream", () => {
    const plan = planDemo({ hosts: 4, seed: 7, once: true, speed: null }, NOW);
    const warm = plan.phases[0]!;
    const byTime = [...new PhasedPoints(plan.fleet).take(warm)];
    const byHost = [...hostMajorPoints(plan.fleet, warm)];
    expect(byHost).toHaveLength(byTime.length);
    const hosts = byHost.map((p) => p.host);
    expect(hosts).toEqual([...hosts].sort());
    for (const h of new Set(hosts)) {
      expect(byHost.filter((p) => p.host === h)).toEqual(byTime.filter((p) => p.host === h));
    }
  });
});
