import { beforeAll, describe, expect, it } from "vitest";
import { loadModel, type LoadedModel } from "../runtime/node.ts";
import { parseFleetConfig, simulateHost } from "../../simulator/fleet.ts";
import { N_FEATURES } from "./features.ts";
import { HostScorer, type ScorerOptions, type ScorerState } from "./scorer.ts";

// Runs the committed artifact (model/artifacts) through onnxruntime-web, as the edge will.
let model: LoadedModel;
beforeAll(async () => {
  model = await loadModel();
});

const fleet = parseFleetConfig({
  seed: 4242,
  hosts: 40,
  days: 1,
  failuresPerHostDay: 2,
  families: ["memory_leak"],
});
const point = (t: number, cpu = 40, mem = 55, lat = 30, err = 0.002) => ({
  timestamp: t,
  cpu_usage: cpu,
  memory_usage: mem,
  network_latency: lat,
  error_rate: err,
});

describe("HostScorer", () => {
  it("answers the seed's single point with a complete prediction", async () => {
    const s = HostScorer.create("web-1", model.options);
    const { prediction } = await s.ingest([point(Date.UTC(2026, 0, 1), 75.5, 82.3, 120, 0.05)]);
    expect(prediction).not.toBeNull();
    const p = prediction!;
    expect(Object.keys(p.risk)).toEqual(model.meta.horizons_minutes.map((m) => `${m}m`));
    for (const r of Object.values(p.risk)) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(1);
    }
    expect(["ok", "warning", "critical"]).toContain(p.level);
    expect(Object.keys(p.anomaly).sort()).toEqual([
      "cpu_usage",
      "error_rate",
      "memory_usage",
      "network_latency",
    ]);
    expect(p.model_version).toBe(model.meta.version);
    expect(p.as_of).toBe(new Date(Date.UTC(2026, 0, 1)).toISOString());
  });

  it("gives identical predictions after a save/restore mid-stream (what a DO eviction does)", async () => {
    const sim = simulateHost(fleet, 3);
    const a = HostScorer.create(sim.host, model.options);
    const half = Math.floor(sim.points.length / 2);
    for (let i = 0; i < half; i += 17) await a.ingest(sim.points.slice(i, Math.min(i + 17, half)));
    const saved = JSON.parse(JSON.stringify(a.toJSON())) as ScorerState;
    const b = HostScorer.restore(saved, model.options);
    for (let i = half; i < half + 200; i += 10) {
      const batch = sim.points.slice(i, i + 10);
      const [pa, pb] = [await a.ingest(batch), await b.ingest(batch)];
      expect(pb).toEqual(pa);
    }
  });

  it("predicts the same with or without the commit-and-peek graph", async () => {
    const sim = simulateHost(fleet, 11);
    const { runCommitAndPeek: _, ...plain } = model.options.model;
    const a = HostScorer.create(sim.host, model.options);
    const b = HostScorer.create(sim.host, { ...model.options, model: plain });
    for (const [i, size] of [0, 1, 7, 30, 31, 100, 3].entries()) {
      const batch = sim.points.slice(i * 200, i * 200 + size);
      const [pa, pb] = [await a.ingest(batch), await b.ingest(batch)];
      for (const k of Object.keys(pa.prediction?.risk ?? {}))
        expect(pa.prediction!.risk[k]).toBeCloseTo(pb.prediction!.risk[k]!, 6);
      expect(pa.prediction?.level).toBe(pb.prediction?.level);
    }
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it("restores states written with one array per replay row (the older form) to the same predictions", async () => {
    const sim = simulateHost(fleet, 9);
    const a = HostScorer.create(sim.host, model.options);
    for (let i = 0; i < 400; i += 13) await a.ingest(sim.points.slice(i, i + 13));
    const { values, ...replay } = a.toJSON().replay;
    const rows: number[][] = [];
    for (let o = 0; o < values!.length; o += N_FEATURES) rows.push(values!.slice(o, o + N_FEATURES));
    expect(rows.length).toBeGreaterThanOrEqual(30);
    const older = JSON.parse(JSON.stringify({ ...a.toJSON(), replay: { ...replay, rows } })) as ScorerState;
    const b = HostScorer.restore(older, model.options);
    expect(b.toJSON()).toEqual(a.toJSON());
    for (let i = 400; i < 520; i += 8) {
      const batch = sim.points.slice(i, i + 8);
      expect(await b.ingest(batch)).toEqual(await a.ingest(batch));
    }
  });

  it("peeking the open step changes nothing: the same stream gives the same result however it is batched", async () => {
    const sim = simulateHost(fleet, 5);
    const pts = sim.points.slice(0, 300);
    const one = HostScorer.create(sim.host, model.options);
    for (const p of pts) await one.ingest([p]);
    const many = HostScorer.create(sim.host, model.options);
    for (let i = 0; i < pts.length; i += 50) await many.ingest(pts.slice(i, i + 50));
    const [p1, p2] = [await one.predict(), await many.predict()];
    expect(p2!.steps_seen).toBe(p1!.steps_seen);
    for (const k of Object.keys(p1!.risk)) expect(p2!.risk[k]).toBeCloseTo(p1!.risk[k]!, 5);
    expect(p2!.anomaly).toEqual(p1!.anomaly);
  });

  it("replays from a state 30–59 steps back with at most two model calls per ingest, whatever the batch sizes", async () => {
    const sim = simulateHost(fleet, 7);
    let calls = 0;
    const m = model.options.model;
    expect(m.runCommitAndPeek).toBeDefined(); // the committed artifact ships the commit-and-peek graph
    const counting: ScorerOptions = {
      ...model.options,
      model: {
        ...m,
        run: (x, steps, state) => {
          calls++;
          return m.run(x, steps, state);
        },
        runCommitAndPeek: (x, steps, state) => {
          calls++;
          return m.runCommitAndPeek!(x, steps, state);
        },
      },
    };
    const s = HostScorer.create(sim.host, counting);
    // Batch sizes cycle through one-point, small, spacing-sized and larger-than-replay calls.
    const sizes = [1, 1, 3, 7, 14, 15, 16, 29, 30, 31, 45, 100, 2, 1];
    let i = 0;
    for (let n = 0; i < 1500; n++) {
      const size = sizes[n % sizes.length]!;
      const before = calls;
      const r = await s.ingest(sim.points.slice(i, i + size));
      i += size;
      // One call commits and evaluates the open step; a batch longer than the replay distance is split once.
      expect(calls - before).toBe(r.committedSteps > 30 ? 2 : 1);
      const st = s.toJSON();
      const age = st.stepsSeen - st.replay.snapshots[0]!.step;
      if (st.stepsSeen >= 30) {
        expect(age).toBeGreaterThanOrEqual(30);
        expect(age).toBeLessThan(60);
      }
      expect(st.replay.values).toHaveLength(age * N_FEATURES);
      expect(st.replay.snapshots.length).toBeLessThanOrEqual(5);
    }
  });

  it("starts over when the saved state belongs to another model version", async () => {
    const s = HostScorer.create("h", model.options);
    await s.ingest([point(0), point(60_000), point(120_000)]);
    const saved = { ...s.toJSON(), modelVersion: "some-older-model" };
    const r = HostScorer.restore(saved, model.options);
    expect(await r.predict()).toBeNull();
  });

  it("drops late points deterministically and counts them", async () => {
    const s = HostScorer.create("h", model.options);
    await s.ingest([point(5 * 60_000)]);
    const r = await s.ingest([point(60_000)]);
    expect(r.accepted).toBe(0);
    expect(s.droppedLate).toBe(1);
  });

  it("raises a warning before most memory-leak downtimes and names memory as a driver", async () => {
    let warned = 0;
    let total = 0;
    let memoryFirst = 0;
    for (let h = 0; h < fleet.hosts && total < 10; h++) {
      const sim = simulateHost(fleet, h);
      const s = HostScorer.create(sim.host, model.options);
      for (const d of sim.downtime) {
        total++;
        const before = sim.points.filter((p) => p.timestamp < d.startMs);
        let sawWarning = false;
        let top: string | undefined;
        // Feed everything up to the downtime in 10-point batches, watching the last 45 minutes.
        const start = before.findIndex((p) => p.timestamp >= d.startMs - 45 * 60_000);
        for (let i = 0; i < before.length; i += 10) {
          const r = await s.ingest(before.slice(i, i + 10));
          if (i >= start && r.prediction && r.prediction.level !== "ok") {
            sawWarning = true;
            top ??= r.prediction.contributors[0]?.metric;
          }
        }
        if (sawWarning) warned++;
        if (top === "memory_usage") memoryFirst++;
        await s.ingest(sim.points.filter((p) => p.timestamp >= d.endMs && p.timestamp < d.endMs + 60_000));
        break; // one event per host keeps the test short
      }
    }
    console.log(`memory leaks: ${warned}/${total} warned within 45 min, memory top driver in ${memoryFirst}`);
    expect(total).toBe(10);
    expect(warned / total).toBeGreaterThanOrEqual(0.8);
    expect(memoryFirst / Math.max(1, warned)).toBeGreaterThanOrEqual(0.6);
  });
});
