/**
 * `npm run bench:ingest`: ingest cost per point for each way in — our JSON (`POST /metrics`),
 * Prometheus remote_write (`POST /api/v1/write`) and OTLP/HTTP (`POST /v1/metrics`, protobuf and
 * JSON) — on the same points, in the same run.
 *
 * 1. Parse cost in Node: the Worker's pure decoding + mapping + validation per point (parse.ts).
 * 2. End to end against the real Worker under `wrangler dev` (embedded default, Durable Objects
 *    storing and scoring): each way sends the same simulated points (same values and timestamps, its
 *    own host names so nothing is a duplicate), phases interleaved and rotated per round so load from
 *    elsewhere on the machine hits every way alike. Target: each way ≥ 0.8× the JSON path's points/s.
 *
 * Options: --rounds N (3) --requests N per client and phase (8) --clients N (2) --points N per
 * request (1000) --hosts N per request (10) --seed N, plus the results options below.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { ExportMetricsServiceResponseSchema } from "../../worker/formats/gen/opentelemetry/metrics_pb.ts";
import { ROOT, startDevWorker, type DevWorker } from "../ingest/dev-worker.ts";
import { buildBatches, type IngestShape } from "./edge/ingest.ts";
import { body, HEADERS, ROUTE, size, WAYS, type Way } from "./ingest/bodies.ts";
import { parseCost, type ParseCost } from "./ingest/parse.ts";
import { RESULTS_USAGE, resultsNote, resultsTarget } from "./results.ts";

const TARGET_RATIO = 0.8;
const BENCH_DIR = join(ROOT, ".data", "bench-ingest");

/**
 * wrangler.toml for the bench, in .data/bench-ingest/: the project's config with `main` relative to
 * there, without the status page's [assets]/[build] (project-relative paths the bench does not need),
 * and the tenant rate limit raised — every object call counts against it, and a 1000-point request to
 * 10 hosts is 10 calls, so the default 600 per 10 s would throttle the bench, not measure it.
 */
function benchConfig(): string {
  let text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  text = text.replace(/^main = "([^"]+)"/m, (_, main: string) => `main = "../../${main}"`);
  text = text.replace(/^\[(assets|build)\]\n(?:(?!\[)[^\n]*\n)*/gm, "");
  const limit = /(name = "RATE_LIMITER"\n(?:[^\n[]*\n)*?simple = \{ limit = )\d+/;
  if (!limit.test(text))
    throw new Error("wrangler.toml: no RATE_LIMITER `simple = { limit = N … }` line to raise");
  text = text.replace(limit, "$11000000");
  mkdirSync(BENCH_DIR, { recursive: true });
  const file = join(BENCH_DIR, "wrangler.toml");
  writeFileSync(file, text);
  return file;
}

interface Client {
  bodies: (Uint8Array | string)[];
  points: number[];
  next: number;
}

interface WayResult {
  way: Way;
  route: string;
  requests: number;
  points: number;
  elapsed_ms: number;
  points_per_s: number;
  us_per_point: number;
  bytes_per_point: number;
  latency_ms: { p50: number; p95: number; max: number };
  ratio_vs_json: number;
}

/** Sends one request and checks the answer says every point was stored. */
async function send(
  base: string,
  key: string,
  way: Way,
  b: Uint8Array | string,
  points: number,
): Promise<void> {
  const res = await fetch(`${base}${ROUTE[way]}`, {
    method: "POST",
    headers: { ...HEADERS[way], authorization: `Bearer ${key}` },
    body: b,
    signal: AbortSignal.timeout(300_000),
  });
  const fail = async (why: string) =>
    new Error(`${way}: ${why} (HTTP ${res.status}: ${(await res.text().catch(() => "")).slice(0, 300)})`);
  if (way === "json") {
    if (res.status !== 200) throw await fail("not 200");
    const a = (await res.json()) as { accepted?: number };
    if (a.accepted !== points) throw new Error(`json: accepted ${a.accepted} of ${points}`);
  } else if (way === "remote_write") {
    if (res.status !== 204) throw await fail("not 204");
    const accepted = Number(res.headers.get("x-samples-accepted"));
    if (accepted !== points * 4) throw new Error(`remote_write: ${accepted} samples of ${points * 4}`);
  } else {
    if (res.status !== 200) throw await fail("not 200");
    const bytes = new Uint8Array(await res.arrayBuffer());
    const partial =
      way === "otlp_protobuf"
        ? fromBinary(ExportMetricsServiceResponseSchema, bytes).partialSuccess
        : (JSON.parse(new TextDecoder().decode(bytes)) as { partialSuccess?: unknown }).partialSuccess;
    if (partial !== undefined) throw new Error(`${way}: partial success ${JSON.stringify(partial)}`);
  }
}

async function phase(
  base: string,
  key: string,
  way: Way,
  clients: Client[],
  requests: number,
): Promise<{ points: number; ms: number; latencies: number[] }> {
  const latencies: number[] = [];
  let points = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (let n = 0; n < requests && c.next < c.bodies.length; n++, c.next++) {
        const t = performance.now();
        await send(base, key, way, c.bodies[c.next]!, c.points[c.next]!);
        latencies.push(performance.now() - t);
        points += c.points[c.next]!;
      }
    }),
  );
  return { points, ms: performance.now() - t0, latencies };
}

