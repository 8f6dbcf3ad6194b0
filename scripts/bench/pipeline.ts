/**
 * `npm run bench:pipeline` — the self-hosted pipeline of issue #10, measured on this machine, ratios
 * within one run:
 *   1. connector rows/s into the database vs a raw COPY of the same rows into the same tables, and the
 *      writer designs side by side (pipeline/connector.ts);
 *   2. freshness, a point accepted by the real Worker (workerd) → its rows visible in PostgreSQL, p50
 *      and p99 (pipeline/freshness.ts);
 *   3. the gateway's records/s for batches of 1, 100 and 500, both Kafka clients (pipeline/gateway.ts).
 * Starts PostgreSQL (+ TimescaleDB when installed; fsync on), two Kafka brokers (one holds the
 * connector's backlog, the other serves freshness and the gateway), wrangler dev, the gateway and the
 * connectors, all on 127.0.0.1; stops all of them at the end, on an error and on Ctrl-C. Temporary
 * files in `.data/bench-pipeline/<run>/` (kept when the run fails). Writes pipeline.json and
 * pipeline.md (bench/results/local/, or bench/results/ with --write-results). Progress on stderr.
 *
 * The npm script runs `node --import tsx`, not the `tsx` CLI: on Ctrl-C the CLI SIGKILLs its child when
 * the child does not acknowledge the signal within ~30 ms (its event loop busy, e.g. in initdb's
 * spawnSync or generating the events), and a SIGKILLed bench leaves its brokers, its database cluster
 * and workerd running (they live in their own process groups).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ALL_TOPICS, DEAD_LETTER_TOPIC } from "../../contracts/events.ts";
import { createTopics, kafkaToolsMissing, KAFKA_VERSION, startKafka } from "../kafka/kafka.ts";
import { PG_MAJOR, postgresMissing, startPostgres, TIMESCALE_VERSION } from "../postgres/postgres.ts";
import { CONNECTOR_TOPICS, runConnectorBench, type ConnectorPlan } from "./pipeline/connector.ts";
import { runFreshness, type FreshnessPlan } from "./pipeline/freshness.ts";
import { runGatewayBench, type GatewayBenchOptions } from "./pipeline/gateway.ts";
import { judge, renderMarkdown, summaryLines, type PipelineReport } from "./pipeline/report.ts";
import { Resources } from "./pipeline/resources.ts";
import { resultsNote, resultsTarget, RESULTS_USAGE } from "./results.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");

const USAGE = `Usage: npm run bench:pipeline -- [--quick] [--write-results | --out DIR]
  --quick  small sizes, a smoke test (figures are rough)
${RESULTS_USAGE}
  Needs Java 17+ and Maven (Kafka) and PostgreSQL 15 (npm test's set-up installs them).
  With --write-results the benchmark's own code must be committed (the figures name their commit).`;

/** Code whose behaviour the figures describe (uncommitted changes there are listed in the results). */
const MEASURED_PATHS = [
  "timescale",
  "gateway",
  "worker",
  "durable-objects",
  "contracts",
  "model/core",
  "model/runtime",
  "model/artifacts",
  "wrangler.toml",
  "scripts/bench/pipeline",
  "scripts/bench/pipeline.ts",
];
/** The benchmark itself: must be committed for --write-results. */
const BENCH_PATHS = ["scripts/bench/pipeline", "scripts/bench/pipeline.ts"];

interface Plans {
  connector: ConnectorPlan;
  freshness: FreshnessPlan;
  gateway: Pick<GatewayBenchOptions, "maxRecords" | "maxSeconds">;
}

