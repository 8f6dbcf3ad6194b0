/**
 * Benchmark 3 — the edge budget: gzip bundle size (`wrangler deploy --dry-run`, never a deploy),
 * first-inference cold start of a fresh `wrangler dev`, and memory (workerd RSS idle vs after N hosts
 * have state).
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import { simulateHost } from "../../../simulator/fleet.ts";
import { BenchError } from "./errors.ts";
import { requestJson } from "./http.ts";
import type { BenchDev } from "./proc.ts";
import { bundleWorker } from "./setup.ts";

export interface BundleFile {
  file: string;
  kind: "module" | "sourcemap" | "other";
  bytes: number;
  gzip_bytes: number;
}

export interface BundleReport {
  command: string;
  files: BundleFile[];
  /** Sum over modules (the Worker script, the wasm, the ONNX model), gzip level 9 per file. */
  modules_bytes: number;
  modules_gzip_bytes: number;
  /** wrangler's own "Total Upload: … / gzip: …" line, KiB. */
  wrangler_total_kib: number | null;
  wrangler_gzip_kib: number | null;
}

/**
 * Bundles the real Worker (root wrangler.toml) with `wrangler deploy --dry-run --outdir` and gzips every
 * emitted file. The same bundle is then served by wrangler dev for the other measurements.
 */
export async function measureBundle(root: string, outdir: string): Promise<BundleReport> {
  rmSync(outdir, { recursive: true, force: true });
  const { command, output } = await bundleWorker(root, join(root, "wrangler.toml"), outdir);
  const files: BundleFile[] = readdirSync(outdir)
    .filter((f) => statSync(join(outdir, f)).isFile())
    .sort()
    .map((file) => {
      const buf = readFileSync(join(outdir, file));
      const kind = file.endsWith(".map")
        ? "sourcemap"
        : /\.(js|mjs|wasm|onnx)$/.test(file)
          ? "module"
          : "other";
      return { file, kind, bytes: buf.byteLength, gzip_bytes: gzipSync(buf, { level: 9 }).byteLength };
    });
  if (!files.some((f) => f.file.endsWith(".wasm")) || !files.some((f) => f.file.endsWith(".onnx"))) {
    throw new BenchError(
      "DRY_RUN_FAILED",
      `dry run emitted no .wasm or .onnx module: ${files.map((f) => f.file).join(", ")}`,
    );
  }
  const modules = files.filter((f) => f.kind === "module");
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
  return {
    command: command.split(root + "/").join(""),
    files,
    modules_bytes: modules.reduce((s, f) => s + f.bytes, 0),
    modules_gzip_bytes: modules.reduce((s, f) => s + f.gzip_bytes, 0),
    wrangler_total_kib: m ? Number(m[1]) : null,
    wrangler_gzip_kib: m ? Number(m[2]) : null,
  };
}

const MetricsAnswer = z.object({ accepted: z.number().int() }).loose();
const HealthAnswer = z.object({
  status: z.string(),
  model_version: z.string(),
  inference: z.object({ ready: z.boolean(), load_ms: z.number().nullable(), error: z.string().nullable() }),
});

export interface ColdStart {
  /** wrangler dev spawn → first HTTP answer of the Worker (bundling included), ms. */
  wrangler_ready_ms: number;
  /** Client-side time of the first POST /metrics of the fresh process (loads the model), ms. */
  first_post_ms: number;
  /** The isolate's own `InferenceSession` creation time as GET /health reports it (`load_ms`). */
  load_ms: number;
  /** A second POST /metrics to a new host (model loaded, new object), ms. */
  second_post_new_host_ms: number;
  /** A third POST /metrics to the first host again (warm object), ms. */
  warm_post_ms: number;
}

function onePoint(host: string, tsMs: number) {
  return {
    host,
    timestamp: tsMs,
    cpu_usage: 41.5,
    memory_usage: 63.2,
    network_latency: 24,
    error_rate: 0.002,
  };
}

