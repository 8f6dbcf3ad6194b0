/**
 * Debian's Prometheus tools for the tests of prometheus/: where `prometheus`, `promtool` and `amtool`
 * are (`PROMETHEUS_BINDIR`, else the PATH, else /usr/bin), why they cannot run, and a throw-away
 * Prometheus server on 127.0.0.1 with a temporary data directory.
 *
 * Prometheus must be told its port, so a start goes through `onFreePort` ("address already in use" in
 * its output means the port was taken in between). Ready means `/-/ready` answers 200 *and*
 * `/api/v1/status/flags` names this start's data directory — not merely that something answered.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { z } from "zod";
import { onFreePort } from "../../scripts/lib/ports.ts";
import { stopGroup } from "../../scripts/lib/process-group.ts";

export type Tool = "prometheus" | "promtool" | "amtool";

/** Absolute path of `tool`, or null when it is nowhere to be found. */
export function toolPath(tool: Tool, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [
    ...(env.PROMETHEUS_BINDIR ? [env.PROMETHEUS_BINDIR] : []),
    ...(env.PATH ?? "").split(delimiter).filter(Boolean),
    "/usr/bin",
  ];
  for (const d of dirs) if (existsSync(join(d, tool))) return join(d, tool);
  return null;
}

/** Why these tools cannot run here (naming the Debian package), or null when they all can. */
export function toolsMissing(tools: readonly Tool[]): string | null {
  const pkg: Record<Tool, string> = {
    prometheus: "prometheus",
    promtool: "prometheus",
    amtool: "prometheus-alertmanager",
  };
  const absent = tools.filter((t) => toolPath(t) === null);
  if (absent.length === 0) return null;
  const pkgs = [...new Set(absent.map((t) => pkg[t]))].join(" ");
  return `${absent.join(", ")} not found (Debian: apt-get install --no-install-recommends ${pkgs}; npm test's set-up does it as root; or set PROMETHEUS_BINDIR)`;
}

/** Runs a tool to completion; `output` is stdout and stderr together. */
export function runTool(
  tool: Tool,
  args: readonly string[],
  cwd: string,
): { status: number; output: string } {
  const path = toolPath(tool);
  if (path === null) throw new Error(toolsMissing([tool]) ?? `${tool} not found`);
  const r = spawnSync(path, args, { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The last lines Prometheus logged (for failure messages). */
  log(): string;
  /** GET `path` (with query) and validate the `data` of Prometheus' `{status:"success", data}` answer. */
  api<T>(path: string, schema: z.ZodType<T>): Promise<T>;
  /** SIGTERM to its process group (SIGKILL after 10 s), then the data directory is removed. */
  stop(): Promise<void>;
}

class PortTaken extends Error {}

const Envelope = z.object({ status: z.literal("success"), data: z.unknown() });
const Flags = z.record(z.string(), z.string());

/**
 * Starts Prometheus with `configFile` (its `rule_files` are resolved against the file's directory).
 * `extraArgs` are appended (e.g. `--web.enable-lifecycle`).
 */
export async function startPrometheus(
  configFile: string,
  extraArgs: readonly string[] = [],
  readyTimeoutMs = 30_000,
): Promise<RunningPrometheus> {
  const bin = toolPath("prometheus");
  if (bin === null) throw new Error(toolsMissing(["prometheus"]) ?? "prometheus not found");
  const { value } = await onFreePort((port) => startOn(bin, port, configFile, extraArgs, readyTimeoutMs), {
    portTaken: (e) => e instanceof PortTaken,
  });
  return value;
}

async function startOn(
  bin: string,
  port: number,
  configFile: string,
  extraArgs: readonly string[],
  readyTimeoutMs: number,
): Promise<RunningPrometheus> {
  const dataDir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=info",
      ...extraArgs,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const keep = (b: Buffer): void => {
    lines.push(...b.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  child.once("exit", () => (exited = true));
  const log = (): string => lines.slice(-40).join("\n");
  const pgid = child.pid ?? 0;
  const stop = async (): Promise<void> => {
    if (pgid !== 0) await stopGroup(pgid, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  };

  async function api<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body: unknown = await res.json();
    const env = Envelope.safeParse(body);
    if (!env.success) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
    return schema.parse(env.data.data);
  }

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      if (/address already in use/i.test(log())) throw new PortTaken(`port ${port} taken`);
      throw new Error(`prometheus exited before it was ready:\n${log()}`);
    }
    try {
      const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (ready.ok) {
        const flags = await api("/api/v1/status/flags", Flags);
        if (flags["storage.tsdb.path"] === dataDir) break;
        throw new Error(`another server answers on ${url}`);
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("another server")) {
        await stop();
        throw new PortTaken(e.message);
      }
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${readyTimeoutMs} ms:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, log, api, stop };
}
