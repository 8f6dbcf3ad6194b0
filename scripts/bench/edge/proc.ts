/**
 * `wrangler dev` (and `wrangler deploy --dry-run`) as children of the bench, each in its own process
 * group so the whole tree (wrangler's Node re-spawn, esbuild, both workerd processes) is stopped together
 * and no workerd outlives the bench. Also: free ports, and the resident memory of the group's workerd.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";
import { freePort } from "../../start/port.ts";
import { BenchError } from "./errors.ts";

// One implementation of "a free port" for npm start and the bench.
export { freePort };

/** The wrangler CLI entry of the installed package. */
export function wranglerBin(root: string): string {
  try {
    const require = createRequire(join(root, "package.json"));
    const pkgPath = require.resolve("wrangler/package.json");
    const pkg = z
      .object({ version: z.string(), bin: z.union([z.string(), z.record(z.string(), z.string())]) })
      .parse(JSON.parse(readFileSync(pkgPath, "utf8")));
    const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin.wrangler;
    if (rel === undefined) throw new Error("wrangler's package.json has no wrangler bin");
    return join(dirname(pkgPath), rel);
  } catch (e) {
    throw new BenchError("WRANGLER_NOT_FOUND", `wrangler is not installed: ${String(e)} (run npm ci)`, {
      cause: e,
    });
  }
}

export interface GroupProcess {
  pid: number;
  command: string;
  /** Resident set size, bytes (VmRSS). */
  rssBytes: number;
}

/** Live processes of process group `pgid` (Linux /proc; zombies excluded). */
export function groupProcesses(pgid: number): GroupProcess[] {
  const out: GroupProcess[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so cut at the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || fields[0] === "Z" || fields[0] === "X") continue;
      const command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, "utf8"));
      out.push({ pid: Number(name), command, rssBytes: rss ? Number(rss[1]) * 1024 : 0 });
    } catch {
      continue; // exited meanwhile
    }
  }
  return out;
}

/** Keeps the last lines of a child's output for error messages. */
class Tail {
  private lines: string[] = [];
  private partial = "";
  constructor(private readonly max: number) {}
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ … letter)
    const done = parts.map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ""));
    this.lines.push(...done);
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max);
    return done;
  }
  text(n = 30): string {
    return [...this.lines, this.partial].slice(-n).join("\n");
  }
}

/**
 * Environment for wrangler children: no telemetry or colours, and — for `wrangler dev` — a private dev
 * registry and no config watching. With the shared registry (~/.config/.wrangler/registry) every other
 * `wrangler dev` starting or stopping on the machine makes wrangler reload the runtime, which aborts a
 * running POST with "Your worker restarted mid-request".
 */
function childEnv(registryPath?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    FORCE_COLOR: "0",
    NO_COLOR: "1",
    CI: "true",
    ...(registryPath
      ? { WRANGLER_REGISTRY_PATH: registryPath, WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true" }
      : {}),
  };
}

export interface DevOptions {
  /** Project root (for resolving wrangler). */
  root: string;
  /** wrangler config file. */
  config: string;
  /** Dotenv file passed as --env-file (wrangler then reads no .dev.vars), or none. */
  envFile?: string;
  /** Durable Object storage directory (--persist-to): a fresh one per run. */
  persistTo: string;
  /** How long to wait for "Ready on", ms. */
  readyTimeoutMs: number;
  /** Private dev-registry directory (see childEnv). */
  registryPath: string;
  /** wrangler's whole output goes here (info level), for diagnosing a failed run. */
  logFile: string;
}

/** One `wrangler dev` on 127.0.0.1 with random free ports. */
export class WranglerDev {
  /** Wall time from spawn to the first HTTP answer of the Worker, ms. */
  startMs = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly tail: Tail,
    readonly url: string,
  ) {}

  get pgid(): number {
    return this.child.pid ?? -1;
  }

  static async start(o: DevOptions): Promise<WranglerDev> {
    const port = await freePort();
    const inspector = await freePort();
    const args = [
      wranglerBin(o.root),
      "dev",
      "--config",
      o.config,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      o.persistTo,
      "--show-interactive-dev-session=false",
      "--log-level",
      process.env.BENCH_EDGE_WRANGLER_LOG ?? "info",
      ...(o.envFile ? ["--env-file", o.envFile] : []),
    ];
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: o.root,
      detached: true, // own process group: stop() ends the whole tree
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv(o.registryPath),
    });
    if (child.pid === undefined)
      throw new BenchError("WRANGLER_FAILED", "wrangler dev did not start (no pid)");
    const tail = new Tail(200);
    const dev = new WranglerDev(child, tail, `http://127.0.0.1:${port}`);
    let exited = false;
    child.once("exit", () => (exited = true));
    const log = createWriteStream(o.logFile, { flags: "a" });
    child.once("close", () => log.end());
    const feed = (b: Buffer) => {
      log.write(b);
      tail.push(b.toString("utf8"));
    };
    child.stdout?.on("data", feed);
    child.stderr?.on("data", feed);
    // Poll the port until the Worker answers (the proxy holds requests until the runtime is up).
    const deadline = Date.now() + o.readyTimeoutMs;
    for (;;) {
      if (exited) {
        await dev.stop();
        throw new BenchError(
          "WRANGLER_FAILED",
          `wrangler dev (${o.config}) exited before it was ready:\n${tail.text()}`,
        );
      }
      if (Date.now() > deadline) {
        await dev.stop();
        throw new BenchError(
          "WRANGLER_FAILED",
          `wrangler dev (${o.config}) not ready after ${o.readyTimeoutMs} ms:\n${tail.text()}`,
        );
      }
      try {
        const r = await fetch(`${dev.url}/__bench_probe`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        break; // any HTTP answer means the Worker is loaded
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    dev.startMs = performance.now() - t0;
    return dev;
  }

  /** workerd processes of this wrangler dev with their RSS. */
  workerd(): GroupProcess[] {
    return groupProcesses(this.pgid).filter((p) => /workerd\b.*\bserve\b/.test(p.command));
  }

  output(n = 30): string {
    return this.tail.text(n);
  }

  /** SIGTERM to the group, SIGKILL after 5 s; resolves when no process of the group is left. */
  async stop(): Promise<void> {
    await stopGroup(this.pgid);
  }
}

/** Ends process group `pgid` (SIGTERM, then SIGKILL) and waits until it is empty. */
export async function stopGroup(pgid: number): Promise<void> {
  if (pgid <= 0) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch {
      // group already gone
    }
  };
  signal("SIGTERM");
  for (let i = 0; i < 50 && groupProcesses(pgid).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  if (groupProcesses(pgid).length > 0) signal("SIGKILL");
  for (let i = 0; i < 50 && groupProcesses(pgid).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  const left = groupProcesses(pgid);
  if (left.length > 0) {
    throw new BenchError(
      "CLEANUP_FAILED",
      `processes left in group ${pgid}: ${left.map((p) => p.pid).join(", ")}`,
    );
  }
}

/** Runs wrangler to completion in its own process group (killed after `timeoutMs`). */
export async function runWrangler(
  root: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [wranglerBin(root), ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
  });
  const tail = new Tail(400);
  child.stdout?.on("data", (b: Buffer) => tail.push(b.toString("utf8")));
  child.stderr?.on("data", (b: Buffer) => tail.push(b.toString("utf8")));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) void stopGroup(child.pid).catch(() => undefined);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  if (child.pid !== undefined) await stopGroup(child.pid);
  return { code, output: tail.text(400) };
}
