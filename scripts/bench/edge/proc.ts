/**
 * `wrangler dev` (and `wrangler deploy --dry-run`) as children of the bench, on the shared
 * scripts/lib/wrangler-dev.ts: each in its own process group so the whole tree (wrangler's Node
 * re-spawn, esbuild, both workerd processes) is stopped together and no workerd outlives the bench; each
 * `wrangler dev` on a port the OS picks when workerd binds it, found ready only when the Worker it
 * started answers a probe only that Worker answers.
 */
import { spawn } from "node:child_process";
import { stopGroup, type GroupProcess } from "../../lib/process-group.ts";
import { LineTail, resolveWranglerBin, WranglerDev, WranglerError } from "../../lib/wrangler-dev.ts";
import { BenchError } from "./errors.ts";

export interface DevOptions {
  /** Project root (for resolving wrangler). */
  root: string;
  /** wrangler config file. */
  config: string;
  /** Dotenv file passed as --env-file (wrangler then reads no .dev.vars), or none. */
  envFile?: string;
  /** Durable Object storage directory (--persist-to): a fresh one per run. */
  persistTo: string;
  /** How long to wait for the Worker to be ready, ms. */
  readyTimeoutMs: number;
  /** True when `url` answers as the Worker this run started (and only it would). */
  probe: (url: string) => Promise<boolean>;
  /** Private dev-registry directory (see WranglerDevOptions.registryPath). */
  registryPath: string;
  /** wrangler's whole output goes here (info level), for diagnosing a failed run. */
  logFile: string;
}

/** A started, ready `wrangler dev` on 127.0.0.1. */
export class BenchDev {
  private constructor(
    private readonly dev: WranglerDev,
    readonly url: string,
    /** Wall time from spawn to the first answer of the probe, ms. */
    readonly startMs: number,
  ) {}

  get pgid(): number {
    return this.dev.pid;
  }

  static async start(o: DevOptions): Promise<BenchDev> {
    const level = process.env.BENCH_EDGE_WRANGLER_LOG ?? "info";
    if (level !== "info" && level !== "log" && level !== "debug") {
      throw new BenchError(
        "USAGE",
        `BENCH_EDGE_WRANGLER_LOG=${level}: must be info, log or debug (the Ready line is info)`,
      );
    }
    let dev: WranglerDev;
    try {
      dev = WranglerDev.start({
        cwd: o.root,
        config: o.config,
        ip: "127.0.0.1",
        port: 0,
        envFile: o.envFile,
        persistTo: o.persistTo,
        registryPath: o.registryPath,
        watch: false,
        logLevel: level,
        logFile: o.logFile,
      });
    } catch (e) {
      throw asBenchError(e, o.config);
    }
    try {
      const url = await dev.serving(o.probe, o.readyTimeoutMs);
      return new BenchDev(dev, url, performance.now() - dev.spawnedAt);
    } catch (e) {
      await dev.stop();
      throw asBenchError(e, o.config);
    }
  }

  /** workerd processes of this wrangler dev with their RSS. */
  workerd(): GroupProcess[] {
    return this.dev.processes().filter((p) => /workerd\b.*\bserve\b/.test(p.command));
  }

  output(n = 30): string {
    return this.dev.lastLines(n).join("\n");
  }

  /** SIGTERM to the group, SIGKILL after 5 s; resolves when no process of the group is left. */
  async stop(): Promise<void> {
    await stopOrThrow(this.pgid);
  }
}

function asBenchError(e: unknown, config: string): BenchError {
  if (e instanceof BenchError) return e;
  if (e instanceof WranglerError) {
    return new BenchError(
      e.code === "WRANGLER_NOT_FOUND" ? "WRANGLER_NOT_FOUND" : "WRANGLER_FAILED",
      `${config}: ${e.message}`,
      { cause: e },
    );
  }
  return new BenchError("WRANGLER_FAILED", `${config}: ${String(e)}`, { cause: e });
}

/** Ends process group `pgid` (SIGTERM, then SIGKILL) and throws CLEANUP_FAILED if anything survived. */
async function stopOrThrow(pgid: number): Promise<void> {
  const { leftovers } = await stopGroup(pgid);
  if (leftovers.length > 0) {
    throw new BenchError(
      "CLEANUP_FAILED",
      `processes left in group ${pgid}: ${leftovers.map((p) => p.pid).join(", ")}`,
    );
  }
}

/** Runs wrangler to completion in its own process group (killed after `timeoutMs`). */
export async function runWrangler(
  root: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  let bin: string;
  try {
    bin = resolveWranglerBin(root);
  } catch (e) {
    throw asBenchError(e, args.join(" "));
  }
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1", CI: "true" },
  });
  const tail = new LineTail(400);
  child.stdout?.on("data", (b: Buffer) => tail.push(b.toString("utf8")));
  child.stderr?.on("data", (b: Buffer) => tail.push(b.toString("utf8")));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) void stopGroup(child.pid).catch(() => undefined);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  if (child.pid !== undefined) await stopOrThrow(child.pid);
  return { code, output: tail.last(400).join("\n") };
}
