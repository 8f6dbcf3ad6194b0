/**
 * `npm start` — the main job. Until the edge runtime (Worker + Durable Objects, issue #3) lands this
 * runs the same scoring core locally: a simulated demo fleet streams through one HostScorer per host
 * (the ONNX LSTM through onnxruntime-web, exactly what each Durable Object will run) and a live
 * terminal view ranks hosts by risk with their predicted time to downtime.
 *
 *   npm start -- [--hosts 20] [--speed 300] [--seed 7] [--once]
 *
 * --speed is simulated seconds per real second; --once prints a single frame at the end (no live view),
 * for scripts and CI logs. Ctrl-C stops.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { METRICS } from "../model/core/metrics.ts";
import { HostScorer, type Prediction } from "../model/core/scorer.ts";
import { loadModel } from "./lib/model-node.ts";
import { parseFleetConfig, simulateHost, type Downtime, type HostSimulation } from "./simulator/fleet.ts";

const Args = z.object({
  hosts: z.coerce.number().int().min(1).max(200).default(20),
  speed: z.coerce.number().positive().max(100_000).default(300),
  seed: z.coerce.number().int().min(0).default(7),
  once: z.boolean().default(false),
});

const WARMUP_HOURS = 18;
const SHOW_HOURS = 6;

function parse(): z.infer<typeof Args> {
  try {
    const { values } = parseArgs({
      options: {
        hosts: { type: "string" },
        speed: { type: "string" },
        seed: { type: "string" },
        once: { type: "boolean" },
      },
      strict: true,
    });
    const r = Args.safeParse(values);
    if (!r.success) throw new Error(`--${String(r.error.issues[0]!.path[0])}: ${r.error.issues[0]!.message}`);
    return r.data;
  } catch (e) {
    console.error(
      `${(e as Error).message}\nUsage: npm start -- [--hosts N] [--speed SIM_SECONDS_PER_SECOND] [--seed N] [--once]`,
    );
    process.exit(2);
  }
}

const pct = (p: number) => `${(p * 100).toFixed(0).padStart(3)}%`;
const COLOUR = {
  ok: "\x1b[32m",
  warning: "\x1b[33m",
  critical: "\x1b[31m",
  reset: "\x1b[0m",
  dim: "\x1b[2m",
};

function eta(p: Prediction): string {
  if (p.downtime_within_minutes !== null) return `down within ${p.downtime_within_minutes} min`;
  const ttb = Object.entries(p.time_to_breach).sort((a, b) => a[1] - b[1])[0];
  return ttb ? `${ttb[0]} breach in ${Math.round(ttb[1] / 60)} min` : "";
}

function frame(
  nowMs: number,
  predictions: Map<string, Prediction>,
  sims: HostSimulation[],
  colour: boolean,
  events: string[],
): string {
  const c = (k: keyof typeof COLOUR) => (colour ? COLOUR[k] : "");
  const down = (s: HostSimulation): Downtime | undefined =>
    s.downtime.find((d) => d.startMs <= nowMs && nowMs < d.endMs);
  const rows = sims
    .map((s) => ({ sim: s, p: predictions.get(s.host) }))
    .sort((a, b) => maxRisk(b.p) - maxRisk(a.p) || a.sim.host.localeCompare(b.sim.host));
  const horizons = rows.find((r) => r.p)?.p ? Object.keys(rows.find((r) => r.p)!.p!.risk) : [];
  const out = [
    `${c("dim")}simulated time ${new Date(nowMs).toISOString().slice(0, 16).replace("T", " ")} UTC · scoring core + ONNX LSTM (onnxruntime-web) · Ctrl-C stops${c("reset")}`,
    `${"host".padEnd(9)} ${"level".padEnd(9)} ${horizons.map((h) => `p(${h})`.padStart(7)).join(" ")}  ${"outlook".padEnd(30)} drivers`,
  ];
  for (const { sim, p } of rows) {
    const d = down(sim);
    if (d) {
      out.push(
        `${sim.host.padEnd(9)} ${c("critical")}${"DOWN".padEnd(9)}${c("reset")} ${c("dim")}(${d.family}, simulator label)${c("reset")}`,
      );
      continue;
    }
    if (!p) continue;
    const drivers = p.contributors
      .map((k) => `${k.metric}${k.z !== null ? ` z=${k.z.toFixed(1)}` : ""}`)
      .join(", ");
    out.push(
      `${sim.host.padEnd(9)} ${c(p.level)}${p.level.padEnd(9)}${c("reset")} ${Object.values(p.risk)
        .map((r) => pct(r).padStart(7))
        .join(" ")}  ${eta(p).padEnd(30)} ${drivers}`,
    );
  }
  if (events.length > 0) out.push("", `${c("dim")}recent events${c("reset")}`, ...events.slice(-8));
  return out.join("\n");
}

const maxRisk = (p: Prediction | undefined) => (p ? Math.max(...Object.values(p.risk)) : -1);

async function main(): Promise<void> {
  const args = parse();
  const model = await loadModel();
  // A fleet with more failures than normal so a few hosts head for trouble during the demo window.
  const fleet = parseFleetConfig({
    seed: args.seed,
    hosts: args.hosts,
    days: (WARMUP_HOURS + SHOW_HOURS) / 24,
    failuresPerHostDay: 1.2,
  });
  const sims = Array.from({ length: args.hosts }, (_, i) => simulateHost(fleet, i));
  const scorers = new Map(sims.map((s) => [s.host, HostScorer.create(s.host, model.options)]));
  const predictions = new Map<string, Prediction>();
  const showFrom = fleet.startMs + WARMUP_HOURS * 3_600_000;
  const end = fleet.startMs + fleet.durationMs;
  console.log(`model ${model.meta.version}; warming up ${args.hosts} hosts on ${WARMUP_HOURS} h of history…`);
  const cursor = new Map(sims.map((s) => [s.host, 0]));
  const events: string[] = [];
  const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  let lastMs = 0;
  const advance = async (toMs: number, log = false) => {
    for (const s of sims) {
      if (log) {
        for (const d of s.downtime) {
          if (d.startMs >= lastMs && d.startMs < toMs)
            events.push(`${clock(d.startMs)} ${s.host} DOWN (${d.family})`);
        }
      }
      let i = cursor.get(s.host)!;
      const batch = [];
      while (i < s.points.length && s.points[i]!.timestamp < toMs) batch.push(s.points[i++]!);
      cursor.set(s.host, i);
      if (batch.length === 0) continue;
      const r = await scorers.get(s.host)!.ingest(batch);
      if (!r.prediction) continue;
      const prev = predictions.get(s.host)?.level ?? "ok";
      if (log && r.prediction.level !== prev) {
        const rising = prev === "ok" || r.prediction.level === "critical";
        const top = rising ? r.prediction.contributors[0]?.metric : undefined;
        events.push(
          `${clock(Date.parse(r.prediction.as_of))} ${s.host} ${prev} → ${r.prediction.level} (p(30m) ${pct(r.prediction.risk["30m"] ?? 0).trim()}${top ? `, driven by ${top}` : ""})`,
        );
      }
      predictions.set(s.host, r.prediction);
    }
    lastMs = toMs;
  };
  await advance(showFrom);
  let stopped = false;
  process.on("SIGINT", () => {
    stopped = true;
  });
  const live = !args.once && process.stdout.isTTY;
  const tickMs = 250;
  // --once replays the window minute by minute without pausing, so no alert transition is skipped.
  const simStepMs = args.once ? 60_000 : args.speed * tickMs;
  let now = showFrom;
  while (!stopped && now < end) {
    now = Math.min(end, now + simStepMs);
    await advance(now, true);
    if (live) process.stdout.write(`\x1b[2J\x1b[H${frame(now, predictions, sims, true, events)}\n`);
    else if (!args.once && (now - showFrom) % (30 * 60_000) < simStepMs)
      console.log(`${frame(now, predictions, sims, false, events)}\n`);
    if (!args.once) await new Promise((r) => setTimeout(r, tickMs));
  }
  if (args.once || !live) console.log(frame(now, predictions, sims, false, []));
  if (!live) console.log(`\nevents:\n${events.join("\n") || "(none)"}`);
  const failures = sims.flatMap((s) => s.downtime.filter((d) => d.startMs >= showFrom));
  console.log(
    `\n${failures.length} downtime(s) in the demo window (${failures.map((d) => `${d.host} ${d.family}`).join(", ") || "none"}). Metrics: ${METRICS.join(", ")}.`,
  );
  console.log(
    "The edge API (Worker + Durable Objects, `POST /metrics`) arrives with issue #3; see README.md.",
  );
}

await main();
