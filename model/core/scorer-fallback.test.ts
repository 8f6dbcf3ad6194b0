/**
 * A host's stream with a daylight-saving fall-back hour (the sender stamps local wall time, so an hour
 * of timestamps repeats), exact duplicate points and a gap, through `HostScorer` as the Worker runs it:
 * the resampler drops the points whose step has closed, nothing throws and no number is NaN.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel, type LoadedModel } from "../runtime/node.ts";
import type { RawPoint } from "./offline.ts";
import { HostScorer, type CommittedStep } from "./scorer.ts";

let model: LoadedModel;
beforeAll(async () => {
  model = await loadModel();
});

const MIN = 60_000;
/** 00:00 local on the night of the change (read as UTC, as the sender's clock would print it). */
const T0 = Date.UTC(2026, 9, 25);

function point(t: number, i: number): RawPoint {
  return {
    timestamp: t,
    cpu_usage: 40 + 10 * Math.sin(i / 30) + ((i * 7919) % 7),
    memory_usage: 55 + ((i * 104729) % 5),
    network_latency: 30 + ((i * 31) % 11),
    error_rate: 0.002,
  };
}

/** 00:00–01:59 every minute, 01:00–01:59 again (fall-back), then 02:00–03:59 with two duplicates. */
function fallBackStream(): RawPoint[] {
  const out: RawPoint[] = [];
  let i = 0;
  for (let m = 0; m < 120; m++) out.push(point(T0 + m * MIN, i++));
  for (let m = 60; m < 120; m++) out.push(point(T0 + m * MIN, i++));
  for (let m = 120; m < 240; m++) {
    const p = point(T0 + m * MIN, i++);
    out.push(p);
    if (m === 150 || m === 200) out.push({ ...p });
  }
  // A gap of two days, then another hour.
  for (let m = 0; m < 60; m++) out.push(point(T0 + 2 * 86_400_000 + (240 + m) * MIN, i++));
  return out;
}

describe("HostScorer on a stream with a fall-back hour", () => {
  it.each([1, 7])(
    "drops the repeated hour as late points and stays finite (batches of %i)",
    async (batch) => {
      const steps: CommittedStep[] = [];
      const s = HostScorer.create("dst-1", { ...model.options, onStep: (st) => steps.push(st) });
      const stream = fallBackStream();
      let accepted = 0;
      const mask: boolean[] = [];
      for (let i = 0; i < stream.length; i += batch) {
        const r = await s.ingest(stream.slice(i, i + batch));
        accepted += r.accepted;
        mask.push(...r.acceptedMask);
        const p = r.prediction;
        expect(p).not.toBeNull();
        for (const v of Object.values(p!.risk)) expect(v >= 0 && v <= 1, `risk ${v}`).toBe(true);
        for (const [m, v] of Object.entries(p!.anomaly))
          expect(v === null || (v >= 0 && v <= 1), `${m} anomaly ${String(v)}`).toBe(true);
      }
      // Buckets are centred on the first point (each minute's point sits mid-bucket), so the repeated
      // 01:59 joins the still-open 01:59 step and the 59 points before it are late; the duplicates
      // of 02:30 and 03:20 join their own open steps and are averaged away.
      expect(s.droppedLate).toBe(59);
      expect(accepted).toBe(stream.length - 59);
      expect(mask.slice(120, 179).every((a) => !a)).toBe(true);
      expect(mask[179]).toBe(true);
      // Committed steps move forward in time only, one per minute up to the gap, and stay finite.
      for (let k = 1; k < steps.length; k++)
        expect(steps[k]!.bucketStartMs).toBeGreaterThan(steps[k - 1]!.bucketStartMs);
      for (const st of steps) {
        for (const r of st.risk) expect(Number.isFinite(r) && r >= 0 && r <= 1).toBe(true);
        for (const a of st.anomaly) expect(Number.isFinite(a) && a >= 0 && a <= 1).toBe(true);
      }
      expect(steps.filter((st) => st.bucketStartMs < T0 + 240 * MIN)).toHaveLength(240);
    },
  );
});