/** First-inference cold start on a fresh `wrangler dev` that has answered nothing but a 404 probe. */
export async function measureColdStart(dev: BenchDev, apiKey: string): Promise<ColdStart> {
  const headers = { authorization: `Bearer ${apiKey}` };
  const now = Date.now();
  const first = await requestJson(`${dev.url}/metrics`, MetricsAnswer, {
    body: onePoint("cold-a", now - 120_000),
    headers,
  });
  const health = await requestJson(`${dev.url}/health`, HealthAnswer);
  if (!health.body.inference.ready || health.body.inference.load_ms === null) {
    throw new BenchError("HTTP", `GET /health: inference not ready: ${health.body.inference.error ?? "?"}`);
  }
  const second = await requestJson(`${dev.url}/metrics`, MetricsAnswer, {
    body: onePoint("cold-b", now - 120_000),
    headers,
  });
  const warm = await requestJson(`${dev.url}/metrics`, MetricsAnswer, {
    body: onePoint("cold-a", now - 60_000),
    headers,
  });
  for (const r of [first, second, warm]) {
    if (r.body.accepted !== 1)
      throw new BenchError("HTTP", `cold-start POST /metrics accepted ${r.body.accepted}/1`);
  }
  return {
    wrangler_ready_ms: dev.startMs,
    first_post_ms: first.ms,
    load_ms: health.body.inference.load_ms,
    second_post_new_host_ms: second.ms,
    warm_post_ms: warm.ms,
  };
}

export interface RssSample {
  /** RSS per workerd process of the wrangler dev, bytes, and their sum. */
  per_process: { pid: number; role: "runtime" | "proxy"; rss_bytes: number }[];
  total_bytes: number;
}

export function sampleRss(dev: BenchDev): RssSample {
  const procs = dev.workerd();
  if (procs.length === 0)
    throw new BenchError("WRANGLER_FAILED", "no workerd process found in wrangler dev's process group");
  const per = procs.map((p) => ({
    pid: p.pid,
    // wrangler dev runs two workerd: its proxy and the runtime of the Worker (the one with an inspector).
    role: p.command.includes("--inspector-addr") ? ("runtime" as const) : ("proxy" as const),
    rss_bytes: p.rssBytes,
  }));
  return { per_process: per, total_bytes: per.reduce((s, p) => s + p.rss_bytes, 0) };
}

export interface MemoryReport {
  hosts: number;
  points_per_host: number;
  idle_fresh: RssSample;
  after_model: RssSample;
  after_hosts: RssSample;
  /** (runtime RSS after hosts − after model) / hosts, bytes. */
  runtime_bytes_per_host: number;
}

/** Gives `hosts` new hosts `pointsPerHost` consecutive minutes each (1000-point requests), then samples RSS. */
export async function loadHosts(
  dev: BenchDev,
  apiKey: string,
  hosts: number,
  pointsPerHost: number,
  seed: number,
  prefix: string,
): Promise<void> {
  const endMs = Math.floor(Date.now() / 60_000) * 60_000;
  const startMs = endMs - pointsPerHost * 60_000;
  const all = [];
  for (let h = 0; h < hosts; h++) {
    const sim = simulateHost({ seed, hosts, days: (pointsPerHost * 1.3) / 1440 + 0.1 }, h).points;
    for (let m = 0; m < pointsPerHost; m++) {
      const v = sim[m % sim.length]!;
      all.push({
        host: `${prefix}-${h}`,
        timestamp: startMs + m * 60_000,
        cpu_usage: v.cpu_usage,
        memory_usage: v.memory_usage,
        network_latency: v.network_latency,
        error_rate: v.error_rate,
      });
    }
  }
  const headers = { authorization: `Bearer ${apiKey}` };
  const hostsPerRequest = Math.max(1, Math.floor(1000 / pointsPerHost));
  for (let i = 0; i < all.length; i += hostsPerRequest * pointsPerHost) {
    const chunk = all.slice(i, i + hostsPerRequest * pointsPerHost);
    const r = await requestJson(`${dev.url}/metrics`, MetricsAnswer, { body: { points: chunk }, headers });
    if (r.body.accepted !== chunk.length)
      throw new BenchError("HTTP", `memory load: accepted ${r.body.accepted}/${chunk.length}`);
  }
}

export function runtimeRss(s: RssSample): number {
  return s.per_process.filter((p) => p.role === "runtime").reduce((a, p) => a + p.rss_bytes, 0);
}
