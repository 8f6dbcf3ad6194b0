/**
 * The edge benchmark's report: one zod schema (the bench validates what it writes, the test reads it
 * back with the same schema), the targets judged from measured figures, and the Markdown rendering.
 */
import { z } from "zod";
import type { CostRow } from "./cost.ts";
import { ENGINES, LAYER_DOC, LAYERS } from "./cost.ts";

const num = z.number().refine(Number.isFinite, { message: "must be finite" });
const nonneg = num.refine((x) => x >= 0, { message: "must be ≥ 0" });

const CostRowSchema = z.object({
  layer: z.enum(LAYERS),
  engine: z.enum(ENGINES),
  mode: z.enum(["incremental", "window"]),
  batch: z.number().int().positive(),
  window: z.number().int().positive().nullable(),
  points: z.number().int().positive(),
  calls: z.number().int().positive(),
  elapsed_ms: nonneg,
  us_per_point: nonneg,
  early_us_per_point: nonneg,
  late_us_per_point: nonneg,
  segment_points: z.number().int().positive(),
  segments_us_per_point: z.array(nonneg).min(1),
});

const RssSchema = z.object({
  per_process: z
    .array(z.object({ pid: z.number().int(), role: z.enum(["runtime", "proxy"]), rss_bytes: nonneg }))
    .min(1),
  total_bytes: nonneg,
});

const PhaseSchema = z.object({
  route: z.enum(["/metrics/validate", "/metrics"]),
  requests: z.number().int().nonnegative(),
  points: z.number().int().nonnegative(),
  elapsed_ms: nonneg,
  points_per_s: nonneg,
  latency_ms: z.object({ p50: nonneg, p95: nonneg, max: nonneg }),
  network_retries: z.number().int().nonnegative(),
});

const ColdSchema = z.object({
  wrangler_ready_ms: nonneg,
  first_post_ms: nonneg,
  load_ms: nonneg,
  second_post_new_host_ms: nonneg,
  warm_post_ms: nonneg,
});

/**
 * What the edge figures measure, as paths of this repository: a change to any of them since the
 * stamped commit (or uncommitted at the start of a run) means the figures may no longer describe HEAD.
 */
export const MEASURED_PATHS = [
  "worker",
  "durable-objects",
  "model",
  "scripts/bench/edge",
  "simulator",
  "wrangler.toml",
  "package-lock.json",
] as const;

export const TargetSchema = z.object({
  id: z.string(),
  what: z.string(),
  target: z.string(),
  measured: z.string(),
  met: z.boolean(),
  note: z.string(),
});
export type Target = z.infer<typeof TargetSchema>;

export const StorageSchema = z.object({
  medium: z.enum(["tmpfs", "disk"]),
  /** The tmpfs mount, or (disk) the directory holding the judged run's --persist-to directories. */
  dir: z.string(),
});

const IngestSchema = z.object({
  plan: z.object({
    shapes: z.array(
      z.object({
        points: z.number().int(),
        hosts: z.number().int(),
        maxRequestsPerPhase: z.number().int(),
      }),
    ),
    clients: z.number().int(),
    maxPhaseMs: z.number().int(),
    warmupRequests: z.number().int(),
    seed: z.number().int(),
  }),
  shapes: z
    .array(
      z.object({
        batch_points: z.number().int(),
        hosts_per_batch: z.number().int(),
        points_per_host_per_batch: z.number().int(),
        clients: z.number().int(),
        phases: z.array(PhaseSchema).min(2),
        validate_points_per_s: nonneg,
        metrics_points_per_s: nonneg,
        ratio: nonneg,
      }),
    )
    .min(1),
});

