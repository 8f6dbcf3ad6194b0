/**
 * `wrangler dev` as a child in its own process group, shared by `npm start`, `bench:edge` and the tests
 * that start it, so the whole tree it starts (wrangler's Node re-spawn, esbuild, workerd) is stopped
 * together and a check can prove nothing of it is left.
 *
 * Ports: pass `port: 0` and workerd binds a port the OS picks at that moment; the URL is read from
 * wrangler's own "Ready on …" line. A port chosen earlier and handed over (`freePort()` in ports.ts, then
 * `--port N`) can be taken by another test's server in between, and a readiness check that accepts any
 * answer then talks to the wrong server. `serving()` waits for the Ready line of *this* child and for a
 * probe that only the expected Worker answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";
import { groupProcesses, stopGroup, type GroupProcess, type StopResult } from "./process-group.ts";

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

export type WranglerErrorCode = "WRANGLER_NOT_FOUND" | "WRANGLER_EXITED" | "WRANGLER_TIMEOUT";

/** Errors of starting wrangler dev, with a `hint` telling the user what to do. */
export class WranglerError extends Error {
  constructor(
    readonly code: WranglerErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WranglerError";
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
    throw new WranglerError(
      "WRANGLER_NOT_FOUND",
      `wrangler is not installed (${e instanceof Error ? e.message : String(e)})`,
      "Run `npm ci` (npm start and npm test do it when node_modules is missing or older than package-lock.json).",
      { cause: e },
    );
  }
}

/**
 * Writes the file `WranglerDevOptions.envFile` names: one `KEY='value'` line per variable (values are
 * JSON or plain tokens, never holding a single quote), readable by the owner only — it holds key hashes
 * and credentials.
 */
export function writeVarsFile(path: string, vars: Readonly<Record<string, string>>): void {
  const text = Object.entries(vars)
    .map(([k, v]) => `${k}='${v}'`)
    .join("\n");
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
}

export interface WranglerDevOptions {
  /** Project root: wrangler is resolved from here and runs here. */
  cwd: string;
  /** wrangler config file (--config); wrangler's default lookup when absent. */
  config?: string;
  ip: string;
  /** 0: workerd binds a port the OS picks when it listens (see the module comment). */
  port: number;
  /** Inspector port; default 0 (any free port) so that two runs never collide on 9229. */
  inspectorPort?: number;
  /** Dotenv file passed as --env-file (wrangler then reads no .dev.vars). */
  envFile?: string;
  /** Durable Object storage directory (--persist-to). */
  persistTo: string;
  /**
   * A dev registry private to this run (WRANGLER_REGISTRY_PATH). With the shared one
   * (~/.config/.wrangler/registry) every other `wrangler dev` starting or stopping on the machine makes
   * wrangler reload the runtime, which aborts a running request with "Your worker restarted
   * mid-request".
   */
  registryPath: string;
  /** Reload on config/source changes (default true, as wrangler does). */
  watch?: boolean;
  /** wrangler's --log-level; the "Ready on" line needs info or more. Default info. */
  logLevel?: "info" | "log" | "debug";
  /** wrangler's whole output is appended here too, for diagnosing a failed run. */
  logFile?: string;
  /** Lines kept for error messages (default 200). */
  tailLines?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WranglerDev {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  /** Resolves with the URL from this child's "Ready on …" line. */
  readonly ready: Promise<string>;
  /** performance.now() at spawn. */
  readonly spawnedAt = performance.now();
  private readonly tail: LineTail;
  private exitInfo: ExitInfo | null = null;
  private readyUrl: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    tailLines: number,
    logFile: string | undefined,
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
    const log = logFile ? createWriteStream(logFile, { flags: "a" }) : null;
    if (log) child.once("close", () => log.end());
    const feed = (chunk: Buffer): void => {
      log?.write(chunk);
      for (const line of this.tail.push(chunk.toString("utf8"))) {
        const m = /Ready on (https?:\/\/[^\s/]+)/.exec(line);
        if (m?.[1] && this.readyUrl === null) {
          this.readyUrl = m[1];
          onReady(m[1]);
        }
      }
    };
    child.stdout?.on("data", feed);
    child.stderr?.on("data", feed);
  }

  static start(o: WranglerDevOptions): WranglerDev {
    const args = [
      resolveWranglerBin(o.cwd),
      "dev",
      ...(o.config ? ["--config", o.config] : []),
      "--ip",
      o.ip,
      "--port",
      String(o.port),
      "--inspector-port",
      String(o.inspectorPort ?? 0),
      ...(o.envFile ? ["--env-file", o.envFile] : []),
      "--persist-to",
      o.persistTo,
      "--show-interactive-dev-session=false",
      "--log-level",
      o.logLevel ?? "info",
    ];
    const child = spawn(process.execPath, args, {
      cwd: o.cwd,
      // Own process group: the terminal's Ctrl-C does not reach it directly; stop() ends the group.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        FORCE_COLOR: "0",
        NO_COLOR: "1",
        WRANGLER_REGISTRY_PATH: o.registryPath,
        ...(o.watch === false ? { WRANGLER_CI_DISABLE_CONFIG_WATCHING: "true" } : {}),
      },
    });
    return new WranglerDev(child, o.tailLines ?? 200, o.logFile);
  }

  /** The URL of the "Ready on" line, null before it. */
  get url(): string | null {
    return this.readyUrl;
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
   * Waits, at most `timeoutMs`, for this child's "Ready on" line and then until `probe(url)` resolves
   * true — a request only the expected Worker answers that way (wrangler's proxy holds requests until
   * the runtime is up). Resolves with the URL; throws WranglerError with wrangler's last lines when it
   * exits first or the time runs out.
   */
  async serving(probe: (url: string) => Promise<boolean>, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const fail = (code: WranglerErrorCode, what: string): WranglerError =>
      new WranglerError(code, `wrangler dev ${what}. Its last log lines:\n${this.tailText()}`);
    let last = "no Ready line yet";
    for (;;) {
      if (this.exitInfo !== null)
        throw fail("WRANGLER_EXITED", `${describeExit(this.exitInfo)} before it was ready`);
      if (Date.now() > deadline) throw fail("WRANGLER_TIMEOUT", `not ready after ${timeoutMs} ms (${last})`);
      if (this.readyUrl !== null) {
        try {
          if (await probe(this.readyUrl)) return this.readyUrl;
          last = "the readiness probe did not pass";
        } catch (e) {
          last = `probe: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      await sleep(100);
    }
  }

  /** wrangler's last 30 lines worth showing on failure (see errorTail), indented for a message. */
  tailText(): string {
    return errorTail(this.tail.last(200), 30)
      .map((l) => `  | ${l}`)
      .join("\n");
  }

  /**
   * Stops the whole group (see stopGroup). Safe to call twice and after wrangler died on its own (its
   * children may still be alive).
   */
  stop(graceMs = 5000): Promise<StopResult> {
    return stopGroup(this.pid, graceMs);
  }
}

/** "exited with code 1", "was killed by SIGKILL". */
export function describeExit(info: ExitInfo | null): string {
  if (info === null) return "stopped";
  return info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
}
