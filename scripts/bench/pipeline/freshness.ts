/**
 * Freshness (issue #10): a point accepted at the edge → its rows visible in the database, through the
 * whole pipeline on this machine: the real Worker in workerd (`wrangler dev` of a bundle built at the
 * start, so edits made to the tree meanwhile do not reload it) with its sink pointed at the gateway
 * (in this process) → Apache Kafka → the connector (in this process) → PostgreSQL/TimescaleDB.
 *
 * - Each point is one `POST /metrics` (one host, one point, minute-spaced timestamps ending now), sent
 *   at a steady rate over a few hosts (a host's points in order, one request at a time per host).
 *   Accepted = the 200 answer with `accepted: 1`; every accepted point carries a prediction whose
 *   `as_of` is the point's timestamp, so its `predictions` row has that time.
 * - A poller asks the database every `pollMs` for the outstanding (host, time) keys in `metric_points`
 *   and `predictions`; a row's visibility time is the end of the first query that returned it (an
 *   upper bound, at most one poll late). Freshness = visible − accepted, per table.
 * - Warm-up points per host first (not measured): the model, the objects, the producer's connection
 *   and the consumer's fetch loop are warm when the measured points start.
 * Every loop is bounded in count and time; the caller stops Kafka and PostgreSQL, this part stops
 * what it starts (also through `Resources` on Ctrl-C).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { HealthSchema, PointIngestSchema } from "../../../contracts/api.ts";
import { startGateway } from "../../../gateway/server.ts";
import type { RunningPostgres } from "../../postgres/postgres.ts";
import { startConnector } from "../../../timescale/connector/connector.ts";
import { migrate } from "../../../timescale/migrate.ts";
import { BenchDev } from "../edge/proc.ts";
import { bundleWorker, writeDevConfig } from "../edge/setup.ts";
import type { Resources } from "./resources.ts";
import { perSecond, summarize, type Summary } from "./stats.ts";

type Log = (line: string) => void;

export interface FreshnessPlan {
  hosts: number;
  /** Measured points in all (spread round-robin over the hosts). */
  points: number;
  /** Points sent per host before measuring. */
  warmupPerHost: number;
  /** Points per second over all hosts. */
  rate: number;
  /** Poll interval of the database, ms. */
  pollMs: number;
  /** How long to wait for the last rows after the last point was accepted, s. */
  waitSeconds: number;
}

export interface FreshnessResult {
  hosts: number;
  points: number;
  rate: number;
  achievedRate: number;
  pollMs: number;
  /** POST /metrics round trip, ms. */
  edgeMs: Summary;
  /** Accepted → its metric_points row visible, ms. */
  toPointRow: Summary;
  /** Accepted → its predictions row visible, ms. */
  toPredictionRow: Summary;
  /** Accepted points whose row did not show within the wait. */
  missingPointRows: number;
  missingPredictionRows: number;
  /** POST /metrics that failed or did not accept the point. */
  rejected: number;
  /** Produce requests the gateway answered and records it produced over the whole part. */
  gateway: { produceRequests: number; records: number; recordsPerRequest: number };
  connector: { batches: number; records: number; writeErrors: number; deadLettered: number };
  timings: { bundleMs: number; workerStartMs: number };
}

interface Sample {
  host: string;
  ts: number;
  sentAt: number;
  acceptedAt: number;
  pointAt: number;
  predictionAt: number;
}

export interface FreshnessContext {
  root: string;
  /** Temporary directory of this part (bundle, dev config, env file, Durable Object storage, logs). */
  dir: string;
  pg: RunningPostgres;
  bootstrap: string;
  resources: Resources;
  log: Log;
}

const TENANT = "bench";
/** Per-tenant rate limit of the bench Worker (wrangler.toml's 600 / 10 s would not matter, but
 * nothing measured here should depend on it). */
const RATE_LIMIT = 1_000_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** The Worker's env file: a bench-only API key, the sink pointed at the gateway. */
function writeEnvFile(dir: string, gatewayUrl: string, username: string, password: string) {
  const apiKey = `bench-${randomBytes(12).toString("hex")}`;
  const keys = [
    { tenant: TENANT, sha256: createHash("sha256").update(apiKey).digest("hex"), scopes: ["write", "read"] },
  ];
  const envFile = join(dir, "bench.env");
  writeFileSync(
    envFile,
    [
      `API_KEYS='${JSON.stringify(keys)}'`,
      `UPSTASH_KAFKA_REST_URL='${gatewayUrl}'`,
      `UPSTASH_KAFKA_REST_USERNAME='${username}'`,
      `UPSTASH_KAFKA_REST_PASSWORD='${password}'`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { envFile, apiKey };
}

/** Only this run's Worker answers GET /health with its model ready and the upstash sink configured. */
async function workerReady(url: string): Promise<boolean> {
  const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) });
  const h = HealthSchema.safeParse(await r.json().catch(() => null));
  return r.status === 200 && h.success && h.data.inference.ready && h.data.sink.kind === "upstash";
}