export const EdgeReportSchema = z.object({
  schema: z.literal("bench-edge/1"),
  created_utc: z.string(),
  command: z.string(),
  quick: z.boolean(),
  environment: z.object({
    node: z.string(),
    wrangler: z.string(),
    cpus: z.number().int().positive(),
    loadavg_start: z.array(num),
    loadavg_end: z.array(num),
    duration_s: nonneg,
    /** The code measured: HEAD and the runtime files that differed from it at the start of the run. */
    git: z.object({ commit: z.string(), uncommitted: z.array(z.string()) }),
    /** Process groups of the wrangler children (all stopped before the report was written). */
    process_groups: z.array(z.number().int().positive()).min(1),
  }),
  model: z.object({
    version: z.string(),
    hidden: z.number().int(),
    layers: z.number().int(),
    features: z.number().int(),
  }),
  cost: z.object({
    plan: z.object({
      points: z.number().int(),
      windowPoints: z.number().int(),
      plainPoints: z.number().int(),
      plainWindowPoints: z.number().int(),
      batches: z.array(z.number().int()),
      windows: z.array(z.number().int()),
      segment: z.number().int(),
      long: z.object({ points: z.number().int(), batch: z.number().int() }),
      anomaly: z.object({ points: z.number().int(), minMs: z.number().int() }).optional(),
      seed: z.number().int(),
    }),
    rows: z.array(CostRowSchema).min(1),
    long_history: CostRowSchema,
    state: z.array(
      z.object({
        batch: z.number().int(),
        points: z.number().int(),
        scorer_json_bytes: z.number().int().positive(),
        scorer_serialize_us: nonneg.nullable(),
        kv_bytes: z.number().int().positive(),
        events: z.record(z.string(), z.number().int()),
        events_per_point: nonneg,
        event_body_bytes: z.record(z.string(), nonneg),
        database_bytes: z.number().int().positive(),
      }),
    ),
    /** How the plain-TS forward compares with onnxruntime-web (inference layer). */
    plain_ts_forward: z.string(),
    /** Floor of a Worker→DO call per batch size (absent in reports written before it was measured). */
    rpc_floor: z
      .array(
        z.object({
          batch: z.number().int(),
          calls: z.number().int(),
          no_write_us_per_call: nonneg,
          write_us_per_call: nonneg,
        }),
      )
      .optional(),
    /** The per-metric anomaly detectors alone (absent in reports written before it was measured). */
    anomaly: z
      .object({
        steps: z.number().int().positive(),
        metrics: z.number().int().positive(),
        passes: z.number().int().positive(),
        elapsed_ms: nonneg,
        us_per_point_per_metric: nonneg,
        us_per_point_per_host: nonneg,
        forecast_share: nonneg,
        clone_us_per_metric: nonneg,
        state_bytes_per_metric: z.record(z.string(), z.number().int().positive()),
        state_bytes_per_host: z.number().int().positive(),
      })
      .optional(),
  }),
  /** Where the Durable Objects' SQLite lived for the judged figures (see tmpfsRoot in setup.ts). */
  storage: StorageSchema,
  ingest: IngestSchema,
  /** The same ingest run with storage on the disk, when the judged run's storage was a tmpfs. */
  ingest_disk: IngestSchema.nullable(),
  budget: z.object({
    bundle: z.object({
      command: z.string(),
      files: z.array(
        z.object({
          file: z.string(),
          kind: z.enum(["module", "sourcemap", "other"]),
          bytes: z.number().int(),
          gzip_bytes: z.number().int(),
        }),
      ),
      modules_bytes: z.number().int().positive(),
      modules_gzip_bytes: z.number().int().positive(),
      wrangler_total_kib: num.nullable(),
      wrangler_gzip_kib: num.nullable(),
    }),
    cold_start: z.object({
      runs: z.array(ColdSchema).min(1),
      median_first_post_ms: nonneg,
      median_load_ms: nonneg,
    }),
    memory: z.object({
      hosts: z.number().int().positive(),
      points_per_host: z.number().int().positive(),
      idle_fresh: RssSchema,
      after_model: RssSchema,
      after_hosts: RssSchema,
      after_ingest: RssSchema,
      runtime_bytes_per_host: num,
    }),
  }),
  targets: z.array(TargetSchema).min(1),
});
export type EdgeReport = z.infer<typeof EdgeReportSchema>;

/** The figures of a run before targets are judged. */
export type Measured = Omit<EdgeReport, "targets">;

