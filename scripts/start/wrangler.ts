/**
 * Runs `wrangler dev` as a child in its own process group, so the whole tree it starts (wrangler's
 * Node re-spawn, esbuild, workerd) can be stopped together: SIGTERM to the group, then SIGKILL after a
 * grace period, then a check that nothing of the group is left. Keeps wrangler's last log lines for
 * error messages.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";
import { StartError } from "./errors.ts";

/** Keeps the last `max` complete lines of a byte stream (ANSI colours stripped). */
export class LineTail {
  private readonly lines: string[] = [];
  private partial = "";

  constructor(private readonly max: number) {}

  /** Feeds a chunk; returns the complete lines it finished. */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    const done = parts.map(stripAnsi);
    for (const l of done) {
      this.lines.push(l);
      if (this.lines.length > this.max) this.lines.shift();
    }
    return done;
  }

  /** The last `n` lines, plus an unfinished last line if any. */
  last(n = this.max): string[] {
    const all = this.partial === "" ? this.lines : [...this.lines, stripAnsi(this.partial)];
    return all.slice(-n);
  }
}

const REQUEST_LOG = /^\[wrangler:info\] [A-Z]+ \S+ \d{3}\b/;

/**
 * The lines worth showing when wrangler fails: its last `n` lines without the per-request log
 * ("[wrangler:info] POST /metrics 200 OK (40ms)"), except the last `requests` of those.
 */
export function errorTail(lines: readonly string[], n: number, requests = 3): string[] {
  const lastRequests = new Set(
    lines
      .map((l, i) => (REQUEST_LOG.test(l) ? i : -1))
      .filter((i) => i >= 0)
      .slice(-requests),
  );
  return lines.filter((l, i) => !REQUEST_LOG.test(l) || lastRequests.has(i)).slice(-n);
}

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

/** The wrangler CLI entry of the installed package (node_modules/wrangler/bin/wrangler.js). */
export function resolveWranglerBin(fromDir: string): string {
  try {
    const require = createRequire(join(fromDir, "package.json"));
    const pkgPath = require.resolve("wrangler/package.json");
    const pkg = z
      .object({ bin: z.union([z.string(), z.record(z.string(), z.string())]) })
      .parse(JSON.parse(readFileSync(pkgPath, "utf8")));
    const rel = typeof pkg.bin === "string" ? pkg.bin : pkg.bin.wrangler;
    if (rel === undefined) throw new Error("wrangler's package.json has no wrangler bin");
    return join(dirname(pkgPath), rel);
  } catch (e) {
    throw new StartError(
      "WRANGLER_NOT_FOUND",
      `wrangler is not installed (${e instanceof Error ? e.message : String(e)})`,
      "Run `npm ci` (npm start does it when node_modules is missing or older than package-lock.json).",
      { cause: e },
    );
  }
}

export interface GroupProcess {
  pid: number;
  /** One-letter state from /proc (R, S, D, …), "?" where /proc is unavailable. */
  state: string;
  command: string;
}

/**
 * Live (non-zombie) processes of process group `pgid`. On Linux from /proc, so zombies waiting for an
 * init that never reaps them do not count; elsewhere `kill(-pgid, 0)` can only say whether any exists.
 */
export function groupProcesses(pgid: number): GroupProcess[] {
  if (process.platform === "linux") {
    const out: GroupProcess[] = [];
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses: cut at the last ")".
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      const state = fields[0] ?? "?";
      if (Number(fields[2]) !== pgid || state === "Z" || state === "X") continue;
      let command = stat.slice(stat.indexOf("(") + 1, close);
      try {
        command = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim() || command;
      } catch {
        // keep comm
      }
      out.push({ pid: Number(name), state, command });
    }
    return out;
  }
  try {
    process.kill(-pgid, 0);
    return [{ pid: pgid, state: "?", command: "(process group member)" }];
  } catch {
    return [];
  }
}

export interface WranglerOptions {
  /** Project root (where wrangler.toml is). */
  cwd: string;
  ip: string;
  port: number;
  /** Dev vars file (dotenv syntax) passed as --env-file: wrangler then ignores .dev.vars. */
  envFile: string;
  /** Durable Object storage directory (--persist-to). */
  persistTo: string;
  /** Lines kept for error messages (default 200). */
  tailLines?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult {
  /** SIGKILL was needed. */
  forced: boolean;
  /** Processes of the group still alive after SIGKILL (should be empty). */
  leftovers: GroupProcess[];
}

export class WranglerDev {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  /** Resolves with the URL from wrangler's "Ready on …" line. */
  readonly ready: Promise<string>;
  private readonly tail: LineTail;
  private exitInfo: ExitInfo | null = null;

  private constructor(
    private readonly child: ChildProcess,
    tailLines: number,
  ) {
    if (child.pid === undefined) throw new Error("wrangler dev did not start (no pid)");
    this.pid = child.pid;
    this.tail = new LineTail(tailLines);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    let onReady: (url: string) => void = () => undefined;
    this.ready = new Promise((resolve) => {
      onReady = resolve;
    });
    const feed = (chunk: Buffer): void => {
      for (const line of this.tail.push(chunk.toString("utf8"))) {
        const m = /Ready on (https?:\/\/\S+)/.exec(line);
        if (m?.[1]) onReady(m[1]);
      }
    };
    child.stdout?.on("data", feed);
    child.stderr?.on("data", feed);
  }

  static start(o: WranglerOptions): WranglerDev {
    const bin = resolveWranglerBin(o.cwd);
    const args = [
      bin,
      "dev",
      "--ip",
      o.ip,
      "--port",
      String(o.port),
      "--env-file",
      o.envFile,
      "--persist-to",
      o.persistTo,
      "--show-interactive-dev-session=false",
    ];
    const child = spawn(process.execPath, args, {
      cwd: o.cwd,
      // Own process group: the terminal's Ctrl-C does not reach it directly; stop() ends the group.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    });
    return new WranglerDev(child, o.tailLines ?? 200);
  }

  get exitedWith(): ExitInfo | null {
    return this.exitInfo;
  }

  lastLines(n: number): string[] {
    return this.tail.last(n);
  }

  /** Processes of wrangler's group still alive. */
  processes(): GroupProcess[] {
    return groupProcesses(this.pid);
  }

  /**
   * Stops the whole group (see stopGroup). Safe to call twice and after wrangler died on its own (its
   * children may still be alive).
   */
  stop(graceMs = 5000): Promise<StopResult> {
    return stopGroup(this.pid, graceMs);
  }
}

/**
 * Stops process group `pgid`: SIGTERM, up to `graceMs` for every member to go, then SIGKILL and up to
 * `killWaitMs` more. Resolves with what (if anything) survived.
 */
export async function stopGroup(pgid: number, graceMs = 5000, killWaitMs = 3000): Promise<StopResult> {
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // ESRCH: nothing left in the group.
    }
  };
  const gone = async (withinMs: number): Promise<boolean> => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (groupProcesses(pgid).length === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (groupProcesses(pgid).length === 0) return { forced: false, leftovers: [] };
  signalGroup("SIGTERM");
  if (await gone(graceMs)) return { forced: false, leftovers: [] };
  signalGroup("SIGKILL");
  await gone(killWaitMs);
  return { forced: true, leftovers: groupProcesses(pgid) };
}
