/**
 * Fleet simulator CLI.
 *
 *   npm run simulate -- --seed 7 --hosts 20 --days 2 --out DIR
 *   npm run simulate -- --hosts 20 --days 1 --stream http://127.0.0.1:8787/metrics --speed 60 --time-shift end-now
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  DEFAULT_START_MS,
  FleetConfigError,
  parseFleetConfig,
  type FleetConfig,
  type FleetConfigInput,
} from "./config.ts";
import { writeDataset } from "./dataset.ts";
import { planFleet } from "./fleet.ts";
import { streamFleet, StreamError, type TimeShift } from "./stream.ts";
import { FAILURE_FAMILIES } from "./types.ts";

interface Flag {
  type: "string" | "boolean";
  /** Placeholder shown in --help. */
  arg?: string;
  help: string;
  /** Config field it sets, for naming the flag in validation errors. */
  field?: string;
}

export const FLAGS = {
  seed: { type: "string", arg: "N", field: "seed", help: "PRNG seed, integer 0..2^32-1 (default 1)" },
  hosts: { type: "string", arg: "N", field: "hosts", help: "number of hosts (default 10)" },
  days: { type: "string", arg: "D", field: "days", help: "simulated days, fractional allowed (default 1)" },
  hours: { type: "string", arg: "H", field: "durationMs", help: "simulated hours (instead of --days)" },
  step: { type: "string", arg: "SECONDS", field: "stepSeconds", help: "sampling step, seconds (default 60)" },
  start: {
    type: "string",
    arg: "ISO|MS",
    field: "startMs",
    help: `first sample: ISO date or epoch ms (default ${new Date(DEFAULT_START_MS).toISOString()})`,
  },
  "failures-per-host-day": {
    type: "string",
    arg: "R",
    field: "failuresPerHostDay",
    help: "mean failures per host per day (default 0.25)",
  },
  families: {
    type: "string",
    arg: "LIST",
    field: "families",
    help: `comma-separated failure families (default all: ${FAILURE_FAMILIES.join(",")})`,
  },
  "sudden-crash-share": {
    type: "string",
    arg: "F",
    field: "suddenCrashShare",
    help: "fraction 0..1 of failures that are sudden crashes (default 0.15)",
  },
  "subtle-share": {
    type: "string",
    arg: "F",
    field: "subtleShare",
    help: "fraction 0..1 of failures with a subtle precursor (default 0.25)",
  },
  "missing-rate": {
    type: "string",
    arg: "F",
    field: "missingRate",
    help: "fraction 0..0.5 of points dropped at random (default 0.003)",
  },
  "gaps-per-host-day": {
    type: "string",
    arg: "R",
    field: "gapsPerHostDay",
    help: "metrics-agent outages per host per day (default 0.3)",
  },
  jitter: {
    type: "string",
    arg: "SECONDS",
    field: "jitterSeconds",
    help: "arrival jitter, ± seconds (< step/2; default 3)",
  },
  "deploys-per-host-day": {
    type: "string",
    arg: "R",
    field: "deploysPerHostDay",
    help: "deploys per host per weekday (default 0.6)",
  },
  "peaks-per-day": {
    type: "string",
    arg: "R",
    field: "trafficPeaksPerDay",
    help: "fleet-wide traffic peaks per day (default 0.6)",
  },
  "cron-share": {
    type: "string",
    arg: "F",
    field: "cronHostShare",
    help: "fraction 0..1 of web/api hosts with a daily cron job (default 0.3)",
  },
  out: {
    type: "string",
    arg: "DIR",
    help: "write points.csv, downtime.csv/json, benign.json, failures.json, meta.json into DIR",
  },
  stream: { type: "string", arg: "URL", help: "POST {points:[…]} batches to this URL in timestamp order" },
  "api-key": {
    type: "string",
    arg: "K",
    help: "stream: sent as 'Authorization: Bearer K' (default: $SIMULATOR_API_KEY)",
  },
  batch: { type: "string", arg: "N", help: "stream: points per POST (default 100)" },
  speed: {
    type: "string",
    arg: "X",
    help: "stream: simulated seconds per real second, 0 = as fast as possible (default 60)",
  },
  "max-points": { type: "string", arg: "N", help: "stream: stop after N points" },
  "max-seconds": { type: "string", arg: "S", help: "stream: stop after N real seconds" },
  "time-shift": {
    type: "string",
    arg: "MODE",
    help: "stream: none | end-now (last point ≈ now, all history in the past) | shift in ms (default none)",
  },
  quiet: { type: "boolean", help: "only print the summary" },
  help: { type: "boolean", help: "show this help" },
} as const satisfies Record<string, Flag>;