export const TARGET_US_PER_POINT = 10;
/** Issue #11: the per-metric anomaly detector's cost per point inside workerd. */
export const TARGET_ANOMALY_US_PER_POINT_PER_METRIC = 2;
export const TARGET_INGEST_RATIO = 0.3;
export const TARGET_GZIP_BYTES = 4 * 1024 * 1024;
export const TARGET_COLD_START_MS = 500;
/** Cost late in a long host history may exceed the early cost by this factor and still count as flat. */
export const FLAT_HISTORY_FACTOR = 1.25;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const f1 = (x: number) => x.toFixed(1);
const find = (rows: CostRow[], layer: CostRow["layer"], batch: number, engine: CostRow["engine"] = "ort") =>
  rows.find((r) => r.layer === layer && r.engine === engine && r.mode === "incremental" && r.batch === batch);

/** One sentence comparing the plain-TS forward with onnxruntime-web, from the inference rows. */
export function plainSummary(rows: CostRow[]): string {
  const pairs: string[] = [];
  for (const r of rows.filter((x) => x.layer === "inference" && x.engine === "plain-ts")) {
    const ort = rows.find(
      (x) =>
        x.layer === "inference" &&
        x.engine === "ort" &&
        x.mode === r.mode &&
        x.batch === r.batch &&
        x.window === r.window,
    );
    if (!ort) continue;
    const what =
      r.mode === "window"
        ? `window W=${r.window}`
        : r.batch === 1
          ? "one step per call"
          : `batches of ${r.batch}`;
    pairs.push(
      `${what}: ${f1(r.us_per_point)} vs ${f1(ort.us_per_point)} µs/point (${(r.us_per_point / ort.us_per_point).toFixed(2)}×)`,
    );
  }
  if (pairs.length === 0) return "not measured in this run.";
  return (
    "scripts/bench/edge/plain-lstm.ts reads the weights from the same ONNX file and matches onnxruntime-web " +
    "within 1e-5 (plain-lstm.test.ts); plain TS vs ORT inside workerd, " +
    pairs.join("; ") +
    ". Not used by the product."
  );
}

