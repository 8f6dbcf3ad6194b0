/**
 * A real Apache Kafka on 127.0.0.1 without Docker, shared by tests, benchmarks and the local stack:
 *
 * 1. `ensureKafkaJars()` fetches Kafka (`org.apache.kafka:kafka_2.13` + `kafka-tools`, with their
 *    runtime dependencies) from Maven Central with `mvn dependency:copy-dependencies` on a generated pom,
 *    into a cache outside the clone (`KAFKA_CACHE_DIR`, default ~/.cache/edge-downtime-prediction), so
 *    every clone and CI run after the first reuses it. Kafka logs through SLF4J 1.7, hence
 *    `log4j-slf4j-impl` (not the slf4j2 binding) and an explicit log4j2 configuration.
 * 2. `startKafka()` formats KRaft storage (`kafka.tools.StorageTool format --standalone`) and starts one
 *    combined broker + controller (`kafka.Kafka`, -Xmx512m) in its own process group. Kafka must be told
 *    its ports in advance (it advertises them), so it starts through `onFreePort`: a port taken between
 *    the pick and the bind makes the JVM exit with "Address already in use", and the start is retried on
 *    new ports. Ready means *this* child logged "Kafka Server started".
 * 3. `createTopics()` creates topics with Kafka's own TopicCommand; `stop()` ends the process group and
 *    checks it is empty.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { promisify } from "node:util";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { stopGroup, type StopResult } from "../lib/process-group.ts";
import { freePort, onFreePort } from "../lib/ports.ts";
import { LineTail } from "../lib/wrangler-dev.ts";

const execFileAsync = promisify(execFile);

export const KAFKA_VERSION = "4.1.1";
const LOG4J_VERSION = "2.24.3";

export type KafkaErrorCode =
  "TOOLS_MISSING" | "FETCH_FAILED" | "FORMAT_FAILED" | "START_FAILED" | "PORT_TAKEN" | "TOPIC_FAILED";

export class KafkaError extends Error {
  constructor(
    readonly code: KafkaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "KafkaError";
  }
}

/** Where the jars are kept: KAFKA_CACHE_DIR, else ~/.cache/edge-downtime-prediction/kafka-<version>. */
export function kafkaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.KAFKA_CACHE_DIR ?? join(homedir(), ".cache", "edge-downtime-prediction", `kafka-${KAFKA_VERSION}`)
  );
}