function plans(quick: boolean): Plans {
  if (quick) {
    return {
      connector: {
        hosts: 40,
        steps: 50,
        repeats: 1,
        configs: [{ name: "defaults" }, { name: "one per partition", poolSize: 12, concurrency: 12 }],
        writerBatches: [100],
        maxSeconds: 60,
      },
      freshness: { hosts: 2, points: 40, warmupPerHost: 2, rate: 10, pollMs: 10, waitSeconds: 20 },
      gateway: { maxRecords: 3000, maxSeconds: 4 },
    };
  }
  return {
    connector: {
      hosts: 200,
      steps: 100,
      repeats: 3,
      configs: [
        { name: "defaults" },
        { name: "2 at once", poolSize: 5, concurrency: 2 },
        { name: "3 at once", poolSize: 5, concurrency: 3 },
      ],
      writerBatches: [100, 1500],
      maxSeconds: 120,
    },
    freshness: { hosts: 4, points: 200, warmupPerHost: 3, rate: 10, pollMs: 10, waitSeconds: 30 },
    gateway: { maxRecords: 20_000, maxSeconds: 10 },
  };
}

const t0 = performance.now();
const stamp = () => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
const log =
  (section: string) =>
  (line: string): void => {
    process.stderr.write(`${stamp()} ${section} ${line}\n`);
  };

const resources = new Resources(log("[cleanup]"));

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

/** HEAD and the files under `paths` that differ from it ("XY path" porcelain lines). */
function gitState(paths: readonly string[]): { commit: string; uncommitted: string[] } {
  try {
    return {
      commit: git("rev-parse", "HEAD").trim(),
      uncommitted: git("status", "--porcelain", "--", ...paths)
        .split("\n")
        .filter((l) => l.length > 3)
        .map((l) => l.slice(3)),
    };
  } catch {
    return { commit: "unknown (not a git checkout)", uncommitted: [] };
  }
}

function wranglerVersion(): string {
  const pkg = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(join(ROOT, "node_modules", "wrangler", "package.json"), "utf8")));
  return pkg.version;
}

class UsageError extends Error {}

