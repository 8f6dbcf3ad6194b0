/**
 * `npm run bench:edge` — benchmarks of the edge runtime inside workerd (local `wrangler dev` on
 * 127.0.0.1; nothing is deployed):
 *   1. cost per point (inference alone → scoring core → + storage → end to end through Worker→DO RPC;
 *      incremental vs full-window re-runs; per-point vs per-host batches; early vs late history; the
 *      per-metric anomaly detectors alone, and their state per host);
 *   2. ingest throughput of the real Worker, POST /metrics vs POST /metrics/validate, same batches;
 *   3. edge budget: gzip bundle (wrangler deploy --dry-run), cold start, memory, stored state per host.
 * Writes edge.json and edge.md (bench/results/local/, or bench/results/ with --write-results). Every wrangler child runs in its own process group and is
 * stopped (whole group) before exit, also on Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { measureBundle, loadHosts, measureColdStart, runtimeRss, sampleRss } from "./edge/budget.ts";
import { runCost, type CostPlan } from "./edge/cost.ts";
import { BenchError } from "./edge/errors.ts";
import { requestJson } from "./edge/http.ts";
import { runIngest, type IngestPlan } from "./edge/ingest.ts";
import { BenchDev, type DevOptions } from "./edge/proc.ts";
import {
  EdgeReportSchema,
  judge,
  MEASURED_PATHS,
  median,
  plainSummary,
  renderMarkdown,
  StorageSchema,
  summaryTable,
  type EdgeReport,
  type Measured,
} from "./edge/report.ts";
import { bundleWorker, tmpfsRoot, writeApiKey, writeDevConfig } from "./edge/setup.ts";
import { resultsNote, resultsTarget, RESULTS_USAGE, type ResultsTarget } from "./results.ts";

const ArgsSchema = z.object({
  quick: z.boolean().default(false),
  out: z.string().min(1).optional(),
  "write-results": z.boolean().default(false),
  clients: z.coerce.number().int().min(1).max(8).default(2),
  "cold-runs": z.coerce.number().int().min(1).max(10).optional(),
  seed: z.coerce.number().int().min(0).max(0xffffffff).default(20_261_124),
  keep: z.boolean().default(false),
  storage: StorageSchema.shape.medium.optional(),
});
type Args = z.infer<typeof ArgsSchema>;

const USAGE = `Usage: npm run bench:edge -- [--quick] [--write-results | --out DIR] [--clients N] [--cold-runs N] [--seed N] [--storage tmpfs|disk] [--keep]
  --quick      fast smoke run (small loops; figures are rough)
  --clients    concurrent clients in the throughput benchmark (default 2)
  --cold-runs  fresh wrangler dev processes for the cold start (default 3, quick 1)
  --seed       simulator seed of the benchmark data (default 20261124)
  --storage    where the Durable Objects' SQLite lives for the judged figures: tmpfs (default where
               /dev/shm is a writable tmpfs; the ingest run is then repeated on the disk) or disk
  --keep       keep the temporary directory .data/bench-edge/<run> (configs, storage)
${RESULTS_USAGE}
  With --write-results the measured code must be committed (the figures are stamped with HEAD).`;

function parse(argv: string[]): Args {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        keep: { type: "boolean" },
        out: { type: "string" },
        "write-results": { type: "boolean" },
        clients: { type: "string" },
        "cold-runs": { type: "string" },
        seed: { type: "string" },
        storage: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    throw new BenchError("USAGE", e instanceof Error ? e.message : String(e), { cause: e });
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const r = ArgsSchema.safeParse(values);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new BenchError("USAGE", `--${String(i.path[0])}: ${i.message}`);
  }
  return r.data;
}

function plans(a: Args): {
  cost: CostPlan;
  ingest: IngestPlan;
  memory: { hosts: number; points: number };
  coldRuns: number;
} {
  if (a.quick) {
    return {
      cost: {
        points: 300,
        windowPoints: 60,
        plainPoints: 100,
        plainWindowPoints: 20,
        batches: [1, 50],
        windows: [30, 60, 120],
        segment: 100,
        long: { points: 400, batch: 1 },
        anomaly: { points: 300, minMs: 50 },
        seed: a.seed,
      },
      ingest: {
        shapes: [
          { points: 100, hosts: 10, maxRequestsPerPhase: 4 },
          { points: 1000, hosts: 20, maxRequestsPerPhase: 4 },
        ],
        clients: a.clients,
        maxPhaseMs: 1500,
        warmupRequests: 1,
        seed: a.seed,
      },
      memory: { hosts: 20, points: 30 },
      coldRuns: a["cold-runs"] ?? 1,
    };
  }
  return {
    cost: {
      points: 10_000,
      windowPoints: 10_000,
      plainPoints: 10_000,
      plainWindowPoints: 1_000,
      batches: [1, 10, 50, 100],
      windows: [30, 60, 120],
      segment: 1_000,
      long: { points: 20_000, batch: 1 },
      anomaly: { points: 10_000, minMs: 1_000 },
      seed: a.seed,
    },
    ingest: {
      shapes: [
        { points: 100, hosts: 10, maxRequestsPerPhase: 400 },
        { points: 1000, hosts: 20, maxRequestsPerPhase: 100 },
      ],
      clients: a.clients,
      maxPhaseMs: 10_000,
      warmupRequests: 10,
      seed: a.seed,
    },
    memory: { hosts: 200, points: 60 },
    coldRuns: a["cold-runs"] ?? 3,
  };
}

/** Per-tenant requests per period for the real Worker in this bench (wrangler.toml says 600 / 10 s). */
const RATE_LIMIT = 1_000_000;

