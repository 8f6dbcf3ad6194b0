/**
 * Connector throughput (issue #10): rows/s the connector (timescale/connector/) writes into the
 * database, against a raw `COPY` of exactly the same rows into the same tables, in the same run.
 *
 * 1. Events as the edge writes them (`hostEvents`: per host and minute a `metrics` event with one
 *    point and a `predictions` event, one `alerts` transition per host) are produced to Kafka first,
 *    so the connector reads a backlog.
 * 2. One database with the schema (`migrate`), emptied (TRUNCATE) before every run. Per repetition,
 *    interleaved: the COPY baseline (one `COPY … FROM STDIN` per table on one connection, text format,
 *    serialisation included), then the connector in each configuration (its own consumer group, so it
 *    reads the backlog from the start). The connector's time runs from the first record it read
 *    (`connector_records_total` > 0) to the commit that brought its inserted rows to the total; the
 *    time from its start (group join included) is reported too. The connector also keeps
 *    `host_latest` (one upsert per host and batch), which COPY does not.
 * 3. The writer alone, on the same rows, batch by batch on one connection: `writeBatch` as shipped
 *    (COPY straight into the event tables, a replayed batch rolling back to COPY → temp table →
 *    `INSERT … SELECT … ON CONFLICT DO NOTHING`; + host_latest), the same without host_latest, and
 *    the ON CONFLICT designs for the event tables — `jsonb_to_recordset` (the writer shipped before),
 *    COPY → temp → INSERT, typed arrays through `unnest`; one transaction per batch, as the connector
 *    does. The connector's CPU per record outside the database is timed alone (parse, rows, COPY text).
 *
 * Every wait is bounded (`maxSeconds` per connector run). The caller owns Kafka and PostgreSQL.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Kafka, logLevel } from "kafkajs";
import postgres, { type Sql } from "postgres";
import type { Counter } from "prom-client";
import { EVENT_TOPICS, parseEvent } from "../../../contracts/events.ts";
import type { RunningPostgres } from "../../postgres/postgres.ts";
import { CONNECTOR_DEFAULTS, startConnector } from "../../../timescale/connector/connector.ts";
import { rowCounts, toRows, type BatchRows, type TenantEvent } from "../../../timescale/connector/rows.ts";
import { alertLines, pointLines, predictionLines } from "../../../timescale/connector/copy.ts";
import { parseRecord } from "../../../timescale/connector/parse.ts";
import { writeBatch } from "../../../timescale/connector/writer.ts";
import { migrate } from "../../../timescale/migrate.ts";
import { expectedRows, hostEvents, type EventRecord } from "../../../timescale/testing/events.ts";
import { copyLine, median, perSecond } from "./stats.ts";

type Log = (line: string) => void;

export interface ConnectorConfigUnderTest {
  name: string;
  /** Database connections (connector default: CONNECTOR_DEFAULTS). */
  poolSize?: number;
  /** Partition batches written at once (connector default: CONNECTOR_DEFAULTS). */
  concurrency?: number;
}

export interface ConnectorPlan {
  hosts: number;
  /** Minutes per host: `steps` points and `steps` predictions each. */
  steps: number;
  repeats: number;
  /** Configurations of the connector; the first is the judged one (the connector's defaults). */
  configs: ConnectorConfigUnderTest[];
  /** Events per writer batch in the writer comparison. */
  writerBatches: number[];
  /** Bound on one connector run, s. */
  maxSeconds: number;
}

export interface ConnectorRun {
  /** First record read → last row committed, ms (what rows/s is computed from). */
  ms: number;
  /** Connector start → last row committed (consumer group join included), ms. */
  startToDoneMs: number;
  /** Connector start → joined its group, ms. */
  joinMs: number;
  rowsPerSecond: number;
  batches: number;
  recordsPerBatch: number;
  writeErrors: number;
  deadLettered: number;
}

export interface ConnectorConfigResult {
  name: string;
  poolSize: number;
  concurrency: number;
  runs: ConnectorRun[];
  medianRowsPerSecond: number;
  /** medianRowsPerSecond ÷ COPY's median. */
  ratio: number;
}