type FlagName = keyof typeof FLAGS;

export class UsageError extends Error {}

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => {
    const arg = "arg" in f ? ` ${f.arg}` : "";
    return `  --${`${name}${arg}`.padEnd(34)}${f.help}`;
  });
  return [
    "Fleet simulator: labelled host metrics (deterministic from --seed).",
    "",
    "Usage: npm run simulate -- [flags] (--out DIR | --stream URL)",
    "",
    ...lines,
    "",
    "Examples:",
    "  npm run simulate -- --seed 7 --hosts 20 --days 2 --out data/sim",
    "  npm run simulate -- --hosts 20 --days 1 --stream http://127.0.0.1:8787/metrics --speed 60 --time-shift end-now",
  ].join("\n");
}

function number(flag: FlagName, raw: string, schema: z.ZodType<number> = z.number()): number {
  const value = raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${flag}: not a number (got '${raw}')`);
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message ?? "invalid"} (got '${raw}')`);
  return parsed.data;
}

function parseStart(raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new UsageError(`--start: not an ISO date or epoch ms (got '${raw}')`);
  return ms;
}

interface Cli {
  config: FleetConfig;
  out?: string;
  stream?: {
    url: string;
    apiKey?: string;
    batch: number;
    speed: number;
    maxPoints?: number;
    maxSeconds?: number;
    timeShift: TimeShift;
  };
  quiet: boolean;
  help: boolean;
}

