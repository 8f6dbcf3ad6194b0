/**
 * The remote_write path live, with real clients only: Debian's prometheus-node-exporter and Prometheus
 * on 127.0.0.1 (temporary data directory, scrape and evaluation every second), the shipped recording
 * rules (edge.rules.yml) and remote_write block (remote-write.yml, its placeholders filled in), sending
 * to the Worker under `wrangler dev`. Within a bounded wait the node appears in GET /hosts with a
 * prediction, and the cpu_usage/memory_usage the edge stored equal what Prometheus recorded at the
 * same timestamp (its query API) and, for memory, what node_exporter reports. Skipped, loudly, when a
 * binary is missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { HostsListingSchema } from "../../contracts/api.ts";
import { HistoryResponseSchema } from "../../contracts/rpc.ts";
import { startDevWorker, type DevWorker } from "../../scripts/ingest/dev-worker.ts";
import { startPrometheus, toolsMissing, type RunningPrometheus } from "../testing/prometheus.ts";
import { prometheusConfig } from "./testing/config.ts";
import {
  nodeExporterPath,
  sampleOf,
  startNodeExporter,
  type RunningNodeExporter,
} from "./testing/node-exporter.ts";
import { until } from "../../scripts/lib/until.ts";

const missing =
  toolsMissing(["prometheus"]) ??
  (nodeExporterPath() === null
    ? "prometheus-node-exporter not found (Debian: apt-get install --no-install-recommends prometheus-node-exporter)"
    : null);
if (missing) console.warn(`\n[prometheus/remote-write/live.test] SKIPPED: ${missing}\n`);

/** The node's host name at the edge: node_exporter's `instance` (127.0.0.1:PORT) without its port. */
const HOST = "127.0.0.1";

const Vector = z.object({
  resultType: z.literal("vector"),
  result: z.array(
    z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) }),
  ),
});

describe.skipIf(missing !== null)("remote_write live: node_exporter → Prometheus → the edge", () => {
  let worker: DevWorker;
  let node: RunningNodeExporter;
  let prom: RunningPrometheus;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "remote-write-live-"));
    [worker, node] = await Promise.all([startDevWorker(), startNodeExporter()]);
    const config = join(dir, "prometheus.yml");
    writeFileSync(config, prometheusConfig({ target: node.target, edgeUrl: worker.url, key: worker.key }));
    prom = await startPrometheus(config);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), node?.stop(), worker?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const get = async <T>(path: string, schema: z.ZodType<T>): Promise<T> => {
    const r = await fetch(`${worker.url}${path}`, {
      headers: { authorization: `Bearer ${worker.key}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return schema.parse(await r.json());
  };

  it("the node appears in GET /hosts with a prediction, its cpu/memory equal Prometheus' recorded ones", async () => {
    const listed = await until("the node in GET /hosts", 120_000, async () => {
      const l = await get("/hosts", HostsListingSchema);
      return l.hosts.find((h) => h.host === HOST);
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nwrangler:\n${worker.dev.tailText()}\nprometheus:\n${prom.log()}`);
    });
    expect(["ok", "warning", "critical"]).toContain(listed.level);
    expect(listed.risk).toBeGreaterThanOrEqual(0);

    // A few points in (evaluations every second, sent in batches), one with both recorded metrics.
    const history = await until("points with cpu_usage and memory_usage", 60_000, async () => {
      const h = await get(`/hosts/${HOST}/history?from=0`, HistoryResponseSchema);
      const full = h.points.filter((p) => p.cpu_usage != null && p.memory_usage != null);
      return full.length >= 3 ? h : undefined;
    });
    expect(history.predictions.length).toBeGreaterThan(0);
    // write_relabel_configs sent only the four names: nothing else became an extra metric.
    for (const p of history.points) expect(p.metrics).toBeUndefined();

    const nodeText = await (await fetch(`${node.url}/metrics`)).text();
    const full = history.points.filter((p) => p.cpu_usage != null && p.memory_usage != null);
    for (const p of full.slice(-3)) {
      const at = (p.timestamp / 1000).toFixed(3);
      for (const name of ["cpu_usage", "memory_usage"] as const) {
        const v = await prom.api(`/api/v1/query?query=${name}&time=${at}`, Vector);
        const sample = v.result.find((s) => s.metric.instance === node.target);
        expect(sample, `${name} at ${at} in Prometheus`).toBeDefined();
        // The same evaluation's sample: equal up to float printing.
        expect(p[name]).toBeCloseTo(Number(sample!.value[1]), 6);
      }
      expect(p.cpu_usage!).toBeGreaterThanOrEqual(0);
      expect(p.cpu_usage!).toBeLessThanOrEqual(100);
    }
    // And memory against node_exporter's own numbers now (memory moves a little between the two).
    const avail = sampleOf(nodeText, "node_memory_MemAvailable_bytes");
    const total = sampleOf(nodeText, "node_memory_MemTotal_bytes");
    expect(avail).not.toBeNull();
    expect(total).not.toBeNull();
    const nodeMemory = 100 * (1 - avail! / total!);
    expect(Math.abs(full.at(-1)!.memory_usage! - nodeMemory)).toBeLessThan(5);

    const prediction = await fetch(`${worker.url}/hosts/${HOST}/prediction`, {
      headers: { authorization: `Bearer ${worker.key}` },
    });
    expect(prediction.status).toBe(200);
  }, 240_000);
});
