/**
 * `npm run bench:anomaly -- [--rows N] [--repeats K] [--out DIR]`
 *
 * Cost per point in Node of each online anomaly detector bench:nab can run (the edge detector, the
 * alternatives in model/core/anomaly, the ensemble), and the bytes of state per stream. Every
 * detector scores the same generated stream (daily seasonality + noise + occasional spikes and level
 * shifts, 5-minute steps, fixed seed); the figure is the best of K timed passes over N rows with a
 * fresh detector each pass. A micro-benchmark, not a test: on a shared machine compare detectors
 * measured in the same run. Writes anomaly-cost.{json,md} to bench/results/local/ (git-ignored).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ArtDetector, DEFAULT_ART_CONFIG, type ArtConfig } from "../../model/core/anomaly/art.ts";
import { BocpdDetector, DEFAULT_BOCPD_CONFIG, type BocpdConfig } from "../../model/core/anomaly/bocpd.ts";
import { MetricAnomalyDetector } from "../../model/core/anomaly/detector.ts";
import { EnsembleDetector, type EnsembleConfig } from "../../model/core/anomaly/ensemble.ts";
import { gaussianSource, stateBytes } from "../../model/core/anomaly/score-shaping.ts";

interface Scored {
  update(timestampMs: number, value: number | null): number;
}

interface Case {
  name: string;
  make: () => Scored;
  bytes: (d: Scored) => number;
}

const art = (c: Partial<ArtConfig>): Case => ({
  name: `art ${JSON.stringify(c)}`,
  make: () => new ArtDetector(c),
  bytes: (d) => (d as ArtDetector).stateBytes(),
});
const bocpd = (c: Partial<BocpdConfig>): Case => ({
  name: `bocpd ${JSON.stringify(c)}`,
  make: () => new BocpdDetector(c),
  bytes: (d) => (d as BocpdDetector).stateBytes(),
});
const ensemble = (c: Partial<EnsembleConfig>): Case => ({
  name: `ensemble ${JSON.stringify(c)}`,
  make: () => new EnsembleDetector(c),
  bytes: (d) => (d as EnsembleDetector).stateBytes(),
});

const CASES: Case[] = [
  {
    name: "edge (MetricAnomalyDetector, defaults)",
    make: () => new MetricAnomalyDetector(),
    bytes: (d) => stateBytes(d),
  },
  bocpd({}),
  bocpd({ maxRuns: 16 }),
  bocpd({ maxRuns: 128 }),
  bocpd({ evidence: "bayes-factor" }),
  art({}),
  art({ window: 4 }),
  art({ window: 16 }),
  art({ maxCategories: 64 }),
  art({ shape: true }),
  art({ window: 2, gate: "hard" }),
  ensemble({}),
  ensemble({ members: "edge+bocpd" }),
  ensemble({ members: "edge+art+bocpd", combine: "tail-max" }),
];

function stream(rows: number, seed: number): Float64Array {
  const g = gaussianSource(seed);
  const v = new Float64Array(rows);
  let level = 50;
  for (let i = 0; i < rows; i++) {
    if (i % 3001 === 3000) level += 10 * g();
    v[i] = level + 10 * Math.sin((2 * Math.PI * i) / 288) + 2 * g() + (i % 1777 === 0 ? 30 : 0);
  }
  return v;
}

function main(): void {
  const { values: args } = parseArgs({
    options: { rows: { type: "string" }, repeats: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const rows = Number(args.rows ?? 20_000);
  const repeats = Number(args.repeats ?? 5);
  if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(repeats) && repeats > 0)) {
    console.error("usage: npm run bench:anomaly -- [--rows N] [--repeats K] [--out DIR]");
    process.exitCode = 2;
    return;
  }
  const values = stream(rows, 7);
  const step = 300_000;
  const t0 = Date.UTC(2024, 0, 1);
  const load0 = loadavg();
  const results: { name: string; usPerPoint: number; bytes: number; checksum: number }[] = [];
  for (const c of CASES) {
    let best = Infinity;
    let bytes = 0;
    let checksum = 0;
    for (let k = 0; k < repeats; k++) {
      const d = c.make();
      let sum = 0;
      const start = performance.now();
      for (let i = 0; i < rows; i++) sum += d.update(t0 + i * step, values[i]!);
      const us = ((performance.now() - start) * 1000) / rows;
      if (us < best) best = us;
      bytes = c.bytes(d);
      checksum = sum;
    }
    results.push({ name: c.name, usPerPoint: best, bytes, checksum });
    console.log(
      `${c.name.padEnd(70)} ${best.toFixed(2).padStart(7)} µs/point ${String(bytes).padStart(7)} B`,
    );
  }
  const load1 = loadavg();
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverageStart: load0,
    loadAverageEnd: load1,
    rows,
    repeats,
    defaults: { bocpd: DEFAULT_BOCPD_CONFIG, art: DEFAULT_ART_CONFIG },
  };
  const dir = args.out ?? join(import.meta.dirname, "..", "..", "bench", "results", "local");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "anomaly-cost.json"), JSON.stringify({ meta, results }, null, 2) + "\n");
  const md = [
    `Anomaly detectors, cost per point in Node (${meta.node}, ${meta.cpus} CPUs, load ${load0.map((x) => x.toFixed(2)).join("/")} → ${load1.map((x) => x.toFixed(2)).join("/")}), best of ${repeats} passes over ${rows} rows, ${meta.date}`,
    "",
    "| detector | µs/point | state bytes |",
    "| --- | ---: | ---: |",
    ...results.map((r) => `| ${r.name} | ${r.usPerPoint.toFixed(2)} | ${r.bytes} |`),
    "",
  ].join("\n");
  writeFileSync(join(dir, "anomaly-cost.md"), md);
  console.log(`wrote ${join(dir, "anomaly-cost.md")} and anomaly-cost.json`);
}

main();