/** Between the phases: once Ctrl-C began the shutdown, start nothing new. */
function checkpoint(): void {
  if (resources.closing) throw new Error("stopped");
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean", default: false },
        "write-results": { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  let target;
  try {
    target = resultsTarget(ROOT, { out: values.out, writeResults: values["write-results"] });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const gitNow = gitState(MEASURED_PATHS);
  const benchDirty = gitState(BENCH_PATHS).uncommitted;
  if (target.committed && benchDirty.length > 0) {
    throw new UsageError(
      `--write-results: the benchmark has uncommitted changes (${benchDirty.join(", ")}); commit them first, so the figures name the code that produced them`,
    );
  }
  const missing = kafkaToolsMissing() ?? postgresMissing();
  if (missing) throw new Error(`cannot run: ${missing}`);

  const quick = values.quick;
  const p = plans(quick);
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const tmp = join(ROOT, ".data", "bench-pipeline", runId);
  mkdirSync(tmp, { recursive: true });
  const loadStart = loadavg();
  const created = new Date().toISOString();
  const L = log("[setup]");
  L(`bench:pipeline ${quick ? "(quick) " : ""}run ${runId}; temporary files in ${tmp}`);
  if (gitNow.uncommitted.length > 0)
    L(`note: uncommitted changes in measured code: ${gitNow.uncommitted.join(", ")}`);

  let ok = false;
  try {
    L("starting PostgreSQL and two Kafka brokers…");
    const stoppers = new Map<string, () => Promise<void>>();
    const kafka = (name: string) =>
      startKafka({ dataDir: join(tmp, name), log: L }).then((k) => {
        stoppers.set(
          name,
          resources.add(`Kafka (${name})`, () => k.stop()),
        );
        return k;
      });
    // allSettled: whatever started is registered (and stopped) even when another start fails.
    const started = await Promise.allSettled([
      startPostgres({ fsync: true, log: L }).then((x) => {
        resources.add("PostgreSQL", () => x.stop());
        return x;
      }),
      kafka("kafka-connector"),
      kafka("kafka-pipeline"),
    ] as const);
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    checkpoint();
    const [pg, kafkaA, kafkaB] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      Awaited<ReturnType<typeof startPostgres>>,
      Awaited<ReturnType<typeof startKafka>>,
      Awaited<ReturnType<typeof startKafka>>,
    ];
    await Promise.all([
      createTopics(kafkaA, [...CONNECTOR_TOPICS, { name: DEAD_LETTER_TOPIC, partitions: 1 }]),
      createTopics(
        kafkaB,
        ALL_TOPICS.map((name) => ({ name, partitions: name === DEAD_LETTER_TOPIC ? 1 : 4 })),
      ),
    ]);

    checkpoint();
    const L1 = log("[1/3 connector]");
    const connector = await runConnectorBench(pg, kafkaA.bootstrap, p.connector, L1, () => resources.closing);
    await stoppers.get("kafka-connector")!();

    checkpoint();
    const L2 = log("[2/3 freshness]");
    const freshness = await runFreshness(
      { root: ROOT, dir: join(tmp, "freshness"), pg, bootstrap: kafkaB.bootstrap, resources, log: L2 },
      p.freshness,
    );
    L2(
      `accepted → metric_points row p50 ${freshness.toPointRow.p50.toFixed(1)} ms, p99 ${freshness.toPointRow.p99.toFixed(1)} ms; → predictions row p50 ${freshness.toPredictionRow.p50.toFixed(1)} ms, p99 ${freshness.toPredictionRow.p99.toFixed(1)} ms (${freshness.points} points)`,
    );

    checkpoint();
    const L3 = log("[3/3 gateway]");
    const gateway = await runGatewayBench({ bootstrap: kafkaB.bootstrap, ...p.gateway, log: L3 });

    const report: PipelineReport = {
      schema: "bench-pipeline/1",
      created_utc: created,
      command: `npm run bench:pipeline${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
      quick,
      environment: {
        node: process.version,
        platform: `${platform()} ${release()}`,
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model.trim() ?? "unknown",
        memory_gib: totalmem() / 2 ** 30,
        loadavg_start: loadStart,
        loadavg_end: loadavg(),
        duration_s: (performance.now() - t0) / 1000,
        postgres: `PostgreSQL ${PG_MAJOR}${pg.timescale ? ` + TimescaleDB ${TIMESCALE_VERSION}` : " (no TimescaleDB)"}, fsync on`,
        kafka: `Apache Kafka ${KAFKA_VERSION}, one KRaft broker, 4 partitions per event topic`,
        wrangler: wranglerVersion(),
        git: gitNow,
      },
      connector,
      freshness,
      gateway,
      targets: judge(connector, freshness),
    };
    mkdirSync(target.dir, { recursive: true });
    writeFileSync(join(target.dir, "pipeline.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(target.dir, "pipeline.md"), renderMarkdown(report));
    process.stdout.write(`${summaryLines(report).join("\n")}\n`);
    process.stdout.write(
      `wrote pipeline.json and pipeline.md (${report.environment.duration_s.toFixed(0)} s); ${resultsNote(ROOT, target)}\n`,
    );
    ok = true;
  } finally {
    await resources.stopAll();
    if (ok) rmSync(tmp, { recursive: true, force: true });
    else if (stopping) rmSync(tmp, { recursive: true, force: true });
    else process.stderr.write(`temporary files and logs kept in ${tmp}\n`);
  }
}

/**
 * Ctrl-C / SIGTERM: stop everything now (a start under way is stopped as soon as it registers) and let
 * main unwind — its waits are bounded and fail fast once their servers are gone — then exit 130. A
 * second signal (at least 1 s after the first: npm and tsx relay one Ctrl-C, so it can arrive twice
 * within milliseconds), or main still running 60 s later, exits as soon as the stops are done.
 */
let stopping = false;
let firstSignalAt = 0;
const exitAfterStops = () => void resources.stopAll().finally(() => process.exit(130));
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) {
      if (Date.now() - firstSignalAt >= 1000) exitAfterStops();
      return;
    }
    stopping = true;
    firstSignalAt = Date.now();
    process.stderr.write(`\n${sig}: stopping ${resources.names().join(", ") || "nothing"}…\n`);
    void resources.stopAll();
    setTimeout(exitAfterStops, 60_000).unref();
  });
}

main(process.argv.slice(2)).then(
  async () => {
    await resources.stopAll();
    process.exit(stopping ? 130 : 0);
  },
  async (e: unknown) => {
    await resources.stopAll();
    if (stopping) process.exit(130);
    if (e instanceof UsageError) {
      process.stderr.write(`bench:pipeline: ${e.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench:pipeline failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  },
);
