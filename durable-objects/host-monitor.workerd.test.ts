import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { StoredPoint } from "../contracts/points.ts";
import { LazyOnce, loadEdgeModel } from "../model/runtime/workerd.ts";
import type { IngestResponse } from "../contracts/rpc.ts";
import type { HostMonitor } from "./host-monitor.ts";
import { decodeState } from "./host-store.ts";
import { evict } from "./testing/evict.ts";
import { simulateHost } from "../simulator/fleet.ts";

function stub(host: string, tenant = "acme") {
  return env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(`${tenant}/${host}`));
}

/**
 * A simulated host (seed 5: a memory leak at 8.2 h, CPU saturations at 15.4 h and 19.1 h), shifted so
 * its last point is just before now.
 */
function simulated(hours: number): StoredPoint[] {
  const sim = simulateHost({ seed: 5, hosts: 1, days: 1, failuresPerHostDay: 3 }, 0);
  const pts = sim.points.slice(0, hours * 60);
  const shift = Date.now() - 1000 - pts[pts.length - 1]!.timestamp;
  return pts.map((p) => ({
    timestamp: p.timestamp + shift,
    cpu_usage: p.cpu_usage,
    memory_usage: p.memory_usage,
    network_latency: p.network_latency,
    error_rate: p.error_rate,
  }));
}

async function feed(
  s: ReturnType<typeof stub>,
  host: string,
  pts: StoredPoint[],
  batch: number,
): Promise<IngestResponse[]> {
  const out: IngestResponse[] = [];
  for (let i = 0; i < pts.length; i += batch) {
    out.push((await s.ingest({ tenant: "acme", host, points: pts.slice(i, i + batch) })) as IngestResponse);
  }
  return out;
}