export function parseCli(argv: string[], env: Record<string, string | undefined> = {}): Cli {
  let values: Partial<Record<FlagName, string | boolean>>;
  try {
    const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.type }]));
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${message.replace(/\. To specify.*$/s, "")} (see --help)`);
  }
  const str = (name: FlagName): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  if (values.help === true) return { config: parseFleetConfig({}), quiet: false, help: true };

  const input: FleetConfigInput = {};
  const s = (name: FlagName): string | undefined => str(name);
  const int = z.number().int("must be an integer");
  const frac = z.number().min(0, "must be ≥ 0").max(1, "must be ≤ 1");
  const nonNeg = z.number().min(0, "must be ≥ 0");
  let v: string | undefined;
  if ((v = s("seed")) !== undefined)
    input.seed = number("seed", v, int.min(0, "must be ≥ 0").max(0xffffffff, "must be < 2^32"));
  if ((v = s("hosts")) !== undefined) input.hosts = number("hosts", v, int.min(1, "must be ≥ 1"));
  if ((v = s("days")) !== undefined) input.days = number("days", v, z.number().positive("must be > 0"));
  if ((v = s("hours")) !== undefined) {
    if (s("days") !== undefined) throw new UsageError("--hours: give either --days or --hours, not both");
    input.durationMs = Math.round(number("hours", v, z.number().positive("must be > 0")) * 3_600_000);
  }
  if ((v = s("step")) !== undefined) input.stepSeconds = number("step", v, int.min(1, "must be ≥ 1"));
  if ((v = s("start")) !== undefined) input.startMs = parseStart(v);
  if ((v = s("failures-per-host-day")) !== undefined)
    input.failuresPerHostDay = number("failures-per-host-day", v, nonNeg);
  if ((v = s("families")) !== undefined) {
    const names = v
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "");
    const parsed = z.array(z.enum(FAILURE_FAMILIES)).min(1).safeParse(names);
    if (!parsed.success) {
      throw new UsageError(
        `--families: expected a comma-separated subset of ${FAILURE_FAMILIES.join(",")} (got '${v}')`,
      );
    }
    input.families = parsed.data;
  }
  if ((v = s("sudden-crash-share")) !== undefined)
    input.suddenCrashShare = number("sudden-crash-share", v, frac);
  if ((v = s("subtle-share")) !== undefined) input.subtleShare = number("subtle-share", v, frac);
  if ((v = s("missing-rate")) !== undefined) input.missingRate = number("missing-rate", v, nonNeg);
  if ((v = s("gaps-per-host-day")) !== undefined)
    input.gapsPerHostDay = number("gaps-per-host-day", v, nonNeg);
  if ((v = s("jitter")) !== undefined) input.jitterSeconds = number("jitter", v, nonNeg);
  if ((v = s("deploys-per-host-day")) !== undefined)
    input.deploysPerHostDay = number("deploys-per-host-day", v, nonNeg);
  if ((v = s("peaks-per-day")) !== undefined) input.trafficPeaksPerDay = number("peaks-per-day", v, nonNeg);
  if ((v = s("cron-share")) !== undefined) input.cronHostShare = number("cron-share", v, frac);

  let config: FleetConfig;
  try {
    config = parseFleetConfig(input);
  } catch (err) {
    if (!(err instanceof FleetConfigError)) throw err;
    const flagOf = (field: string): string => {
      const entry = Object.entries(FLAGS).find(([, f]) => "field" in f && f.field === field);
      return entry ? `--${entry[0]}` : field;
    };
    throw new UsageError(err.issues.map((i) => `${flagOf(i.field)}: ${i.message}`).join("; "));
  }

  const out = s("out");
  const url = s("stream");
  if (out === undefined && url === undefined)
    throw new UsageError("give --out DIR and/or --stream URL (see --help)");
  const streamOnly: FlagName[] = ["api-key", "batch", "speed", "max-points", "max-seconds", "time-shift"];
  for (const name of streamOnly) {
    if (url === undefined && s(name) !== undefined)
      throw new UsageError(`--${name}: only valid with --stream`);
  }
  let stream: Cli["stream"];
  if (url !== undefined) {
    if (!z.url({ protocol: /^https?$/ }).safeParse(url).success)
      throw new UsageError(`--stream: not an http(s) URL (got '${url}')`);
    const shiftRaw = s("time-shift") ?? "none";
    let timeShift: TimeShift;
    if (shiftRaw === "none" || shiftRaw === "end-now") timeShift = shiftRaw;
    else timeShift = number("time-shift", shiftRaw, int);
    const maxPointsRaw = s("max-points");
    const maxSecondsRaw = s("max-seconds");
    stream = {
      url,
      apiKey: s("api-key") ?? env.SIMULATOR_API_KEY,
      batch: number("batch", s("batch") ?? "100", int.min(1, "must be ≥ 1").max(10_000, "must be ≤ 10000")),
      speed: number("speed", s("speed") ?? "60", nonNeg),
      maxPoints:
        maxPointsRaw === undefined
          ? undefined
          : number("max-points", maxPointsRaw, int.min(1, "must be ≥ 1")),
      maxSeconds:
        maxSecondsRaw === undefined
          ? undefined
          : number("max-seconds", maxSecondsRaw, z.number().positive("must be > 0")),
      timeShift,
    };
  }
  return { config, out, stream, quiet: values.quiet === true, help: false };
}

function summaryLines(config: FleetConfig, points: number | null): string[] {
  const plans = planFleet(config);
  const byFamily = new Map<string, number>(FAILURE_FAMILIES.map((f) => [f, 0]));
  const byKind = new Map<string, number>();
  for (const plan of plans) {
    for (const d of plan.downtime) byFamily.set(d.family, (byFamily.get(d.family) ?? 0) + 1);
    for (const b of plan.benign) byKind.set(b.kind, (byKind.get(b.kind) ?? 0) + 1);
  }
  const downtime = [...byFamily.values()].reduce((a, b) => a + b, 0);
  const hostDays = (config.hosts * config.durationMs) / 86_400_000;
  return [
    `fleet: seed ${config.seed}, ${config.hosts} hosts × ${(config.durationMs / 86_400_000).toFixed(2)} days, step ${config.stepSeconds} s, from ${new Date(config.startMs).toISOString()}`,
    ...(points === null ? [] : [`points: ${points}`]),
    `downtime events: ${downtime} (${(downtime / hostDays).toFixed(3)} per host-day)`,
    ...[...byFamily].map(([f, n]) => `  ${f.padEnd(20)} ${n}`),
    `benign events: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`,
  ];
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`simulate: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (cli.help) {
    console.log(usage());
    return 0;
  }
  const log = (msg: string): void => {
    if (!cli.quiet) console.error(msg);
  };
  const { config } = cli;
  let points: number | null = null;

  if (cli.out !== undefined) {
    const started = performance.now();
    let lastReport = started;
    log(`writing dataset to ${cli.out} …`);
    const meta = writeDataset(cli.out, config, (done, total, pts) => {
      const now = performance.now();
      if (done === total || now - lastReport > 1000) {
        lastReport = now;
        log(`  ${done}/${total} hosts, ${pts} points, ${((now - started) / 1000).toFixed(1)} s`);
      }
    });
    points = meta.counts.points;
    log(
      `wrote ${cli.out}/{points.csv,downtime.csv,downtime.json,benign.json,failures.json,meta.json} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  let exitCode = 0;
  if (cli.stream !== undefined) {
    const s = cli.stream;
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      log("\ninterrupted: stopping after the current request (Ctrl-C again to quit now)");
      controller.abort();
    };
    process.on("SIGINT", onSigint);
    let lastReport = 0;
    log(
      `streaming to ${s.url} (batch ${s.batch}, speed ${s.speed === 0 ? "max" : `${s.speed}×`}, time shift ${s.timeShift}) …`,
    );
    try {
      const result = await streamFleet(
        {
          fleet: config,
          url: s.url,
          apiKey: s.apiKey,
          batchSize: s.batch,
          speed: s.speed,
          maxPoints: s.maxPoints,
          maxSeconds: s.maxSeconds,
          timeShift: s.timeShift,
          onProgress: (p) => {
            if (p.elapsedMs - lastReport < 2000) return;
            lastReport = p.elapsedMs;
            const at = p.lastTimestamp === null ? "-" : new Date(p.lastTimestamp).toISOString();
            const rate = p.elapsedMs > 0 ? Math.round((p.sentPoints * 1000) / p.elapsedMs) : 0;
            log(`  sent ${p.sentPoints} points in ${p.batches} batches, at ${at}, ${rate} points/s`);
          },
        },
        controller.signal,
      );
      points = result.sentPoints;
      console.log(
        `stream: sent ${result.sentPoints} points in ${result.batches} batches (${result.retries} retries) in ${(result.elapsedMs / 1000).toFixed(1)} s; stopped by ${result.stoppedBy}; time shift ${result.shiftMs} ms`,
      );
      if (result.stoppedBy === "aborted") exitCode = 130;
    } catch (err) {
      if (!(err instanceof StreamError)) throw err;
      console.error(`simulate: ${err.message}`);
      exitCode = 1;
    } finally {
      process.off("SIGINT", onSigint);
    }
  }
  if (exitCode !== 1)
    for (const line of summaryLines(config, cli.stream === undefined ? points : null)) console.log(line);
  return exitCode;
}

// Only run when executed directly (tests import parseCli).
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("simulator/cli.ts")) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