/** Outstanding (host, time) keys of `table` that are visible now. */
async function visible(
  sql: Sql,
  table: "metric_points" | "predictions",
  keys: Sample[],
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql.unsafe(
    `SELECT host, (extract(epoch FROM time) * 1000)::bigint::text AS ms FROM ${table}
     WHERE tenant = $1 AND (host, time) IN (SELECT * FROM unnest($2::text[], $3::timestamptz[]))`,
    [TENANT, keys.map((k) => k.host), keys.map((k) => new Date(k.ts).toISOString())] as never,
  );
  return new Set(rows.map((r) => `${r.host as string}@${r.ms as string}`));
}

const keyOf = (s: { host: string; ts: number }) => `${s.host}@${s.ts}`;

export async function runFreshness(ctx: FreshnessContext, plan: FreshnessPlan): Promise<FreshnessResult> {
  const { root, dir, pg, bootstrap, resources, log } = ctx;
  mkdirSync(dir, { recursive: true });
  const tag = Date.now().toString(36);

  // Database and connector.
  const url = await pg.createDatabase(`bench_freshness_${tag}`);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const closeSql = resources.add("freshness database client", () => sql.end({ timeout: 5 }));
  await migrate(sql, { log: () => {} });
  const connectorLog: string[] = [];
  const connector = await startConnector({
    brokers: [bootstrap],
    databaseUrl: url,
    groupId: `bench-freshness-${tag}`,
    clientId: `bench-freshness-${tag}`,
    log: (l) => connectorLog.push(l),
  });
  const stopConnector = resources.add("connector", () => connector.close());
  for (let i = 0; !(await connector.health()).ok; i++) {
    if (resources.closing) throw new Error("stopped");
    if (i > 300) throw new Error(`the connector did not become healthy in 30 s:\n${connectorLog.join("\n")}`);
    await sleep(100);
  }

  // Gateway.
  const username = "edge";
  const password = randomBytes(16).toString("hex");
  const gatewayLog: string[] = [];
  const gateway = await startGateway({
    brokers: [bootstrap],
    username,
    password,
    log: (l) => gatewayLog.push(l),
  });
  const stopGateway = resources.add("gateway", () => gateway.close());
  log(`connector joined, gateway on ${gateway.url} (${gateway.config.kafkaClient})`);

  // The Worker: bundle once, serve the bundle.
  const source = join(root, "wrangler.toml");
  let t = performance.now();
  log("bundling the Worker (wrangler deploy --dry-run; nothing is deployed)…");
  await bundleWorker(root, source, join(dir, "bundle"));
  const bundleMs = performance.now() - t;
  const config = writeDevConfig(source, join(dir, "bundle"), join(dir, "dev"), RATE_LIMIT);
  const { envFile, apiKey } = writeEnvFile(dir, gateway.url, username, password);
  t = performance.now();
  log("starting wrangler dev of that bundle…");
  const dev = await BenchDev.start({
    root,
    config,
    envFile,
    persistTo: join(dir, "state"),
    readyTimeoutMs: 180_000,
    probe: workerReady,
    registryPath: join(dir, "registry"),
    logFile: join(dir, "wrangler.log"),
  });
  const stopDev = resources.add("wrangler dev", () => dev.stop());
  const workerStartMs = performance.now() - t;
  log(`Worker ready on ${dev.url} after ${(workerStartMs / 1000).toFixed(1)} s`);

  try {
    const perHost = Math.ceil(plan.points / plan.hosts);
    const nowMin = Math.floor(Date.now() / 60_000) * 60_000;
    const startMs = nowMin - (plan.warmupPerHost + perHost + 1) * 60_000;
    const hosts = Array.from({ length: plan.hosts }, (_, h) => `fresh-${tag}-${h}`);
    const samples = new Map<string, Sample>();
    let rejected = 0;

    const post = async (host: string, i: number, s: Sample | null): Promise<void> => {
      const ts = startMs + i * 60_000;
      const body = {
        host,
        timestamp: ts,
        cpu_usage: 30 + ((i * 7) % 11),
        memory_usage: 55 + (i % 5),
        network_latency: 90 + (i % 13),
        error_rate: 0.002,
      };
      const sentAt = performance.now();
      let ok: boolean;
      try {
        const res = await fetch(`${dev.url}/metrics`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        const r = PointIngestSchema.safeParse(await res.json().catch(() => null));
        ok =
          res.status === 200 &&
          r.success &&
          r.data.accepted === 1 &&
          r.data.prediction !== null &&
          Date.parse(r.data.prediction.as_of) === ts;
      } catch {
        ok = false;
      }
      if (!ok) {
        rejected++;
        return;
      }
      if (s) {
        s.sentAt = sentAt;
        s.acceptedAt = performance.now();
        samples.set(keyOf(s), s);
      }
    };

    // Poller: runs until stopped, recording visibility of the measured samples.
    let polling = true;
    let pollError: unknown = null;
    const pending = () =>
      [...samples.values()].filter((s) => Number.isNaN(s.pointAt) || Number.isNaN(s.predictionAt));
    const poller = (async () => {
      while (polling) {
        const open = pending();
        if (open.length > 0) {
          try {
            const needPoint = open.filter((s) => Number.isNaN(s.pointAt));
            const needPred = open.filter((s) => Number.isNaN(s.predictionAt));
            const [points, preds] = await Promise.all([
              visible(sql, "metric_points", needPoint),
              visible(sql, "predictions", needPred),
            ]);
            const at = performance.now();
            for (const s of needPoint) if (points.has(keyOf(s))) s.pointAt = at;
            for (const s of needPred) if (preds.has(keyOf(s))) s.predictionAt = at;
          } catch (e) {
            pollError = e;
            polling = false;
          }
        }
        await sleep(plan.pollMs);
      }
    })();

    try {
      // Warm-up: every host's first points, then wait until the last one's rows are in.
      log(`warm-up: ${plan.warmupPerHost} points per host on ${plan.hosts} hosts…`);
      await Promise.all(
        hosts.map(async (host) => {
          for (let i = 0; i < plan.warmupPerHost; i++) await post(host, i, null);
        }),
      );
      const lastWarm = startMs + (plan.warmupPerHost - 1) * 60_000;
      const warmDeadline = performance.now() + 60_000;
      for (;;) {
        const keys = hosts.map((host) => ({ host, ts: lastWarm }) as Sample);
        if ((await visible(sql, "predictions", keys)).size === hosts.length) break;
        if (resources.closing) throw new Error("stopped");
        if (performance.now() > warmDeadline)
          throw new Error(
            `warm-up: the predictions rows did not arrive within 60 s (gateway log: ${gatewayLog.slice(-5).join(" | ")}; connector log: ${connectorLog.slice(-5).join(" | ")})`,
          );
        await sleep(50);
      }
      if (rejected > 0) throw new Error(`warm-up: ${rejected} points were not accepted`);

      // Measured: point k goes to host k % hosts at t0 + k / rate (a host's points one at a time).
      log(`measuring: ${plan.points} points at ${plan.rate}/s over ${plan.hosts} hosts…`);
      const t0 = performance.now() + 50;
      const chains = hosts.map(async (host, h) => {
        for (let k = h, i = plan.warmupPerHost; k < plan.points; k += plan.hosts, i++) {
          await sleep(t0 + (k * 1000) / plan.rate - performance.now());
          if (resources.closing) return;
          const s: Sample = {
            host,
            ts: startMs + i * 60_000,
            sentAt: NaN,
            acceptedAt: NaN,
            pointAt: NaN,
            predictionAt: NaN,
          };
          await post(host, i, s);
        }
      });
      await Promise.all(chains);
      const sendMs = performance.now() - t0;
      const waitUntil = performance.now() + plan.waitSeconds * 1000;
      while (
        pending().length > 0 &&
        performance.now() < waitUntil &&
        pollError === null &&
        !resources.closing
      )
        await sleep(20);
      if (resources.closing) throw new Error("stopped");
      polling = false;
      await poller;
      if (pollError !== null) throw pollError;

      const all = [...samples.values()];
      const toPoint = all.filter((s) => !Number.isNaN(s.pointAt)).map((s) => s.pointAt - s.acceptedAt);
      const toPred = all
        .filter((s) => !Number.isNaN(s.predictionAt))
        .map((s) => s.predictionAt - s.acceptedAt);
      const produce = await gateway.metrics.requests.get();
      const records = await gateway.metrics.records.get();
      const produceRequests = produce.values
        .filter((v) => v.labels.route === "/produce" && String(v.labels.status) === "200")
        .reduce((n, v) => n + v.value, 0);
      const produced = records.values.reduce((n, v) => n + v.value, 0);
      const cs = connector.stats();
      return {
        hosts: plan.hosts,
        points: all.length,
        rate: plan.rate,
        achievedRate: perSecond(all.length, sendMs),
        pollMs: plan.pollMs,
        edgeMs: summarize(all.map((s) => s.acceptedAt - s.sentAt)),
        toPointRow: summarize(toPoint),
        toPredictionRow: summarize(toPred),
        missingPointRows: all.length - toPoint.length,
        missingPredictionRows: all.length - toPred.length,
        rejected,
        gateway: {
          produceRequests,
          records: produced,
          recordsPerRequest: produceRequests > 0 ? produced / produceRequests : NaN,
        },
        connector: {
          batches: cs.batches,
          records: cs.records,
          writeErrors: cs.writeErrors,
          deadLettered: cs.deadLettered,
        },
        timings: { bundleMs, workerStartMs },
      };
    } finally {
      polling = false;
      await poller;
    }
  } finally {
    // The edge first, so nothing new arrives; then the gateway, the connector, the client.
    await stopDev();
    await stopGateway();
    await stopConnector();
    await closeSql();
  }
}
