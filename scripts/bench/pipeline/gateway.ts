/**
 * Gateway benchmark (issue #10): records/s through `POST /produce` for batches of 1, 100 and 500
 * records, and the p50/p99 request latency, for each Kafka client implementation (kafkajs,
 * @platformatic/kafka) on the same broker in the same run. Every phase is bounded in requests and in
 * time. Records look like the edge's: a ~600-byte JSON envelope, key `<tenant>/<host>` over 50 hosts,
 * an `event-id` header. The load generator, the gateway and Kafka share this machine, so the figures
 * are relative (one client against the other), not a capacity claim.
 *
 * `runGatewayBench()` returns the results (a later `npm run bench:pipeline` calls it);
 * `npx tsx scripts/bench/pipeline/gateway.ts [--quick] [--concurrency 4] [--bootstrap host:port]`
 * prints a table. Writes nothing to the repository (the broker it starts lives in a temp dir).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import { ALL_TOPICS, EVENT_ID_HEADER } from "../../../contracts/events.ts";
import { startGateway } from "../../../gateway/server.ts";
import { KAFKA_CLIENTS, type KafkaClientName } from "../../../gateway/kafka/types.ts";
import { createTopics, startKafka } from "../../kafka/kafka.ts";

export interface GatewayBenchOptions {
  /** An existing broker with the pipeline topics; default: start one for the run. */
  bootstrap?: string;
  clients?: readonly KafkaClientName[];
  batchSizes?: readonly number[];
  /** Requests in flight at once (default 4: several host objects flushing at the same time). */
  concurrency?: number;
  /** Records per phase at most (default 20 000; --quick 3 000). */
  maxRecords?: number;
  /** Seconds per phase at most (default 10; --quick 4). */
  maxSeconds?: number;
  log?: (line: string) => void;
}

export interface GatewayBenchRow {
  client: KafkaClientName;
  batch: number;
  concurrency: number;
  requests: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface GatewayBenchResult {
  rows: GatewayBenchRow[];
  /** The client with the higher records/s summed over the batch sizes. */
  faster: KafkaClientName;
  recordBytes: number;
}

const TOPIC = "metrics";
const USER = "bench";

export async function runGatewayBench(o: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const log = o.log ?? (() => undefined);
  const clients = o.clients ?? KAFKA_CLIENTS;
  const batchSizes = o.batchSizes ?? [1, 100, 500];
  const concurrency = o.concurrency ?? 4;
  const maxRecords = o.maxRecords ?? 20_000;
  const maxSeconds = o.maxSeconds ?? 10;
  let dir: string | undefined;
  let kafka: Awaited<ReturnType<typeof startKafka>> | undefined;
  let bootstrap = o.bootstrap;
  try {
    if (bootstrap === undefined) {
      dir = mkdtempSync(join(tmpdir(), "bench-gateway-"));
      kafka = await startKafka({ dataDir: dir, log });
      await createTopics(
        kafka,
        ALL_TOPICS.map((name) => ({ name, partitions: 4 })),
      );
      bootstrap = kafka.bootstrap;
    }
    const rows: GatewayBenchRow[] = [];
    const sample = record(0, 0);
    for (const client of clients) {
      const password = randomBytes(12).toString("hex");
      const gw = await startGateway({
        brokers: [bootstrap],
        username: USER,
        password,
        kafkaClient: client,
        log: () => undefined,
      });
      const auth = `Basic ${Buffer.from(`${USER}:${password}`).toString("base64")}`;
      try {
        // Warm-up: connections, metadata, the idempotent producer's id.
        await phase(gw.url, auth, 1, 1, 20, 5);
        for (const batch of batchSizes) {
          const r = await phase(gw.url, auth, batch, concurrency, maxRecords, maxSeconds);
          const row: GatewayBenchRow = { client, batch, concurrency, ...r };
          rows.push(row);
          log(
            `${client} batch ${batch}: ${row.recordsPerSecond.toFixed(0)} records/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`,
          );
        }
      } finally {
        await gw.close();
      }
    }
    const total = (c: KafkaClientName) =>
      rows.filter((r) => r.client === c).reduce((s, r) => s + r.recordsPerSecond, 0);
    const faster = [...clients].sort((a, b) => total(b) - total(a))[0]!;
    return { rows, faster, recordBytes: Buffer.byteLength(JSON.stringify(sample)) };
  } finally {
    await kafka?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

let seq = 0;
/** An edge-like record: the envelope of a metrics event. */
function record(host: number, i: number) {
  const id = `bench-${process.pid}:${seq++}`;
  const key = `bench/host-${host}`;
  const ts = Date.now();
  const points = [
    {
      ts: ts - 60_000,
      cpu_usage: 41.5 + (i % 7),
      memory_usage: 72.25,
      network_latency: 118.4,
      error_rate: 0.012,
    },
    { ts, cpu_usage: 43.1, memory_usage: 72.5, network_latency: 121.9, error_rate: 0.013 },
  ];
  return {
    topic: TOPIC,
    key,
    timestamp: ts,
    headers: [{ key: EVENT_ID_HEADER, value: id }],
    value: JSON.stringify({
      id,
      topic: TOPIC,
      key,
      ts,
      payload: { host: `host-${host}`, points, labels: { region: "eu-west" } },
    }),
  };
}

async function phase(
  url: string,
  auth: string,
  batch: number,
  concurrency: number,
  maxRecords: number,
  maxSeconds: number,
): Promise<Omit<GatewayBenchRow, "client" | "batch" | "concurrency">> {
  const maxRequests = Math.max(concurrency, Math.floor(maxRecords / batch));
  const deadline = performance.now() + maxSeconds * 1000;
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  let host = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < maxRequests && performance.now() < deadline) {
      started++;
      const body = JSON.stringify(Array.from({ length: batch }, (_, i) => record(host++ % 50, i)));
      const t = performance.now();
      const res = await fetch(`${url}/produce`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body,
      });
      const json: unknown = await res.json();
      if (!res.ok || !Array.isArray(json) || json.length !== batch) errors++;
      else latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    records: latencies.length * batch,
    seconds,
    recordsPerSecond: (latencies.length * batch) / seconds,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errors,
  };
}

export function formatTable(r: GatewayBenchResult): string {
  const head = "| client | batch | concurrency | requests | records/s | p50 ms | p99 ms | errors |";
  const sep = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const lines = r.rows.map(
    (x) =>
      `| ${x.client} | ${x.batch} | ${x.concurrency} | ${x.requests} | ${x.recordsPerSecond.toFixed(0)} | ${x.p50Ms.toFixed(1)} | ${x.p99Ms.toFixed(1)} | ${x.errors} |`,
  );
  return [head, sep, ...lines, "", `faster: ${r.faster} (records of ~${r.recordBytes} bytes)`].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      concurrency: { type: "string" },
      bootstrap: { type: "string" },
    },
  });
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64))
    throw new Error(`--concurrency must be 1..64, got ${values.concurrency}`);
  const result = await runGatewayBench({
    bootstrap: values.bootstrap,
    concurrency,
    maxRecords: values.quick ? 3000 : undefined,
    maxSeconds: values.quick ? 4 : undefined,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatTable(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
