/**
 * One of the project's Node services (the gateway, the connector) as a child process in its own
 * process group: `node --import tsx <entry>` with an environment, its output appended to a log file
 * and kept in a tail, ready once its "listening"/"serving" line names a URL. The stack and the
 * pipeline's fault tests stop it gracefully (SIGTERM), kill it (SIGKILL, no shutdown at all) and start
 * it again with the same environment — on the same port, which the first start pins.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { LineTail } from "../lib/wrangler-dev.ts";
import { groupProcesses, stopGroup, type StopResult } from "../lib/process-group.ts";

export interface NodeServiceOptions {
  /** Shown in messages ("gateway", "connector"). */
  name: string;
  /** Project root: the entry is resolved and run from here. */
  cwd: string;
  /** The script, relative to cwd (e.g. `gateway/main.ts`). */
  entry: string;
  env: Record<string, string>;
  /** The variable holding the service's port: after the first start it is pinned to the bound port. */
  portVar: string;
  /** Captures the URL from a line of its standard output. */
  urlLine: RegExp;
  logFile: string;
  /** Waits this long for the URL line, ms (default 60 s). */
  readyTimeoutMs?: number;
}

export class NodeService {
  private child: ChildProcess | null = null;
  private readonly tail = new LineTail(300);
  private env: Record<string, string>;
  private boundUrl: string | null = null;
  private exitedAt: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(private readonly o: NodeServiceOptions) {
    this.env = { ...o.env };
  }

  /** `http://127.0.0.1:PORT` once started. */
  get url(): string {
    if (this.boundUrl === null) throw new Error(`${this.o.name} has not started`);
    return this.boundUrl;
  }

  /** Process group (0 when not running). */
  get pgid(): number {
    return this.child?.pid ?? 0;
  }

  /** Whether the process is alive. */
  running(): boolean {
    return this.child !== null && this.exitedAt === null;
  }

  lastLines(n = 40): string {
    return this.tail.last(n).join("\n");
  }

  /** Starts the process and waits for its URL line. */
  async start(): Promise<string> {
    if (this.running()) throw new Error(`${this.o.name} is running already`);
    this.exitedAt = null;
    const child = spawn(process.execPath, ["--import", "tsx", this.o.entry], {
      cwd: this.o.cwd,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...this.env },
    });
    if (child.pid === undefined) throw new Error(`${this.o.name} did not start (no pid)`);
    this.child = child;
    const file = createWriteStream(this.o.logFile, { flags: "a" });
    child.once("close", () => file.end());
    child.once("exit", (code, signal) => (this.exitedAt = { code, signal }));
    let url: string | null = null;
    const feed = (b: Buffer, stdout: boolean): void => {
      file.write(b);
      for (const line of this.tail.push(b.toString("utf8"))) {
        const m = stdout ? this.o.urlLine.exec(line) : null;
        if (m?.[1] && url === null) url = m[1];
      }
    };
    child.stdout?.on("data", (b: Buffer) => feed(b, true));
    child.stderr?.on("data", (b: Buffer) => feed(b, false));
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 60_000);
    while (url === null) {
      if (this.exitedAt !== null) {
        const e = this.exitedAt as { code: number | null; signal: NodeJS.Signals | null };
        throw new Error(
          `${this.o.name} exited (${e.signal ?? `code ${e.code}`}) before it served:\n${this.lastLines()}`,
        );
      }
      if (Date.now() > deadline) {
        await stopGroup(child.pid, 2000);
        throw new Error(
          `${this.o.name} did not serve within ${this.o.readyTimeoutMs ?? 60_000} ms:\n${this.lastLines()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.boundUrl = url;
    const port = new URL(url).port;
    this.env[this.o.portVar] = port; // a restart binds the same port (clients hold this URL)
    return url;
  }

  /** Graceful stop: SIGTERM to the group, SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<StopResult> {
    const pgid = this.pgid;
    if (pgid === 0) return { forced: false, leftovers: [] };
    const r = await stopGroup(pgid, graceMs);
    await this.exited();
    return r;
  }

  /** SIGKILL to the whole group: no shutdown, nothing flushed or committed. */
  async kill(): Promise<void> {
    const pgid = this.pgid;
    if (pgid === 0) return;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone already
    }
    for (let i = 0; i < 100 && groupProcesses(pgid).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await this.exited();
  }

  private async exited(): Promise<void> {
    for (let i = 0; i < 200 && this.exitedAt === null; i++) await new Promise((r) => setTimeout(r, 25));
  }
}