export interface WriterRow {
  variant: WriterVariant;
  /** Events per transaction. */
  batch: number;
  transactions: number;
  rows: number;
  /** Medians over the repetitions. */
  ms: number;
  rowsPerSecond: number;
  /** rows/s of each repetition. */
  runs: number[];
}

export type WriterVariant =
  "writeBatch" | "writeBatch-no-latest" | "recordset-insert" | "copy-temp-insert" | "unnest-insert";

export interface ConnectorBenchResult {
  hosts: number;
  steps: number;
  records: number;
  rows: { metric_points: number; predictions: number; alerts: number; total: number };
  partitions: number;
  produce: { ms: number; recordsPerSecond: number };
  /**
   * The connector's CPU per record outside the database, µs (medians): `parseEvent` (the contracts'
   * zod schemas alone), `parseRecord` (what the connector runs: a checked fast path, zod behind it),
   * `toRows`, and the COPY text of the rows.
   */
  cpu: {
    parseUsPerRecord: number;
    parseRecordUsPerRecord: number;
    toRowsUsPerRecord: number;
    copyTextUsPerRecord: number;
  };
  copy: { runs: { ms: number; rowsPerSecond: number }[]; medianRowsPerSecond: number };
  configs: ConnectorConfigResult[];
  /** The judged ratio: the first configuration's (the connector's defaults). */
  ratio: number;
  writer: WriterRow[];
}

/** Columns written, in the order COPY gets them (the row objects of rows.ts carry these keys). */
const POINT_COLUMNS = [
  "time",
  "tenant",
  "host",
  "cpu_usage",
  "memory_usage",
  "network_latency",
  "error_rate",
  "metrics",
  "labels",
] as const satisfies readonly (keyof BatchRows["points"][number])[];
const PREDICTION_COLUMNS = [
  "time",
  "tenant",
  "host",
  "risk",
  "level",
  "level_since",
  "downtime_within_minutes",
  "time_to_breach",
  "anomaly",
  "contributors",
  "model_version",
  "steps_seen",
] as const satisfies readonly (keyof BatchRows["predictions"][number])[];
const ALERT_COLUMNS = [
  "time",
  "tenant",
  "host",
  "from_level",
  "to_level",
  "risk",
] as const satisfies readonly (keyof BatchRows["alerts"][number])[];

const TABLES = [
  { table: "metric_points", columns: POINT_COLUMNS, rows: (r: BatchRows) => r.points },
  { table: "predictions", columns: PREDICTION_COLUMNS, rows: (r: BatchRows) => r.predictions },
  { table: "alerts", columns: ALERT_COLUMNS, rows: (r: BatchRows) => r.alerts },
] as const;

const TENANT = "bench";
const PARTITIONS = 4;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The event topics with the partitions of this bench (the stack's 4). */
export const CONNECTOR_TOPICS = EVENT_TOPICS.map((name) => ({ name, partitions: PARTITIONS }));

/** The benchmark's database: the schema applied once, emptied before each run. */
interface BenchDatabase {
  url: string;
  /** One connection (the COPY baseline and the writer comparison run on it). */
  sql: Sql;
  /** Empties the event tables and host_latest (TimescaleDB drops the chunks). */
  empty(): Promise<void>;
}

async function benchDatabase(pg: RunningPostgres, name: string): Promise<BenchDatabase> {
  const url = await pg.createDatabase(name);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql, { log: () => {} });
  return {
    url,
    sql,
    async empty() {
      await sql`TRUNCATE metric_points, predictions, alerts, host_latest`;
    },
  };
}