const t0 = performance.now();
const log = (section: string) => (line: string) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${section} ${line}`);

/** Every wrangler dev still running; stopped on exit, error and Ctrl-C. */
const running = new Set<BenchDev>();
/** Process groups of every wrangler dev started (for the report; the test checks they are empty). */
const groups: number[] = [];
/** Starts wrangler dev with a dev registry private to this run (next to its storage directory). */
async function startDev(o: Omit<DevOptions, "registryPath" | "logFile">): Promise<BenchDev> {
  const dev = await BenchDev.start({
    ...o,
    registryPath: join(dirname(o.persistTo), "registry"),
    logFile: `${o.persistTo}.wrangler.log`,
  });
  running.add(dev);
  groups.push(dev.pgid);
  return dev;
}
async function stopDev(dev: BenchDev): Promise<void> {
  running.delete(dev);
  await dev.stop();
}
async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((d) => stopDev(d)));
}

const BenchReady = z.object({ ready: z.literal(true), load_ms: z.number(), model_version: z.string() });

/** Readiness of the bench Worker: its own /bench/ready answer (no other server gives it). */
async function benchWorkerReady(url: string): Promise<boolean> {
  const r = await fetch(`${url}/bench/ready`, { signal: AbortSignal.timeout(30_000) });
  return r.status === 200 && BenchReady.safeParse(await r.json().catch(() => null)).success;
}

/**
 * Readiness of the real Worker without loading its model (the cold start is measured next): its own
 * JSON 404 for a path no route has, naming that path.
 */
async function realWorkerReady(url: string): Promise<boolean> {
  const path = "/__bench_ready_probe";
  const r = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(30_000) });
  const body = z
    .object({ error: z.object({ code: z.literal("not_found"), message: z.string() }) })
    .safeParse(await r.json().catch(() => null));
  return r.status === 404 && body.success && body.data.error.message === `no route GET ${path}`;
}

/** HEAD, and the runtime files (what the bundles contain) that differ from it. */
function gitState(root: string): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" });
  try {
    const status = git("status", "--porcelain", "--", ...MEASURED_PATHS);
    return {
      commit: git("rev-parse", "HEAD").trim(),
      // Porcelain lines are "XY path": two status letters (either may be a space), a space, the path.
      uncommitted: status
        .split("\n")
        .filter((l) => l.length > 3)
        .map((l) => l.slice(3)),
    };
  } catch {
    return { commit: "unknown (not a git checkout)", uncommitted: [] };
  }
}

function wranglerVersion(root: string): string {
  const pkg = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(join(root, "node_modules", "wrangler", "package.json"), "utf8")));
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const args = parse(argv);
  const root = resolve(import.meta.dirname, "..", "..");
  const p = plans(args);
  const git = gitState(root);
  let target: ResultsTarget;
  try {
    target = resultsTarget(root, { out: args.out, writeResults: args["write-results"] });
  } catch (e) {
    throw new BenchError("USAGE", e instanceof Error ? e.message : String(e));
  }
  // The committed figures name the commit they measured: that commit must be the code that ran.
  if (target.committed && git.uncommitted.length > 0) {
    throw new BenchError(
      "USAGE",
      `--write-results: the measured code has uncommitted changes (${git.uncommitted.join(", ")}); commit them first, so the figures are stamped with the code that produced them`,
    );
  }
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const tmp = join(root, ".data", "bench-edge", runId);
  mkdirSync(tmp, { recursive: true });
  const shm = tmpfsRoot();
  const medium = args.storage ?? (shm ? "tmpfs" : "disk");
  if (medium === "tmpfs" && !shm)
    throw new BenchError("USAGE", "--storage tmpfs: /dev/shm is not a writable tmpfs on this machine");
  // wrangler dev --persist-to directories of the judged figures.
  const stateDir = medium === "tmpfs" ? join(shm!, `downtime-bench-edge-${runId}`) : join(tmp, "state");
  mkdirSync(stateDir, { recursive: true });
  const loadStart = loadavg();
  const createdUtc = new Date().toISOString();
  console.log(`bench:edge ${args.quick ? "(quick) " : ""}run ${runId}; temporary files in ${tmp}`);
  console.log(
    medium === "tmpfs"
      ? `Durable Object storage on a tmpfs (${stateDir}); the ingest run is repeated with it on the disk`
      : `Durable Object storage on the disk (${stateDir})${shm ? "" : ": no writable tmpfs at /dev/shm"}`,
  );

  try {
    // 1. Cost per point, inside the bench Worker.
    const L1 = log("[1/3 cost]");
    L1("bundling the bench Worker (wrangler deploy --dry-run), then wrangler dev of that bundle…");
    const benchSrc = join(root, "scripts", "bench", "edge", "worker", "wrangler.toml");
    const benchOut = join(tmp, "bench-bundle");
    await bundleWorker(root, benchSrc, benchOut);
    const bench = await startDev({
      root,
      config: writeDevConfig(benchSrc, benchOut, join(tmp, "bench-dev")),
      persistTo: join(stateDir, "bench-state"),
      readyTimeoutMs: 180_000,
      probe: benchWorkerReady,
    });
    const ready = await requestJson(`${bench.url}/bench/ready`, BenchReady);
    L1(`ready at ${bench.url}, model ${ready.body.model_version} loaded in ${ready.body.load_ms} ms`);
    const cost = await runCost(bench.url, p.cost, runId, L1);
    await stopDev(bench);

    // 3a. Bundle.
    const L3 = log("[3/3 budget]");
    L3("wrangler deploy --dry-run (bundle only)…");
    const realOut = join(tmp, "real-bundle");
    const bundle = await measureBundle(root, realOut);
    L3(
      `modules gzip ${(bundle.modules_gzip_bytes / 1048576).toFixed(2)} MiB (wrangler says gzip ${bundle.wrangler_gzip_kib} KiB)`,
    );

    // Real Worker (that bundle): cold start, memory, then throughput (2), on one fresh process.
    const setup = writeApiKey(tmp);
    const realConfig = writeDevConfig(
      join(root, "wrangler.toml"),
      realOut,
      join(tmp, "real-dev"),
      RATE_LIMIT,
    );
    const startReal = (i: number | "disk") =>
      startDev({
        root,
        config: realConfig,
        envFile: setup.envFile,
        persistTo: i === "disk" ? join(tmp, "real-state-disk") : join(stateDir, `real-state-${i}`),
        readyTimeoutMs: 180_000,
        probe: realWorkerReady,
      });
    L3("starting the real Worker (wrangler dev of that bundle, rate limit raised)…");
    const real = await startReal(0);
    const idle = sampleRss(real);
    const colds = [await measureColdStart(real, setup.apiKey)];
    L3(
      `cold start 1: first POST /metrics ${colds[0]!.first_post_ms.toFixed(0)} ms, load_ms ${colds[0]!.load_ms}`,
    );
    const afterModel = sampleRss(real);
    await loadHosts(real, setup.apiKey, p.memory.hosts, p.memory.points, args.seed, `mem${runId}`);
    const afterHosts = sampleRss(real);
    const perHost = (runtimeRss(afterHosts) - runtimeRss(afterModel)) / p.memory.hosts;
    L3(
      `memory: runtime RSS ${(runtimeRss(idle) / 1048576).toFixed(0)} MiB idle, ${(runtimeRss(afterModel) / 1048576).toFixed(0)} with model, ${(runtimeRss(afterHosts) / 1048576).toFixed(0)} after ${p.memory.hosts} hosts`,
    );

    const L2 = log("[2/3 ingest]");
    const ingest = await runIngest(real.url, setup.apiKey, p.ingest, runId, L2);
    const afterIngest = sampleRss(real);
    await stopDev(real);
    let ingestDisk = null;
    if (medium === "tmpfs") {
      const L2d = log("[2/3 ingest, storage on disk]");
      L2d("starting the real Worker again, its storage under .data/ this time…");
      const dev = await startReal("disk");
      ingestDisk = await runIngest(dev.url, setup.apiKey, p.ingest, `${runId}d`, L2d);
      await stopDev(dev);
    }

    for (let i = 1; i < p.coldRuns; i++) {
      const dev = await startReal(i);
      colds.push(await measureColdStart(dev, setup.apiKey));
      await stopDev(dev);
      L3(
        `cold start ${i + 1}: first POST /metrics ${colds[i]!.first_post_ms.toFixed(0)} ms, load_ms ${colds[i]!.load_ms}`,
      );
    }

    const meta = z
      .object({
        version: z.string(),
        hidden: z.number().int(),
        layers: z.number().int(),
        feature_names: z.array(z.string()),
      })
      .parse(JSON.parse(readFileSync(join(root, "model", "artifacts", "downtime-lstm.json"), "utf8")));
    const measured: Measured = {
      schema: "bench-edge/1",
      created_utc: createdUtc,
      command: `npm run bench:edge${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
      quick: args.quick,
      environment: {
        node: process.version,
        wrangler: wranglerVersion(root),
        cpus: cpus().length,
        loadavg_start: loadStart,
        loadavg_end: loadavg(),
        duration_s: (performance.now() - t0) / 1000,
        git,
        process_groups: groups,
      },
      model: {
        version: meta.version,
        hidden: meta.hidden,
        layers: meta.layers,
        features: meta.feature_names.length,
      },
      cost: {
        ...cost,
        plain_ts_forward: plainSummary(cost.rows),
      },
      storage: { medium, dir: medium === "tmpfs" ? shm! : relative(root, stateDir) },
      ingest,
      ingest_disk: ingestDisk,
      budget: {
        bundle,
        cold_start: {
          runs: colds,
          median_first_post_ms: median(colds.map((c) => c.first_post_ms)),
          median_load_ms: median(colds.map((c) => c.load_ms)),
        },
        memory: {
          hosts: p.memory.hosts,
          points_per_host: p.memory.points,
          idle_fresh: idle,
          after_model: afterModel,
          after_hosts: afterHosts,
          after_ingest: afterIngest,
          runtime_bytes_per_host: perHost,
        },
      },
    };
    const report: EdgeReport = EdgeReportSchema.parse({ ...measured, targets: judge(measured) });
    const out = target.dir;
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "edge.json"), JSON.stringify(report, null, 2) + "\n");
    writeFileSync(join(out, "edge.md"), renderMarkdown(report));
    console.log(`\n${summaryTable(report)}\n`);
    console.log(
      `wrote edge.json and edge.md (${report.environment.duration_s.toFixed(0)} s); ${resultsNote(root, target)}`,
    );
    if (!args.keep) {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    } else if (medium === "tmpfs") console.log(`storage of the judged run kept in ${stateDir}`);
  } catch (e) {
    for (const dev of running)
      console.error(`--- last output of wrangler dev at ${dev.url} ---\n${dev.output(40)}`);
    console.error(
      `wrangler logs and storage kept in ${tmp}${medium === "tmpfs" ? ` and ${stateDir} (a tmpfs: delete it to free the memory)` : ""}`,
    );
    throw e;
  } finally {
    await stopAll();
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping wrangler…`);
    void stopAll().finally(() => process.exit(130));
  });
}

main(process.argv.slice(2)).catch(async (e: unknown) => {
  await stopAll();
  if (e instanceof BenchError) {
    console.error(`bench:edge failed (${e.code}): ${e.message}${e.code === "USAGE" ? `\n\n${USAGE}` : ""}`);
    process.exit(e.code === "USAGE" ? 2 : 1);
  }
  console.error("bench:edge failed:", e);
  process.exit(1);
});