/** Judges every target from the measured figures. */
export function judge(m: Measured): Target[] {
  const rows = m.cost.rows;
  const targets: Target[] = [];
  const maxBatch = Math.max(...m.cost.plan.batches);
  for (const layer of ["store", "inference", "scorer", "rpc"] as const) {
    const r = find(rows, layer, maxBatch);
    const per = find(rows, layer, 1);
    if (!r) continue;
    targets.push({
      id: `cost.${layer}`,
      what: `µs/point amortised, ${LAYER_DOC[layer]}, per-host batches of ${maxBatch}`,
      target: `≤ ${TARGET_US_PER_POINT} µs/point`,
      measured: `${f1(r.us_per_point)} µs/point${per ? ` (one call per point: ${f1(per.us_per_point)})` : ""}`,
      met: r.us_per_point <= TARGET_US_PER_POINT,
      note:
        layer === "store"
          ? "the target as specified (inference + DO storage); the other cost rows break it down"
          : "",
    });
  }
  const an = m.cost.anomaly;
  if (an) {
    targets.push({
      id: "cost.anomaly",
      what: `µs per point per metric of the host scorer's per-metric anomaly detector alone (model/core/anomaly, ${an.steps} steps × ${an.metrics} metrics × ${an.passes} passes), and its stored state`,
      target: `≤ ${TARGET_ANOMALY_US_PER_POINT_PER_METRIC} µs/point/metric`,
      measured:
        `${an.us_per_point_per_metric.toFixed(2)} µs/point/metric (${an.us_per_point_per_host.toFixed(2)} per host step); ` +
        `state ${an.state_bytes_per_host} B/host (${Object.values(an.state_bytes_per_metric).join(" + ")} B per metric)`,
      met: an.us_per_point_per_metric <= TARGET_ANOMALY_US_PER_POINT_PER_METRIC,
      note: "inputs recorded from a real HostScorer run (value, LSTM forecast error, step time); the scorer also clones the four detectors per prediction (section 1)",
    });
  }
  const inc = find(rows, "inference", 1);
  const windows = rows
    .filter((r) => r.mode === "window" && r.engine === "ort")
    .sort((a, b) => a.window! - b.window!);
  if (inc && windows.length > 0) {
    const w60 = windows.find((w) => w.window === 60) ?? windows[windows.length - 1]!;
    targets.push({
      id: "cost.window",
      what: `incremental inference (one step per point, state carried) vs re-running a W-step window per point`,
      target: "incremental cost does not grow with W",
      measured:
        `incremental ${f1(inc.us_per_point)} µs/point for any W; window ` +
        windows.map((w) => `W=${w.window}: ${f1(w.us_per_point)}`).join(", ") +
        ` µs/point; ratio vs W=${w60.window}: ${(inc.us_per_point / w60.us_per_point).toFixed(3)}×`,
      met: inc.us_per_point < windows[0]!.us_per_point,
      note: "incremental feeds one step whatever the window; the window baseline grows with W",
    });
  }
  const lh = m.cost.long_history;
  const segs = lh.segments_us_per_point;
  const half = Math.floor(segs.length / 2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const firstHalf = mean(segs.slice(0, Math.max(1, half)));
  const secondHalf = mean(segs.slice(half));
  targets.push({
    id: "cost.history",
    what: `incremental cost early vs late in one host's history (${lh.points} points, store layer, ${lh.batch === 1 ? "one call per point" : `batches of ${lh.batch}`})`,
    target: `second half ≤ ${FLAT_HISTORY_FACTOR}× the first half (µs/point)`,
    measured:
      `first half ${f1(firstHalf)}, second half ${f1(secondHalf)} µs/point (${(secondHalf / firstHalf).toFixed(2)}×); ` +
      `first ${lh.segment_points} points ${f1(lh.early_us_per_point)}, last ${lh.segment_points} ${f1(lh.late_us_per_point)}`,
    met: secondHalf <= FLAT_HISTORY_FACTOR * firstHalf,
    note: "",
  });
  for (const s of m.ingest.shapes) {
    const disk = m.ingest_disk?.shapes.find((d) => d.batch_points === s.batch_points);
    targets.push({
      id: `ingest.${s.batch_points}`,
      what: `POST /metrics throughput vs POST /metrics/validate, ${s.batch_points}-point batches (${s.hosts_per_batch} hosts × ${s.points_per_host_per_batch} min), ${s.clients} client(s), storage on ${m.storage.medium}`,
      target: `≥ ${TARGET_INGEST_RATIO}×`,
      measured:
        `${s.ratio.toFixed(2)}× (${s.metrics_points_per_s.toFixed(0)} vs ${s.validate_points_per_s.toFixed(0)} points/s)` +
        (disk ? `; storage on disk ${disk.ratio.toFixed(2)}×` : ""),
      met: s.ratio >= TARGET_INGEST_RATIO,
      note:
        m.storage.medium === "tmpfs"
          ? "judged with the objects' storage on a tmpfs: on a disk, local workerd's fsync per commit blocks the isolate thread (section 2)"
          : "",
    });
  }
  const b = m.budget.bundle;
  targets.push({
    id: "budget.bundle",
    what: "gzip size of the emitted modules (Worker script + ORT wasm + ONNX model), wrangler deploy --dry-run",
    target: "≤ 4 MiB (4 194 304 B)",
    measured: `${b.modules_gzip_bytes} B = ${(b.modules_gzip_bytes / 1048576).toFixed(2)} MiB (wrangler: ${b.wrangler_gzip_kib ?? "?"} KiB)`,
    met: b.modules_gzip_bytes <= TARGET_GZIP_BYTES,
    note: b.modules_gzip_bytes > 4_000_000 ? "over 4 000 000 B if '4 MB' is decimal" : "",
  });
  const c = m.budget.cold_start;
  targets.push({
    id: "budget.cold_start",
    what: `first POST /metrics of a fresh wrangler dev (loads the model), median of ${c.runs.length}`,
    target: `≤ ${TARGET_COLD_START_MS} ms`,
    measured: `${c.median_first_post_ms.toFixed(0)} ms (in-isolate load_ms ${c.median_load_ms.toFixed(0)})`,
    met: c.median_first_post_ms <= TARGET_COLD_START_MS,
    note: "client-side time of the whole request: model load, object creation, first inference, storage",
  });
  targets.push({
    id: "budget.load_ms",
    what: "InferenceSession creation inside the isolate (GET /health load_ms), median",
    target: `≤ ${TARGET_COLD_START_MS} ms`,
    measured: `${c.median_load_ms.toFixed(0)} ms`,
    met: c.median_load_ms <= TARGET_COLD_START_MS,
    note: "",
  });
  return targets;
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function summaryTable(r: EdgeReport): string {
  return table(
    ["target", "measured", "met"],
    r.targets.map((t) => [`${t.id}: ${t.target}`, t.measured, t.met ? "yes" : "**no**"]),
  );
}

export function renderMarkdown(r: EdgeReport): string {
  const c = r.cost;
  const costRows = c.rows.map((x) => [
    x.engine === "ort" ? x.layer : `${x.layer} (${x.engine})`,
    x.mode === "window" ? `window W=${x.window}` : "incremental",
    x.batch,
    x.points,
    x.calls,
    f1(x.us_per_point),
    f1(x.early_us_per_point),
    f1(x.late_us_per_point),
  ]);
  const lh = c.long_history;
  const mem = r.budget.memory;
  const rss = (s: EdgeReport["budget"]["memory"]["idle_fresh"]) =>
    s.per_process.map((p) => `${p.role} ${mib(p.rss_bytes)}`).join(", ") + ` (total ${mib(s.total_bytes)})`;
  return `# Edge runtime benchmark (workerd)

Generated by \`${r.command}\` on ${r.created_utc}${r.quick ? " — **quick smoke run: small loops, figures are rough**" : ""}.
Node ${r.environment.node}, wrangler ${r.environment.wrangler}, ${r.environment.cpus} CPUs, load average
${r.environment.loadavg_start.map((x) => x.toFixed(2)).join("/")} at start and ${r.environment.loadavg_end.map((x) => x.toFixed(2)).join("/")} at the end
(the machine is shared: ratios measured in the same run are what count). Run time ${r.environment.duration_s.toFixed(0)} s.
Code: ${r.environment.git.commit.slice(0, 12)}${r.environment.git.uncommitted.length > 0 ? ` plus uncommitted changes in ${r.environment.git.uncommitted.join(", ")}` : ""}.
Model ${r.model.version}: LSTM ${r.model.layers} × ${r.model.hidden}, ${r.model.features} features.
Durable Object storage on ${r.storage.medium === "tmpfs" ? `a tmpfs (${r.storage.dir}); ingest repeated on the disk for comparison (section 2)` : `the disk (${r.storage.dir})`}.

## Targets

${summaryTable(r)}

${r.targets
  .map((t) => (t.note ? `- ${t.id}: ${t.note}` : ""))
  .filter(Boolean)
  .join("\n")}

## 1. Cost per point inside workerd

A bench-only Worker (\`scripts/bench/edge/worker/\`: the real \`HostMonitor\` subclassed with bench methods,
bundled with \`wrangler deploy --dry-run\` and served by \`wrangler dev\` on 127.0.0.1) runs each loop inside
workerd over one simulated host's points (fleet simulator, seed ${c.plan.seed}; real storage, a fresh object per
loop) and times the whole loop (workerd timers tick in 1 ms steps). Loops hand the event loop back every
200 ms (not counted) so wrangler's inspector proxy stays answered. Layers:

${(["inference", "scorer", "store", "rpc"] as const).map((l) => `- **${l}**: ${LAYER_DOC[l]}`).join("\n")}

\`batch\` = points per call (per-host batch; 1 = one call per point). Window rows re-run the last W steps
from zero state for every point (one call per point). Early/late = µs/point over the first and the last
${c.plan.segment} points.

${table(["layer", "mode", "batch", "points", "calls", "µs/point", "early", "late"], costRows)}

Where the time goes (differences between layers, µs/point):

${table(
  ["batch", "inference", "+ scoring core", "+ storage", "+ Worker→DO RPC", "total (rpc)"],
  c.plan.batches.flatMap((b) => {
    const at = (l: CostRow["layer"]) => find(c.rows, l, b)?.us_per_point;
    const [i, s, st, rp] = [at("inference"), at("scorer"), at("store"), at("rpc")];
    if (i === undefined || s === undefined || st === undefined || rp === undefined) return [];
    return [[b, f1(i), f1(s - i), f1(st - s), f1(rp - st), f1(rp)]];
  }),
)}
${floorSection(c)}

Long host history (store layer, batches of ${lh.batch}, ${lh.points} points): ${f1(lh.us_per_point)} µs/point overall,
first ${lh.segment_points} points ${f1(lh.early_us_per_point)}, last ${lh.segment_points} ${f1(lh.late_us_per_point)} µs/point;
every ${lh.segment_points} points in order: ${lh.segments_us_per_point.map(f1).join(", ")}.

Plain-TS forward: ${c.plain_ts_forward}
${anomalySection(c)}
### Stored state per host (after ${c.plan.points} points)

${table(
  [
    "batch",
    "scorer state (JSON + BLOB)",
    "encode it, µs",
    "kv total",
    "events",
    "events/point",
    "bytes/event (metrics, predictions)",
    "SQLite file",
  ],
  c.state.map((s) => [
    s.batch,
    `${s.scorer_json_bytes} B`,
    s.scorer_serialize_us === null ? "–" : f1(s.scorer_serialize_us),
    `${s.kv_bytes} B`,
    Object.entries(s.events)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
    s.events_per_point.toFixed(3),
    `${(s.event_body_bytes.metrics ?? 0).toFixed(0)}, ${(s.event_body_bytes.predictions ?? 0).toFixed(0)}`,
    `${s.database_bytes} B`,
  ]),
)}

## 2. Ingest throughput (real Worker, embedded default)

\`wrangler dev\` of the real Worker with a temporary copy of wrangler.toml (rate limit raised to
allow the run, bench-only API key via --env-file). ${r.ingest.plan.clients} concurrent client(s), each with its own hosts,
sending sequentially; phases validate → metrics → validate → metrics, each ≤ ${r.ingest.plan.shapes.map((x) => `${x.maxRequestsPerPhase} (${x.points}-point batches)`).join(" / ")} requests per client
and ≤ ${(r.ingest.plan.maxPhaseMs / 1000).toFixed(0)} s, after ${r.ingest.plan.warmupRequests} untimed warm-up request(s) per client to each route. Every /metrics answer is checked: all points accepted, no duplicates, none late.

${
  r.storage.medium === "tmpfs"
    ? `The objects' SQLite storage was on a tmpfs (\`${r.storage.dir}\`) for the judged figures, and the same
run was repeated with it on the disk (\`.data/\`). Local workerd commits each object's SQLite with an
fsync on the thread that also runs the isolate (strace: every fsync and WAL write of a loaded runtime
comes from that one thread), so on a disk each commit — one per host per request — stalls all the
Worker's and objects' JavaScript for the disk's flush latency, a cost of this machine's disk rather
than of the code. In production Cloudflare confirms a write by replicating it to other machines
before the output gate opens; what the local fsync costs there is not known to us.`
    : `The objects' SQLite storage was on the disk (\`${r.storage.dir}\`): each commit includes the disk's
fsync, on the thread that runs the isolate.`
}

${table(
  [
    "storage",
    "batch",
    "hosts × min",
    "validate pts/s",
    "metrics pts/s",
    "ratio",
    "metrics p50 / p95 ms",
    "validate p50 / p95 ms",
  ],
  (
    [
      [r.storage.medium, r.ingest],
      ["disk", r.ingest_disk],
    ] as const
  ).flatMap(([medium, ing]) =>
    (ing?.shapes ?? []).map((s) => {
      const lat = (route: string) => {
        const ps = s.phases.filter((p) => p.route === route);
        return ps.map((p) => `${p.latency_ms.p50.toFixed(0)} / ${p.latency_ms.p95.toFixed(0)}`).join("; ");
      };
      return [
        medium,
        s.batch_points,
        `${s.hosts_per_batch} × ${s.points_per_host_per_batch}`,
        s.validate_points_per_s.toFixed(0),
        s.metrics_points_per_s.toFixed(0),
        `${s.ratio.toFixed(2)}×`,
        lat("/metrics"),
        lat("/metrics/validate"),
      ];
    }),
  ),
)}

## 3. Edge budget

Bundle: \`${r.budget.bundle.command}\` (never deployed).

${table(
  ["file", "kind", "bytes", "gzip -9 bytes"],
  r.budget.bundle.files.map((f) => [f.file, f.kind, f.bytes, f.gzip_bytes]),
)}

Modules: ${r.budget.bundle.modules_bytes} B, gzip ${r.budget.bundle.modules_gzip_bytes} B (${mib(r.budget.bundle.modules_gzip_bytes)}); wrangler reports
${r.budget.bundle.wrangler_total_kib ?? "?"} KiB / gzip ${r.budget.bundle.wrangler_gzip_kib ?? "?"} KiB.

Cold start (fresh \`wrangler dev\`, first POST /metrics needs the model):

${table(
  [
    "run",
    "wrangler ready ms",
    "first POST ms",
    "load_ms (in isolate)",
    "2nd POST, new host ms",
    "warm POST ms",
  ],
  r.budget.cold_start.runs.map((x, i) => [
    i + 1,
    x.wrangler_ready_ms.toFixed(0),
    x.first_post_ms.toFixed(0),
    x.load_ms.toFixed(0),
    x.second_post_new_host_ms.toFixed(0),
    x.warm_post_ms.toFixed(0),
  ]),
)}

Memory (workerd RSS; wrangler dev runs a proxy workerd and the runtime workerd):

- fresh, idle: ${rss(mem.idle_fresh)}
- after the model is loaded: ${rss(mem.after_model)}
- after ${mem.hosts} hosts × ${mem.points_per_host} points: ${rss(mem.after_hosts)} → ${(mem.runtime_bytes_per_host / 1024).toFixed(1)} KiB runtime RSS per host
- after the throughput runs: ${rss(mem.after_ingest)}
`;
}

/** The per-metric anomaly detectors alone: cost per point per metric, clone cost, stored state. */
function anomalySection(c: EdgeReport["cost"]): string {
  const a = c.anomaly;
  if (!a) return "";
  const scorer = c.state[0]?.scorer_json_bytes;
  return `
### Anomaly detectors alone (\`/bench/anomaly\`)

The scoring core's per-metric anomaly detectors (\`options.anomaly\` of the edge model: model/core/anomaly's
\`MetricAnomalyDetector\`, one per metric). One simulated host's ${c.plan.anomaly?.points ?? "?"} points first go through a real
\`HostScorer\` (untimed) that records every committed \`update\` call's arguments (value, LSTM forecast
error — present on ${(100 * a.forecast_share).toFixed(0)} % of steps — and step time); then fresh detectors from the same factory are
fed exactly those ${a.steps} steps × ${a.metrics} metrics, pass after pass (fresh detectors each), until ${a.elapsed_ms.toFixed(0)} ms of loop time
(${a.passes} passes).

${table(
  [
    "µs/point/metric",
    "µs per host step (4 metrics)",
    "clone, µs/metric",
    "state per metric (JSON + BLOB)",
    "state per host",
  ],
  [
    [
      a.us_per_point_per_metric.toFixed(3),
      a.us_per_point_per_host.toFixed(3),
      a.clone_us_per_metric.toFixed(3),
      Object.entries(a.state_bytes_per_metric)
        .map(([m, b]) => `${m} ${b} B`)
        .join(", "),
      `${a.state_bytes_per_host} B${scorer ? ` (${((100 * a.state_bytes_per_host) / scorer).toFixed(0)} % of the ${scorer} B scorer state)` : ""}`,
    ],
  ],
)}
`;
}

/**
 * The platform floor inside the rpc layer: a Worker→DO call with the rpc loop's arguments and a
 * prediction-sized answer, nothing scored, with and without one committed row; beside it, what the
 * rpc layer adds over the store layer per call.
 */
function floorSection(c: EdgeReport["cost"]): string {
  const floor = c.rpc_floor ?? [];
  if (floor.length === 0) return "";
  const rows = floor.map((fl) => {
    const st = find(c.rows, "store", fl.batch)?.us_per_point;
    const rp = find(c.rows, "rpc", fl.batch)?.us_per_point;
    const added = st === undefined || rp === undefined ? "–" : f1((rp - st) * fl.batch);
    return [fl.batch, fl.calls, f1(fl.no_write_us_per_call), f1(fl.write_us_per_call), added];
  });
  return `
Floor of the Worker→DO call (bench Worker \`/bench/rpc-floor\`: the rpc loop's arguments and RPC input check, a
real prediction as the answer, nothing scored; "one-row commit" adds a one-row \`transactionSync\`, so the
answer waits for a storage commit as an ingest's does), µs per call:

${table(["batch", "calls", "RPC only", "RPC + one-row commit", "rpc − store layer, per call"], rows)}
`;
}
