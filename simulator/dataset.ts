/**
 * Writes a simulated fleet as a labelled dataset (Node side: file I/O lives here, not in the pure core).
 *
 *   points.csv    host,timestamp,cpu_usage,memory_usage,network_latency,error_rate  (grouped by host, then time)
 *   downtime.csv  host,family,precursor_start_ms,start_ms,end_ms  (end exclusive; empty precursor = none)
 *   downtime.json the same as Downtime[]
 *   benign.json   BenignEvent[]
 *   failures.json every failure with its drawn parameters (subtle flag, shape, severities, restart)
 *   meta.json     resolved config, counts, per-host class
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseFleetConfig, stepCount, type FleetConfig, type FleetConfigInput } from "./config.ts";
import { hostPoints, planHost } from "./fleet.ts";
import type { FailurePlan } from "./failures.ts";
import {
  BENIGN_KINDS,
  FAILURE_FAMILIES,
  METRIC_NAMES,
  type BenignEvent,
  type BenignKind,
  type Downtime,
  type FailureFamily,
  type HostClass,
} from "./types.ts";

export const POINTS_HEADER = ["host", "timestamp", ...METRIC_NAMES].join(",");
export const DOWNTIME_HEADER = "host,family,precursor_start_ms,start_ms,end_ms";

export interface DatasetMeta {
  generator: "scripts/simulator";
  formatVersion: 1;
  config: FleetConfig;
  counts: {
    hosts: number;
    points: number;
    /** Nominal steps × hosts (points + downtime + missing). */
    slots: number;
    downtime: number;
    downtimeByFamily: Record<FailureFamily, number>;
    benignByKind: Record<BenignKind, number>;
  };
  hosts: { host: string; hostClass: HostClass; jvm: boolean; points: number }[];
  files: { points: string; downtime: string; downtimeJson: string; benign: string; failures: string };
}

/** Generates host by host (memory ~ one host) and writes the dataset into `dir` (created if needed). */
export function writeDataset(
  dir: string,
  input: FleetConfigInput | FleetConfig,
  onHost?: (done: number, total: number, points: number) => void,
): DatasetMeta {
  const config = parseFleetConfig(input);
  mkdirSync(dir, { recursive: true });
  const downtime: Downtime[] = [];
  const benign: BenignEvent[] = [];
  const failures: (FailurePlan & { host: string })[] = [];
  const hosts: DatasetMeta["hosts"] = [];
  let points = 0;
  const fd = openSync(join(dir, "points.csv"), "w");
  try {
    writeSync(fd, `${POINTS_HEADER}\n`);
    for (let i = 0; i < config.hosts; i++) {
      const plan = planHost(config, i);
      const h = { ...plan, points: [...hostPoints(config, plan)] };
      const lines = h.points.map(
        (p) =>
          `${p.host},${p.timestamp},${p.cpu_usage},${p.memory_usage},${p.network_latency},${p.error_rate}\n`,
      );
      writeSync(fd, lines.join(""));
      points += h.points.length;
      downtime.push(...h.downtime);
      benign.push(...h.benign);
      failures.push(...plan.failures.map((f) => ({ host: plan.host, ...f })));
      hosts.push({
        host: h.host,
        hostClass: plan.profile.hostClass,
        jvm: plan.profile.jvm,
        points: h.points.length,
      });
      onHost?.(i + 1, config.hosts, points);
    }
  } finally {
    closeSync(fd);
  }

  const csv = downtime.map(
    (d) => `${d.host},${d.family},${d.precursorStartMs ?? ""},${d.startMs},${d.endMs}\n`,
  );
  writeFileSync(join(dir, "downtime.csv"), `${DOWNTIME_HEADER}\n${csv.join("")}`);
  writeFileSync(join(dir, "downtime.json"), `${JSON.stringify(downtime, null, 1)}\n`);
  writeFileSync(join(dir, "benign.json"), `${JSON.stringify(benign, null, 1)}\n`);
  writeFileSync(join(dir, "failures.json"), `${JSON.stringify(failures, null, 1)}\n`);

  const count = <K extends string>(keys: readonly K[], values: K[]): Record<K, number> => {
    const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
    for (const v of values) out[v]++;
    return out;
  };
  const meta: DatasetMeta = {
    generator: "scripts/simulator",
    formatVersion: 1,
    config,
    counts: {
      hosts: config.hosts,
      points,
      slots: config.hosts * stepCount(config),
      downtime: downtime.length,
      downtimeByFamily: count(
        FAILURE_FAMILIES,
        downtime.map((d) => d.family),
      ),
      benignByKind: count(
        BENIGN_KINDS,
        benign.map((b) => b.kind),
      ),
    },
    hosts,
    files: {
      points: "points.csv",
      downtime: "downtime.csv",
      downtimeJson: "downtime.json",
      benign: "benign.json",
      failures: "failures.json",
    },
  };
  writeFileSync(join(dir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}