const q = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: "string", default: "3" },
      requests: { type: "string", default: "8" },
      clients: { type: "string", default: "2" },
      points: { type: "string", default: "1000" },
      hosts: { type: "string", default: "10" },
      seed: { type: "string", default: "20261205" },
      "write-results": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      `npm run bench:ingest -- [--rounds N] [--requests N] [--clients N] [--points N] [--hosts N]\n${RESULTS_USAGE}`,
    );
    return 0;
  }
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);
  const clientsN = Number(values.clients);
  const seed = Number(values.seed);
  const shape: IngestShape = {
    points: Number(values.points),
    hosts: Number(values.hosts),
    maxRequestsPerPhase: requests,
  };
  const target = resultsTarget(ROOT, { out: values.out, writeResults: values["write-results"] });
  const started = new Date();
  const load0 = loadavg();
  const t0 = performance.now();

  // Same points for every way: same seed, same end time; only the host names differ.
  const endMs = Date.now() - 60_000;
  const warmup = 1;
  const perClient = warmup + rounds * requests;
  const batchesOf = (way: Way, c: number) =>
    buildBatches(shape, perClient, `${way.replace("_", "")}-c${c}`, seed + c, endMs);
  const clients = new Map<Way, Client[]>();
  for (const way of WAYS) {
    clients.set(
      way,
      Array.from({ length: clientsN }, (_, c) => {
        const batches = batchesOf(way, c);
        return { bodies: batches.map((b) => body(way, b)), points: batches.map((b) => b.length), next: 0 };
      }),
    );
  }

  // 1. Parse cost in Node.
  console.log("bench:ingest: parse cost in Node …");
  const parse: ParseCost[] = WAYS.map((way) =>
    parseCost(way, clients.get(way)![0]!.bodies.slice(0, 4), 2000),
  );
  for (const p of parse) console.log(`  ${p.way}: ${p.us_per_point.toFixed(2)} µs/point`);

  // 2. End to end under wrangler dev.
  console.log("bench:ingest: starting wrangler dev …");
  const worker: DevWorker = await startDevWorker({ config: benchConfig() });
  const acc = new Map<Way, { points: number; ms: number; latencies: number[]; requests: number }>();
  try {
    for (const way of WAYS) await phase(worker.url, worker.key, way, clients.get(way)!, warmup);
    for (let r = 0; r < rounds; r++) {
      const order = WAYS.map((_, i) => WAYS[(i + r) % WAYS.length]!);
      for (const way of order) {
        const res = await phase(worker.url, worker.key, way, clients.get(way)!, requests);
        const a = acc.get(way) ?? { points: 0, ms: 0, latencies: [], requests: 0 };
        a.points += res.points;
        a.ms += res.ms;
        a.latencies.push(...res.latencies);
        a.requests += res.latencies.length;
        acc.set(way, a);
        console.log(`  round ${r + 1} ${way}: ${((res.points / res.ms) * 1000).toFixed(0)} points/s`);
      }
    }
  } finally {
    await worker.stop();
  }
  const jsonRate = (acc.get("json")!.points / acc.get("json")!.ms) * 1000;
  const results: WayResult[] = WAYS.map((way) => {
    const a = acc.get(way)!;
    const lat = [...a.latencies].sort((x, y) => x - y);
    const rate = (a.points / a.ms) * 1000;
    const bodies = clients.get(way)![0]!;
    return {
      way,
      route: ROUTE[way],
      requests: a.requests,
      points: a.points,
      elapsed_ms: Math.round(a.ms),
      points_per_s: Math.round(rate),
      us_per_point: Number(((a.ms * 1000) / a.points).toFixed(1)),
      bytes_per_point: Number((size(bodies.bodies[0]!) / bodies.points[0]!).toFixed(1)),
      latency_ms: {
        p50: Number(q(lat, 0.5).toFixed(1)),
        p95: Number(q(lat, 0.95).toFixed(1)),
        max: Number((lat.at(-1) ?? 0).toFixed(1)),
      },
      ratio_vs_json: Number((rate / jsonRate).toFixed(2)),
    };
  });

  const load1 = loadavg();
  const report = {
    command: `npm run bench:ingest -- ${argv.join(" ")}`.trim(),
    started: started.toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg: { start: load0, end: load1 },
    run_s: Math.round((performance.now() - t0) / 1000),
    plan: {
      rounds,
      requests_per_phase: requests,
      clients: clientsN,
      points_per_request: shape.points,
      hosts_per_request: shape.hosts,
      seed,
    },
    target_ratio: TARGET_RATIO,
    parse,
    end_to_end: results,
  };
  const md = [
    `Generated by \`${report.command}\` on ${report.started}; Node ${report.node}, ${report.cpus} CPUs, load average ${load0.map((x) => x.toFixed(2)).join("/")} at start and ${load1.map((x) => x.toFixed(2)).join("/")} at the end (shared machine: compare ratios from the same run). ${rounds} rounds × ${requests} requests × ${clientsN} clients per way, ${shape.points} points (${shape.hosts} hosts) per request, the same simulated points in every way.`,
    "",
    "End to end (`wrangler dev`, Durable Objects storing and scoring):",
    "",
    "| way | route | points/s | µs/point | ÷ JSON | target ≥ 0.8× | bytes/point sent | p50 / p95 ms per request |",
    "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.way} | \`${r.route}\` | ${r.points_per_s} | ${r.us_per_point} | ${r.ratio_vs_json.toFixed(2)}× | ${r.way === "json" ? "–" : r.ratio_vs_json >= TARGET_RATIO ? "yes" : "**no**"} | ${r.bytes_per_point} | ${r.latency_ms.p50} / ${r.latency_ms.p95} |`,
    ),
    "",
    "Parse cost in Node (decode + map + the same validation, nothing stored; the Worker runs this code):",
    "",
    "| way | µs/point | ÷ JSON (points/s) |",
    "| --- | ---: | ---: |",
    ...parse.map(
      (p) =>
        `| ${p.way} | ${p.us_per_point.toFixed(2)} | ${(p.points_per_s / parse[0]!.points_per_s).toFixed(2)}× |`,
    ),
    "",
  ].join("\n");
  mkdirSync(target.dir, { recursive: true });
  writeFileSync(join(target.dir, "ingest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(target.dir, "ingest.md"), md);
  console.log(`\n${md}`);
  console.log(resultsNote(ROOT, target));
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(`bench:ingest: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
