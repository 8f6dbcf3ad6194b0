/**
 * End-to-end smoke test of `npm run bench:edge -- --quick`: runs the real bench (wrangler dev of the
 * bench Worker and of the real Worker, a dry-run bundle) into a temporary directory and checks the
 * report's structure and the behaviour it records — never wall-clock thresholds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupProcesses } from "../lib/process-group.ts";
import { EdgeReportSchema, type EdgeReport } from "./edge/report.ts";
import { tmpfsRoot } from "./edge/setup.ts";

const root = resolve(import.meta.dirname, "..", "..");
let out: string;
let report: EdgeReport;
let markdown: string;
let stdout: string;

describe("bench:edge --quick", () => {
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "bench-edge-"));
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/bench/edge.ts", "--quick", "--clients", "1", "--out", out],
      { cwd: root, encoding: "utf8", timeout: 110_000 },
    );
    stdout = r.stdout;
    if (r.status !== 0) throw new Error(`bench exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    report = EdgeReportSchema.parse(JSON.parse(readFileSync(join(out, "edge.json"), "utf8")));
    markdown = readFileSync(join(out, "edge.md"), "utf8");
  }, 120_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("leaves no wrangler or workerd process behind", () => {
    expect(report.environment.process_groups.length).toBeGreaterThanOrEqual(2);
    for (const g of report.environment.process_groups) expect(groupProcesses(g)).toEqual([]);
  });

  it("reports progress and the summary table", () => {
    expect(stdout).toMatch(/\[1\/3 cost\]/);
    expect(stdout).toMatch(/\[2\/3 ingest\]/);
    expect(stdout).toMatch(/\| target \| measured \| met \|/);
    expect(markdown).toMatch(/^# Edge runtime benchmark/);
    for (const t of report.targets) expect(markdown).toContain(t.id);
  });

  it("measures every layer and batch size, and the window baselines", () => {
    const { plan, rows } = report.cost;
    for (const layer of ["inference", "scorer", "store", "rpc"] as const) {
      for (const batch of plan.batches) {
        const r = rows.find((x) => x.layer === layer && x.mode === "incremental" && x.batch === batch);
        expect(r, `${layer} batch ${batch}`).toBeDefined();
        expect(r!.points).toBe(plan.points);
        expect(r!.calls).toBe(Math.ceil(plan.points / batch));
      }
    }
    for (const engine of ["ort", "plain-ts"] as const) {
      const windows = rows.filter((r) => r.mode === "window" && r.engine === engine).map((r) => r.window);
      expect(windows, engine).toEqual(plan.windows);
    }
    for (const batch of plan.batches) {
      const r = rows.find((x) => x.engine === "plain-ts" && x.mode === "incremental" && x.batch === batch);
      expect(r?.points, `plain-ts batch ${batch}`).toBe(plan.plainPoints);
    }
    expect(rows.filter((r) => r.engine === "plain-ts").every((r) => r.layer === "inference")).toBe(true);
    expect(report.cost.long_history.points).toBe(plan.long.points);
  });

  it("measures the per-metric anomaly detectors alone: finite cost, their state per metric and per host", () => {
    const a = report.cost.anomaly;
    expect(a).toBeDefined();
    expect(a!.metrics).toBe(4);
    expect(a!.steps).toBeGreaterThan(0);
    expect(a!.passes).toBeGreaterThanOrEqual(3);
    expect(a!.forecast_share).toBeGreaterThan(0); // the LSTM's forecast errors reach the detectors
    for (const x of [a!.us_per_point_per_metric, a!.clone_us_per_metric, a!.elapsed_ms])
      expect(Number.isFinite(x) && x > 0).toBe(true);
    expect(a!.us_per_point_per_host).toBeCloseTo(4 * a!.us_per_point_per_metric, 10);
    expect(Object.keys(a!.state_bytes_per_metric)).toEqual([
      "cpu_usage",
      "memory_usage",
      "network_latency",
      "error_rate",
    ]);
    const sum = Object.values(a!.state_bytes_per_metric).reduce((x, y) => x + y, 0);
    // One stored value for the four: their sum, give or take the array's own few bytes of JSON.
    expect(Math.abs(a!.state_bytes_per_host - sum)).toBeLessThan(16);
    // Part of the stored scorer state.
    expect(a!.state_bytes_per_host).toBeLessThan(report.cost.state[0]!.scorer_json_bytes);
    const t = report.targets.find((x) => x.id === "cost.anomaly");
    expect(t?.target).toBe("≤ 2 µs/point/metric");
    expect(markdown).toContain("### Anomaly detectors alone");
  });

  it("stores one metrics event (holding the call's points) and one prediction per call", () => {
    for (const s of report.cost.state) {
      const calls = Math.ceil(s.points / s.batch);
      expect(s.events.metrics).toBe(calls);
      expect(s.events.predictions).toBe(calls);
      expect(s.scorer_json_bytes).toBeGreaterThan(1000);
      expect(s.events_per_point).toBeGreaterThanOrEqual(2 / s.batch);
    }
  });

  it("keeps the objects' storage on a tmpfs where there is one, repeats ingest on the disk, cleans up", () => {
    const shm = tmpfsRoot();
    expect(report.storage.medium).toBe(shm ? "tmpfs" : "disk");
    if (shm) {
      expect(report.ingest_disk?.shapes.map((s) => s.batch_points)).toEqual(
        report.ingest.shapes.map((s) => s.batch_points),
      );
      const runId = /run (\w+);/.exec(stdout)?.[1];
      expect(runId).toBeDefined();
      expect(existsSync(join(shm, `downtime-bench-edge-${runId}`))).toBe(false);
      expect(markdown).toContain("| disk | 1000 |");
    } else {
      expect(report.ingest_disk).toBeNull();
    }
  });

  it("sends the same batches to both ingest routes, every point accepted", () => {
    for (const s of [...report.ingest.shapes, ...(report.ingest_disk?.shapes ?? [])]) {
      expect(s.hosts_per_batch * s.points_per_host_per_batch).toBe(s.batch_points);
      expect(s.phases.map((p) => p.route)).toEqual([
        "/metrics/validate",
        "/metrics",
        "/metrics/validate",
        "/metrics",
      ]);
      for (const p of s.phases) {
        expect(p.requests).toBeGreaterThan(0);
        expect(p.points).toBe(p.requests * s.batch_points);
      }
      expect(s.ratio).toBeCloseTo(s.metrics_points_per_s / s.validate_points_per_s, 10);
    }
  });

  it("gzips every emitted module, the wasm and the ONNX model included", () => {
    const { files, modules_gzip_bytes, modules_bytes } = report.budget.bundle;
    const modules = files.filter((f) => f.kind === "module").map((f) => f.file);
    expect(modules.some((f) => f.endsWith(".wasm"))).toBe(true);
    expect(modules.some((f) => f.endsWith(".onnx"))).toBe(true);
    expect(modules.some((f) => f.endsWith(".js"))).toBe(true);
    expect(modules_gzip_bytes).toBeLessThan(modules_bytes);
    expect(report.budget.bundle.command).toContain("--dry-run");
  });

  it("records a cold start, memory samples and a judged target for each benchmark", () => {
    expect(report.budget.cold_start.runs).toHaveLength(1);
    const mem = report.budget.memory;
    for (const s of [mem.idle_fresh, mem.after_model, mem.after_hosts]) {
      expect(s.per_process.some((p) => p.role === "runtime")).toBe(true);
    }
    const ids = report.targets.map((t) => t.id);
    for (const id of [
      "cost.store",
      "cost.window",
      "cost.history",
      "cost.anomaly",
      "ingest.100",
      "ingest.1000",
      "budget.bundle",
      "budget.cold_start",
    ]) {
      expect(ids).toContain(id);
    }
  });
});