async function produce(bootstrap: string, records: readonly EventRecord[]): Promise<number> {
  const kafka = new Kafka({ clientId: "bench-pipeline", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const t = performance.now();
    for (let i = 0; i < records.length; i += 1000) {
      const byTopic = new Map<string, EventRecord[]>();
      for (const r of records.slice(i, i + 1000)) {
        const list = byTopic.get(r.topic);
        if (list) list.push(r);
        else byTopic.set(r.topic, [r]);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, rs]) => ({
          topic,
          messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    }
    return performance.now() - t;
  } finally {
    await producer.disconnect();
  }
}

/** COPY of `rows` into `table` (text format, 1000 lines per chunk). */
async function copyInto(
  sql: Pick<Sql, "unsafe">,
  table: string,
  columns: readonly string[],
  rows: readonly object[],
): Promise<void> {
  if (rows.length === 0) return;
  const writable = await sql.unsafe(`COPY ${table} (${columns.join(", ")}) FROM STDIN`).writable();
  function* chunks(): Generator<string> {
    for (let i = 0; i < rows.length; i += 1000) {
      let s = "";
      for (const r of rows.slice(i, i + 1000)) s += copyLine(r, columns);
      yield s;
    }
  }
  await pipeline(Readable.from(chunks()), writable);
}

async function counts(sql: Sql): Promise<{ metric_points: number; predictions: number; alerts: number }> {
  const [r] = await sql`
    SELECT (SELECT count(*)::int FROM metric_points) AS metric_points,
           (SELECT count(*)::int FROM predictions) AS predictions,
           (SELECT count(*)::int FROM alerts) AS alerts`;
  return r as { metric_points: number; predictions: number; alerts: number };
}

function checkCounts(
  what: string,
  got: { metric_points: number; predictions: number; alerts: number },
  want: { metric_points: number; predictions: number; alerts: number },
): void {
  if (
    got.metric_points !== want.metric_points ||
    got.predictions !== want.predictions ||
    got.alerts !== want.alerts
  )
    throw new Error(`${what}: the database holds ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

async function copyRun(db: BenchDatabase, rows: BatchRows, total: number) {
  await db.empty();
  const t = performance.now();
  for (const { table, columns, rows: of } of TABLES) await copyInto(db.sql, table, columns, of(rows));
  const ms = performance.now() - t;
  checkCounts("COPY", await counts(db.sql), rowCounts(rows));
  return { ms, rowsPerSecond: perSecond(total, ms) };
}

async function connectorRun(
  db: BenchDatabase,
  bootstrap: string,
  group: string,
  cfg: ConnectorConfigUnderTest,
  want: ReturnType<typeof rowCounts>,
  maxSeconds: number,
  log: Log,
  stopped: () => boolean,
): Promise<ConnectorRun> {
  const total = want.metric_points + want.predictions + want.alerts;
  await db.empty();
  const lines: string[] = [];
  let joinedAt = NaN;
  const t0 = performance.now();
  const c = await startConnector({
    brokers: [bootstrap],
    databaseUrl: db.url,
    groupId: group,
    clientId: group,
    poolSize: cfg.poolSize,
    concurrency: cfg.concurrency,
    log: (l) => {
      if (Number.isNaN(joinedAt) && l.includes("joined group")) joinedAt = performance.now();
      lines.push(l);
    },
  });
  try {
    const read = c.registry.getSingleMetric("connector_records_total") as Counter | undefined;
    if (!read) throw new Error("the connector has no connector_records_total metric");
    let firstAt = NaN;
    let doneAt = NaN;
    const deadline = t0 + maxSeconds * 1000;
    while (Number.isNaN(doneAt)) {
      const now = performance.now();
      if (Number.isNaN(firstAt) && (await read.get()).values.some((v) => v.value > 0)) firstAt = now;
      if (c.stats().rowsInserted >= total) doneAt = performance.now();
      else if (stopped()) throw new Error("stopped");
      else if (now > deadline)
        throw new Error(
          `connector ${cfg.name}: ${c.stats().rowsInserted} of ${total} rows after ${maxSeconds} s; its log:\n${lines.slice(-20).join("\n")}`,
        );
      else await sleep(2);
    }
    const s = c.stats();
    checkCounts(`connector ${cfg.name}`, await counts(db.sql), want);
    const ms = doneAt - firstAt;
    const run: ConnectorRun = {
      ms,
      startToDoneMs: doneAt - t0,
      joinMs: joinedAt - t0,
      rowsPerSecond: perSecond(total, ms),
      batches: s.batches,
      recordsPerBatch: s.batches > 0 ? s.records / s.batches : NaN,
      writeErrors: s.writeErrors,
      deadLettered: s.deadLettered,
    };
    log(
      `connector ${cfg.name}: ${run.rowsPerSecond.toFixed(0)} rows/s (${ms.toFixed(0)} ms from the first record read; ${run.startToDoneMs.toFixed(0)} ms from its start, group joined after ${run.joinMs.toFixed(0)} ms; ${s.batches} batches)`,
    );
    return run;
  } finally {
    await c.close();
  }
}

/** The writer alternative: COPY into a session temp table, INSERT … SELECT … ON CONFLICT DO NOTHING. */
async function copyTempInsert(sql: Sql, rows: BatchRows): Promise<number> {
  return sql.begin(async (tx) => {
    let n = 0;
    for (const { table, columns, rows: of } of TABLES) {
      const list = of(rows);
      if (list.length === 0) continue;
      await copyInto(tx, `stage_${table}`, columns, list);
      const cols = columns.join(", ");
      const r = await tx.unsafe(
        `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM stage_${table} ON CONFLICT DO NOTHING`,
      );
      n += r.count;
    }
    return n;
  });
}

/**
 * The writer this connector shipped before (#10's first version): one `INSERT … SELECT … FROM
 * jsonb_to_recordset($1) ON CONFLICT DO NOTHING` per table, the rows as one JSON parameter.
 */
async function recordsetInsert(sql: Sql, rows: BatchRows): Promise<number> {
  return sql.begin(async (tx) => {
    let n = 0;
    for (const { table, columns, rows: of } of TABLES) {
      const list = of(rows) as unknown as readonly Record<string, unknown>[];
      if (list.length === 0) continue;
      const defs = columns.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(", ");
      const cols = columns.join(", ");
      const r = await tx.unsafe(
        `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM jsonb_to_recordset($1::jsonb) AS x(${defs}) ON CONFLICT DO NOTHING`,
        [tx.json(list as never)],
      );
      n += r.count;
    }
    return n;
  });
}

/** SQL types of the written columns (for the unnest variant's typed array parameters). */
const COLUMN_TYPES: Record<string, string> = {
  time: "timestamptz",
  tenant: "text",
  host: "text",
  cpu_usage: "float8",
  memory_usage: "float8",
  network_latency: "float8",
  error_rate: "float8",
  metrics: "jsonb",
  labels: "jsonb",
  risk: "jsonb",
  level: "text",
  level_since: "timestamptz",
  downtime_within_minutes: "float8",
  time_to_breach: "jsonb",
  anomaly: "jsonb",
  contributors: "jsonb",
  model_version: "text",
  steps_seen: "int4",
  from_level: "text",
  to_level: "text",
};

/**
 * Another alternative: one array parameter per column, `INSERT … SELECT * FROM unnest($1::timestamptz[],
 * …) ON CONFLICT DO NOTHING` (scalars travel typed; only the jsonb columns are JSON text).
 */
async function unnestInsert(sql: Sql, rows: BatchRows): Promise<number> {
  return sql.begin(async (tx) => {
    let n = 0;
    for (const { table, columns, rows: of } of TABLES) {
      const list = of(rows) as unknown as readonly Record<string, unknown>[];
      if (list.length === 0) continue;
      const params = columns.map((c) =>
        list.map((r) => {
          const v = r[c];
          return COLUMN_TYPES[c] === "jsonb" ? JSON.stringify(v) : (v ?? null);
        }),
      );
      const args = columns.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(", ");
      const r = await tx.unsafe(
        `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM unnest(${args}) ON CONFLICT DO NOTHING`,
        params as never,
      );
      n += r.count;
    }
    return n;
  });
}

/** Events per topic in order, cut into batches of `size` (a connector batch holds one partition). */
function batchesOf(events: readonly TenantEvent[], size: number): TenantEvent[][] {
  const out: TenantEvent[][] = [];
  for (const topic of EVENT_TOPICS) {
    const list = events.filter((e) => e.topic === topic);
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  }
  return out;
}

async function writerRun(
  db: BenchDatabase,
  variant: WriterVariant,
  events: readonly TenantEvent[],
  batch: number,
  want: ReturnType<typeof rowCounts>,
): Promise<{ ms: number; rows: number; transactions: number }> {
  await db.empty();
  const batches = batchesOf(events, batch).map((b) => {
    const r = toRows(b);
    return variant === "writeBatch" ? r : { ...r, latest: new Map() as BatchRows["latest"] };
  });
  const written = async (b: BatchRows) => {
    const r = await writeBatch(db.sql, b);
    return r.inserted.metric_points + r.inserted.predictions + r.inserted.alerts;
  };
  let rows = 0;
  const t = performance.now();
  for (const b of batches) {
    if (variant === "copy-temp-insert") rows += await copyTempInsert(db.sql, b);
    else if (variant === "unnest-insert") rows += await unnestInsert(db.sql, b);
    else if (variant === "recordset-insert") rows += await recordsetInsert(db.sql, b);
    else rows += await written(b);
  }
  const ms = performance.now() - t;
  checkCounts(`writer ${variant}`, await counts(db.sql), want);
  if (variant.startsWith("writeBatch") && batches.length > 0) {
    // Not timed: a replayed batch takes the idempotent path and changes nothing.
    const again = await written(batches[0]!);
    if (again !== 0) throw new Error(`writer ${variant}: a replayed batch inserted ${again} rows`);
    checkCounts(`writer ${variant} after a replay`, await counts(db.sql), want);
  }
  return { ms, rows, transactions: batches.length };
}

export const WRITER_VARIANTS: readonly WriterVariant[] = [
  "writeBatch",
  "writeBatch-no-latest",
  "recordset-insert",
  "copy-temp-insert",
  "unnest-insert",
];

export async function runConnectorBench(
  pg: RunningPostgres,
  bootstrap: string,
  plan: ConnectorPlan,
  log: Log,
  /** True once the run is being stopped (Ctrl-C): waits end at once. */
  stopped: () => boolean = () => false,
): Promise<ConnectorBenchResult> {
  // Four days back: inside TimescaleDB's 7-day compression and 90-day retention, and outside the
  // windows the continuous-aggregate policies refresh (3 hours, 2 days), so no background job works
  // on these rows while a run is timed.
  const startMs = Math.floor(Date.now() / 60_000) * 60_000 - 4 * 86_400_000;
  const records = Array.from({ length: plan.hosts }, (_, h) =>
    hostEvents(TENANT, h, startMs, plan.steps),
  ).flat();
  // The connector's own CPU work per record, alone: parsing (JSON + the contracts' schemas; zod alone
  // and the connector's parseRecord), rows, and their COPY text.
  const parseMs: number[] = [];
  const parseRecordMs: number[] = [];
  const rowsMs: number[] = [];
  const copyTextMs: number[] = [];
  let events: TenantEvent[] = [];
  let all: BatchRows | undefined;
  for (let i = 0; i < Math.max(3, plan.repeats); i++) {
    let t = performance.now();
    const zodEvents = records.map((r) => parseEvent(r.value, { topic: r.topic, key: r.key }));
    if (zodEvents.length !== records.length) throw new Error("parseEvent lost records");
    parseMs.push(performance.now() - t);
    t = performance.now();
    events = records.map((r) => parseRecord(r.value, { topic: r.topic, key: r.key }));
    parseRecordMs.push(performance.now() - t);
    t = performance.now();
    all = toRows(events);
    rowsMs.push(performance.now() - t);
    t = performance.now();
    const text = pointLines(all.points).length + predictionLines(all.predictions).length;
    if (text + alertLines(all.alerts).length === 0) throw new Error("no COPY text");
    copyTextMs.push(performance.now() - t);
  }
  if (!all) throw new Error("no rows");
  const want = rowCounts(all);
  const exp = expectedRows(plan.hosts, plan.steps);
  if (want.metric_points !== exp.points || want.predictions !== exp.predictions || want.alerts !== exp.alerts)
    throw new Error(`rows of the generated events ${JSON.stringify(want)} ≠ expected ${JSON.stringify(exp)}`);
  const total = want.metric_points + want.predictions + want.alerts;
  log(
    `${records.length} records (${plan.hosts} hosts × ${plan.steps} min) → ${total} rows; producing to Kafka…`,
  );
  const produceMs = await produce(bootstrap, records);
  log(`produced in ${(produceMs / 1000).toFixed(1)} s`);

  const tag = Date.now().toString(36);
  const db = await benchDatabase(pg, `bench_connector_${tag}`);
  try {
    // The writer alternative's staging tables: created once per session (a connector would create
    // them once per connection), emptied by each commit.
    for (const { table } of TABLES)
      await db.sql.unsafe(
        `CREATE TEMP TABLE stage_${table} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
      );

    // Interleaved repetitions: COPY, then each connector configuration, so drift in the machine's
    // load hits them alike; the medians are reported.
    const copyRuns: { ms: number; rowsPerSecond: number }[] = [];
    const runs = new Map<string, ConnectorRun[]>(plan.configs.map((c) => [c.name, []]));
    for (let rep = 0; rep < plan.repeats; rep++) {
      const copy = await copyRun(db, all, total);
      copyRuns.push(copy);
      log(
        `COPY (repetition ${rep + 1}/${plan.repeats}): ${copy.rowsPerSecond.toFixed(0)} rows/s (${copy.ms.toFixed(0)} ms)`,
      );
      for (const [i, cfg] of plan.configs.entries()) {
        const group = `bench-connector-${tag}-${rep}-${i}`;
        runs
          .get(cfg.name)!
          .push(await connectorRun(db, bootstrap, group, cfg, want, plan.maxSeconds, log, stopped));
      }
    }
    const copyMedian = median(copyRuns.map((r) => r.rowsPerSecond));
    const configs: ConnectorConfigResult[] = plan.configs.map((cfg) => {
      const rs = runs.get(cfg.name)!;
      const m = median(rs.map((r) => r.rowsPerSecond));
      return {
        name: cfg.name,
        poolSize: cfg.poolSize ?? CONNECTOR_DEFAULTS.poolSize,
        concurrency: cfg.concurrency ?? CONNECTOR_DEFAULTS.concurrency,
        runs: rs,
        medianRowsPerSecond: m,
        ratio: m / copyMedian,
      };
    });

    const writer: WriterRow[] = [];
    for (const batch of plan.writerBatches) {
      const byVariant = new Map<WriterVariant, { ms: number; rows: number; transactions: number }[]>();
      for (let rep = 0; rep < plan.repeats; rep++) {
        for (const variant of WRITER_VARIANTS) {
          const r = await writerRun(db, variant, events, batch, want);
          byVariant.set(variant, [...(byVariant.get(variant) ?? []), r]);
        }
      }
      for (const variant of WRITER_VARIANTS) {
        const rs = byVariant.get(variant)!;
        const rates = rs.map((r) => perSecond(r.rows, r.ms));
        const row: WriterRow = {
          variant,
          batch,
          transactions: rs[0]!.transactions,
          rows: rs[0]!.rows,
          ms: median(rs.map((r) => r.ms)),
          rowsPerSecond: median(rates),
          runs: rates,
        };
        writer.push(row);
        log(
          `writer ${variant}, ${batch} events per transaction: ${row.rowsPerSecond.toFixed(0)} rows/s (median of ${rs.length}; ${row.transactions} transactions)`,
        );
      }
    }

    return {
      hosts: plan.hosts,
      steps: plan.steps,
      records: records.length,
      rows: { ...want, total },
      partitions: PARTITIONS,
      produce: { ms: produceMs, recordsPerSecond: perSecond(records.length, produceMs) },
      cpu: {
        parseUsPerRecord: (median(parseMs) * 1000) / records.length,
        parseRecordUsPerRecord: (median(parseRecordMs) * 1000) / records.length,
        toRowsUsPerRecord: (median(rowsMs) * 1000) / records.length,
        copyTextUsPerRecord: (median(copyTextMs) * 1000) / records.length,
      },
      copy: { runs: copyRuns, medianRowsPerSecond: copyMedian },
      configs,
      ratio: configs[0]!.ratio,
      writer,
    };
  } finally {
    await db.sql.end({ timeout: 5 });
  }
}