describe("HostMonitor persistence", () => {
  it("after eviction the next prediction is identical to an uninterrupted object's", async () => {
    const pts = simulated(8);
    const a = stub("persist-a");
    const b = stub("persist-b");
    const half = 300;
    await feed(a, "persist-a", pts.slice(0, half), 50);
    await feed(b, "persist-b", pts.slice(0, half), 50);
    await evict(b, () => stub("persist-b")); // in-memory scorer, model handle and caches gone; storage kept
    const ra = await feed(a, "persist-a", pts.slice(half), 37);
    const rb = await feed(stub("persist-b"), "persist-b", pts.slice(half), 37);
    const strip = (r: IngestResponse) => ({ ...r.prediction, host: "-" });
    expect(rb.map(strip)).toEqual(ra.map(strip));
    expect(rb[rb.length - 1]!.prediction!.steps_seen).toBeGreaterThan(400);
    // And again, evicting between every call.
    const rc: IngestResponse[] = [];
    for (let i = 0; i < pts.length; i += 97) {
      rc.push(...(await feed(stub("persist-c"), "persist-c", pts.slice(i, i + 97), 97)));
      await evict(stub("persist-c"), () => stub("persist-c"));
    }
    const d = stub("persist-d");
    const rd = await feed(d, "persist-d", pts, 97);
    expect(rc.map(strip)).toEqual(rd.map(strip));
  });

  it("restores a state stored in the old all-JSON form identically, and moves it to the new form", async () => {
    const pts = simulated(6);
    const a = stub("legacy-a");
    const b = stub("legacy-b");
    await feed(a, "legacy-a", pts.slice(0, 200), 50);
    await feed(b, "legacy-b", pts.slice(0, 200), 50);
    // Rewrite b's state as an object written before the scorer table existed would hold it.
    const legacyBytes = await runInDurableObject(b, (_o: HostMonitor, state) => {
      const sql = state.storage.sql;
      const row = sql
        .exec<{ json: string; nums: ArrayBuffer }>("SELECT json, nums FROM scorer WHERE id = 1")
        .one();
      const json = JSON.stringify(decodeState(row.json, row.nums));
      sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES ('scorer', ?)", json);
      sql.exec("DELETE FROM scorer");
      return json.length;
    });
    expect(legacyBytes).toBeGreaterThan(10_000);
    await evict(b, () => stub("legacy-b"));
    const ra = await feed(a, "legacy-a", pts.slice(200), 45);
    const rb = await feed(stub("legacy-b"), "legacy-b", pts.slice(200), 45);
    const strip = (r: IngestResponse) => ({ ...r.prediction, host: "-" });
    expect(rb.map(strip)).toEqual(ra.map(strip));
    const rows = await runInDurableObject(stub("legacy-b"), (_o: HostMonitor, state) => ({
      kv: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM kv WHERE k = 'scorer'").one().n,
      scorer: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM scorer").one().n,
    }));
    expect(rows).toEqual({ kv: 0, scorer: 1 });
  });

  it("writes points, one prediction per call and alert transitions to the outbox, in order", async () => {
    const pts = simulated(20);
    const s = stub("outbox-1");
    const res = await feed(s, "outbox-1", pts, 100);
    const levels = res.map((r) => r.prediction!.level);
    const rows = await runInDurableObject(s, (_o: HostMonitor, state) =>
      state.storage.sql
        .exec<{ seq: number; topic: string; ts: number }>("SELECT seq, topic, ts FROM events ORDER BY seq")
        .toArray(),
    );
    // One metrics event per call (holding its points), one prediction per call.
    expect(rows.filter((r) => r.topic === "metrics")).toHaveLength(res.length);
    expect(rows.filter((r) => r.topic === "predictions")).toHaveLength(res.length);
    const stored = await runInDurableObject(s, (_o: HostMonitor, state) =>
      state.storage.sql
        .exec<{ body: string }>("SELECT body FROM events WHERE topic = 'metrics' ORDER BY seq")
        .toArray()
        .flatMap((r) =>
          (JSON.parse(r.body) as { points: { timestamp: number }[] }).points.map((p) => p.timestamp),
        ),
    );
    expect(stored).toEqual(pts.map((p) => p.timestamp));
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    const alerts = rows.filter((r) => r.topic === "alerts");
    // Three failures in 20 h: the host is warned about and recovers, so there are transitions.
    expect(levels.some((l) => l !== "ok")).toBe(true);
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    // Transitions are recorded step by step, so they chain: ok → warning → … → each `from` is the
    // previous `to`, and their times are the steps at which the level changed.
    const bodies = await runInDurableObject(s, (_o: HostMonitor, state) =>
      state.storage.sql
        .exec<{ body: string }>("SELECT body FROM events WHERE topic = 'alerts' ORDER BY seq")
        .toArray()
        .map((r) => JSON.parse(r.body) as { from: string; to: string; at: string }),
    );
    expect(bodies[0]!.from).toBe("ok");
    for (let i = 1; i < bodies.length; i++) {
      expect(bodies[i]!.from).toBe(bodies[i - 1]!.to);
      expect(Date.parse(bodies[i]!.at)).toBeGreaterThan(Date.parse(bodies[i - 1]!.at));
    }
    const metricTs = rows.filter((r) => r.topic === "metrics").map((r) => r.ts);
    expect(metricTs).toEqual([...metricTs].sort((x, y) => x - y));
  });

  it("embedded default: no flush, an alarm only for retention", async () => {
    const s = stub("embedded-1");
    await feed(s, "embedded-1", simulated(1), 60);
    const status = await s.sinkStatus();
    expect(status).toMatchObject({ kind: "embedded", pending: 0, attempts: 0 });
    const alarm = await runInDurableObject(s, (_o: HostMonitor, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeGreaterThan(30 * 60_000);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    const n = await runInDurableObject(
      s,
      (_o: HostMonitor, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM events").one().n,
    );
    expect(n).toBe(2); // one metrics + one prediction event, kept (retention is 7 days)
  });

  it("rejects RPC input the Worker should never send", async () => {
    const s = stub("rpc-1");
    const failure = async (input: unknown) => {
      try {
        await s.ingest(input);
        return null;
      } catch (e) {
        return String(e);
      }
    };
    expect(
      await failure({ tenant: "acme", host: "rpc-1", points: [{ timestamp: 1, cpu_usage: 200 }] }),
    ).toMatch(/cpu_usage/);
    expect(await failure({ tenant: "acme", host: "bad host", points: [] })).toMatch(/host/);
    expect(await s.prediction()).toBeNull();
  });
});

describe("model loading in workerd", () => {
  it("a failed initialisation is retried cleanly on the next call", async () => {
    let attempts = 0;
    const lazy = new LazyOnce(async () => {
      attempts++;
      // The first attempt gets a corrupt graph, the second the real one.
      return attempts === 1 ? loadEdgeModel(new Uint8Array([1, 2, 3, 4])) : loadEdgeModel();
    });
    await expect(lazy.get()).rejects.toThrow(/ONNX/);
    expect(lazy.ready).toBe(false);
    expect(String(lazy.error)).toMatch(/ONNX/);
    const [m1, m2] = await Promise.all([lazy.get(), lazy.get()]);
    expect(m1).toBe(m2);
    expect(attempts).toBe(2);
    expect(lazy.ready).toBe(true);
    expect(m1.meta.version).toMatch(/^\d{8}-/);
  });
});