/** Whether `java` and `mvn` are on PATH (the only prerequisites). */
export function kafkaToolsMissing(): string | null {
  for (const tool of ["java", "mvn"]) {
    if (spawnSync(tool, ["-version"], { stdio: "ignore" }).error) {
      return `${tool} not found: Kafka needs Java 17+ and Maven (Debian: apt-get install openjdk-17-jre-headless maven)`;
    }
  }
  return null;
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.edge-downtime-prediction</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.clients.name = org.apache.kafka
logger.clients.level = warn
`;

/**
 * The directory of Kafka's jars, fetched on first use (about 90 jars, 55 MB). `log` gets one line when
 * a fetch starts and one when it ends.
 */
export function ensureKafkaJars(
  log: (line: string) => void = () => undefined,
  cacheDir = kafkaCacheDir(),
): string {
  const lib = join(cacheDir, "lib");
  const done = join(lib, ".complete");
  if (existsSync(done)) return lib;
  const missing = kafkaToolsMissing();
  if (missing) throw new KafkaError("TOOLS_MISSING", missing);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, "pom.xml"), POM);
  const tmp = join(cacheDir, `lib.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  log(`fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${cacheDir} …`);
  const t0 = Date.now();
  const r = spawnSync(
    "mvn",
    ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${tmp}`, "-DincludeScope=runtime"],
    { cwd: cacheDir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n");
    throw new KafkaError(
      "FETCH_FAILED",
      `mvn dependency:copy-dependencies failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`,
    );
  }
  writeFileSync(join(tmp, ".complete"), `${KAFKA_VERSION}\n`);
  rmSync(lib, { recursive: true, force: true });
  renameSync(tmp, lib);
  log(`Apache Kafka ${KAFKA_VERSION} fetched in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return lib;
}

export interface KafkaOptions {
  /** Storage and config of this broker (a fresh temporary directory per test run). */
  dataDir: string;
  /** Default partitions of new topics (default 4). */
  partitions?: number;
  log?: (line: string) => void;
  /** How long to wait for "Kafka Server started", ms (default 60 s). */
  readyTimeoutMs?: number;
}

export interface RunningKafka {
  /** `127.0.0.1:<port>` for clients. */
  bootstrap: string;
  /** Kafka's jars and this broker's directory (its configs, storage and log), for Kafka's own tools. */
  lib: string;
  dataDir: string;
  /** Process group of the broker's JVM (it changes on restart). */
  pgid(): number;
  /** Last lines of the broker's log. */
  logTail(n?: number): string;
  /**
   * Stops the broker and starts it again on the same storage and ports (its topics and offsets kept),
   * after `downMs` (default 0) without a broker — a fault test's outage.
   */
  restart(o?: { downMs?: number }): Promise<void>;
  stop(): Promise<StopResult>;
}

/** `java` arguments: Kafka's classpath and this broker's log4j2 configuration, then `args`. */
function javaArgs(lib: string, dataDir: string, args: string[]): string[] {
  return ["-cp", `${lib}/*`, `-Dlog4j2.configurationFile=${join(dataDir, "log4j2.properties")}`, ...args];
}

/** Runs one of Kafka's command-line tools to completion (killed after 60 s). */
function javaTool(lib: string, dataDir: string, args: string[]) {
  return spawnSync("java", javaArgs(lib, dataDir, args), {
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** The same, without blocking (several tools at once). */
async function javaToolAsync(
  lib: string,
  dataDir: string,
  args: string[],
): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await execFileAsync("java", javaArgs(lib, dataDir, args), {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (e) {
    const r = e as { stdout?: string; stderr?: string; message?: string };
    return { ok: false, output: `${r.message ?? ""}\n${r.stdout ?? ""}${r.stderr ?? ""}` };
  }
}

/** Starts one KRaft broker + controller on 127.0.0.1 (see the module comment). */
export async function startKafka(o: KafkaOptions): Promise<RunningKafka> {
  const lib = ensureKafkaJars(o.log);
  mkdirSync(o.dataDir, { recursive: true });
  writeFileSync(join(o.dataDir, "log4j2.properties"), LOG4J2);
  const { value } = await onFreePort((port) => startOn(lib, o, port), {
    portTaken: (e) => e instanceof KafkaError && e.code === "PORT_TAKEN",
  });
  return value;
}

async function startOn(lib: string, o: KafkaOptions, port: number): Promise<RunningKafka> {
  const controllerPort = await freePort();
  const logDir = join(o.dataDir, `kraft-${port}`);
  const config = join(o.dataDir, `server-${port}.properties`);
  writeFileSync(
    config,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      `log.dirs=${logDir}`,
      `num.partitions=${o.partitions ?? 4}`,
      "offsets.topic.replication.factor=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "auto.create.topics.enable=false",
      "",
    ].join("\n"),
  );
  const clusterId = newClusterId();
  const format = javaTool(lib, o.dataDir, [
    "kafka.tools.StorageTool",
    "format",
    `--cluster-id=${clusterId}`,
    "-c",
    config,
    "--standalone",
  ]);
  if (format.status !== 0) {
    throw new KafkaError("FORMAT_FAILED", `StorageTool format failed:\n${format.stdout}${format.stderr}`);
  }

  const tail = new LineTail(300);
  const text = (n = 40) => tail.last(n).join("\n");
  let pgid = await launch(lib, o, config, port, controllerPort, tail);
  o.log?.(`Kafka ${KAFKA_VERSION} ready on 127.0.0.1:${port} (pid ${pgid})`);
  return {
    bootstrap: `127.0.0.1:${port}`,
    lib,
    dataDir: o.dataDir,
    pgid: () => pgid,
    logTail: text,
    async restart(r = {}) {
      await stopGroup(pgid, 10_000);
      if (r.downMs) {
        o.log?.(`Kafka stopped; down for ${r.downMs} ms`);
        await new Promise((done) => setTimeout(done, r.downMs));
      }
      pgid = await launch(lib, o, config, port, controllerPort, tail);
      o.log?.(`Kafka restarted on 127.0.0.1:${port} (pid ${pgid})`);
    },
    stop: () => stopGroup(pgid, 10_000),
  };
}

/** Runs the broker of a formatted storage until "Kafka Server started"; returns its process group. */
async function launch(
  lib: string,
  o: KafkaOptions,
  config: string,
  port: number,
  controllerPort: number,
  tail: LineTail,
): Promise<number> {
  const child = spawn("java", javaArgs(lib, o.dataDir, ["-Xmx512m", "kafka.Kafka", config]), {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new KafkaError("START_FAILED", "java did not start (no pid)");
  const pgid = child.pid;
  const file = createWriteStream(join(o.dataDir, `broker-${port}.log`), { flags: "a" });
  child.once("close", () => file.end());
  let started = false;
  let exited = false;
  let bindFailed = false;
  child.once("exit", () => (exited = true));
  const feed = (b: Buffer): void => {
    file.write(b);
    for (const line of tail.push(b.toString("utf8"))) {
      if (line.includes("Kafka Server started")) started = true;
      if (line.includes("Address already in use")) bindFailed = true;
    }
  };
  child.stdout?.on("data", feed);
  child.stderr?.on("data", feed);
  const text = (n = 40) => tail.last(n).join("\n");

  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  while (!started) {
    if (exited || bindFailed) {
      await stopGroup(pgid, 2000);
      if (bindFailed) {
        throw new KafkaError(
          "PORT_TAKEN",
          `port ${port} or ${controllerPort} was taken before Kafka bound it`,
        );
      }
      throw new KafkaError("START_FAILED", `Kafka exited before it was ready:\n${text()}`);
    }
    if (Date.now() > deadline) {
      await stopGroup(pgid, 2000);
      throw new KafkaError(
        "START_FAILED",
        `Kafka not ready after ${o.readyTimeoutMs ?? 60_000} ms:\n${text()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return pgid;
}

export interface TopicSpec {
  name: string;
  partitions: number;
}

/** Creates topics (if absent) with Kafka's TopicCommand, in parallel; one JVM per topic. */
export async function createTopics(k: RunningKafka, topics: readonly TopicSpec[]): Promise<void> {
  const results = await Promise.all(
    topics.map(async (t) => ({
      t,
      ...(await javaToolAsync(k.lib, k.dataDir, [
        "org.apache.kafka.tools.TopicCommand",
        "--bootstrap-server",
        k.bootstrap,
        "--create",
        "--if-not-exists",
        "--topic",
        t.name,
        "--partitions",
        String(t.partitions),
        "--replication-factor",
        "1",
      ])),
    })),
  );
  const failed = results.find((r) => !r.ok);
  if (failed) {
    throw new KafkaError(
      "TOPIC_FAILED",
      `creating topic ${failed.t.name} failed:\n${failed.output.slice(-2000)}`,
    );
  }
  await waitTopicsReady(k.bootstrap, topics);
}

/**
 * Waits until the broker's metadata lists every topic with its partitions, each with a leader.
 * TopicCommand returns once the controller committed the topic; the broker's metadata cache follows
 * a moment later, and a client asking in between is told the topic does not exist (the gateway then
 * answers 400 — seen in CI).
 */
async function waitTopicsReady(bootstrap: string, topics: readonly TopicSpec[], ms = 30_000): Promise<void> {
  const admin = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  const deadline = Date.now() + ms;
  let last: string;
  try {
    await admin.connect();
    for (;;) {
      try {
        const { topics: seen } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
        const notReady = topics.filter((t) => {
          const m = seen.find((x) => x.name === t.name);
          return !m || m.partitions.length !== t.partitions || m.partitions.some((p) => p.leader < 0);
        });
        if (notReady.length === 0) return;
        last = `not ready: ${notReady.map((t) => t.name).join(", ")}`;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      if (Date.now() > deadline) {
        throw new KafkaError("TOPIC_FAILED", `topics not in the broker's metadata after ${ms} ms (${last})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Topic names and partition counts as Kafka reports them (`TopicCommand --describe`). */
export function describeTopics(k: RunningKafka): Map<string, number> {
  const r = javaTool(k.lib, k.dataDir, [
    "org.apache.kafka.tools.TopicCommand",
    "--bootstrap-server",
    k.bootstrap,
    "--describe",
  ]);
  if (r.status !== 0)
    throw new KafkaError("TOPIC_FAILED", `TopicCommand --describe failed:\n${r.stdout}${r.stderr}`);
  const out = new Map<string, number>();
  for (const m of r.stdout.matchAll(/^Topic: (\S+)\s+TopicId: \S+\s+PartitionCount: (\d+)/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/**
 * A cluster id the way Kafka's `Uuid.randomUuid()` makes one, without starting a JVM: 16 random bytes,
 * base64url without padding — and, like Kafka, never one that starts with "-", which StorageTool's
 * argument parser would read as an option (it failed about one run in 64 before this).
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}
