/**
 * Debian's Prometheus tools for the tests of prometheus/: where `prometheus`, `promtool`, `amtool` and
 * `prometheus-alertmanager` are (`PROMETHEUS_BINDIR`, else the PATH, else /usr/bin), why they cannot
 * run, and throw-away Prometheus and Alertmanager servers on 127.0.0.1 with temporary data directories.
 *
 * Both must be told their port, so a start goes through `onFreePort` ("address already in use" in its
 * output means the port was taken in between). Ready means this server answers — Prometheus'
 * `/api/v1/status/flags` names this start's data directory, Alertmanager answers under this start's
 * random route prefix — not merely that something answered on the port.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { z } from "zod";
import { onFreePort } from "../../scripts/lib/ports.ts";
import { stopGroup } from "../../scripts/lib/process-group.ts";

export type Tool = "prometheus" | "promtool" | "amtool" | "prometheus-alertmanager";

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
    "prometheus-alertmanager": "prometheus-alertmanager",
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

export interface RunningServer {
  /** `http://127.0.0.1:PORT` (Prometheus) or `http://127.0.0.1:PORT/<prefix>` (Alertmanager). */
  url: string;
  port: number;
  /** The last lines it logged (for failure messages). */
  log(): string;
  /** SIGTERM to its process group (SIGKILL after 10 s), then its data directory is removed. */
  stop(): Promise<void>;
}

export interface RunningPrometheus extends RunningServer {
  /** GET `path` (with query) and validate the `data` of Prometheus' `{status:"success", data}` answer. */
  api<T>(path: string, schema: z.ZodType<T>): Promise<T>;
}

class PortTaken extends Error {}

const Envelope = z.object({ status: z.literal("success"), data: z.unknown() });
const Flags = z.record(z.string(), z.string());

async function getData<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body: unknown = await res.json();
  const env = Envelope.safeParse(body);
  if (!env.success) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return schema.parse(env.data.data);
}

/**
 * Starts Prometheus with `configFile` (its `rule_files` are resolved against the file's directory).
 * Ready: `/-/ready` answers and `/api/v1/status/flags` names this start's data directory.
 */
export async function startPrometheus(
  configFile: string,
  readyTimeoutMs = 30_000,
): Promise<RunningPrometheus> {
  const bin = toolPath("prometheus");
  if (bin === null) throw new Error(toolsMissing(["prometheus"]) ?? "prometheus not found");
  const { value } = await onFreePort(
    (port) =>
      startOn({
        name: "prometheus",
        bin,
        port,
        readyTimeoutMs,
        args: (dataDir) => [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        urlPath: "",
        isMine: async (url, dataDir) =>
          (await getData(`${url}/api/v1/status/flags`, Flags))["storage.tsdb.path"] === dataDir,
      }),
    { portTaken: (e) => e instanceof PortTaken },
  );
  return { ...value, api: (path, schema) => getData(`${value.url}${path}`, schema) };
}

/**
 * Starts Alertmanager (Debian's `prometheus-alertmanager`) with `configFile`, clustering off, under a
 * random route prefix: ready means `<prefix>/-/ready` answers, which no other server would.
 */
export async function startAlertmanager(configFile: string, readyTimeoutMs = 30_000): Promise<RunningServer> {
  const bin = toolPath("prometheus-alertmanager");
  if (bin === null) throw new Error(toolsMissing(["prometheus-alertmanager"]) ?? "alertmanager not found");
  const prefix = `/am-${randomBytes(6).toString("hex")}`;
  const { value } = await onFreePort(
    (port) =>
      startOn({
        name: "alertmanager",
        bin,
        port,
        readyTimeoutMs,
        args: (dataDir) => [
          `--config.file=${configFile}`,
          `--storage.path=${dataDir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--web.external-url=http://127.0.0.1:${port}${prefix}`,
          "--cluster.listen-address=",
        ],
        urlPath: prefix,
        isMine: async () => true, // the prefix is this start's
      }),
    { portTaken: (e) => e instanceof PortTaken },
  );
  return value;
}

interface StartSpec {
  name: string;
  bin: string;
  port: number;
  readyTimeoutMs: number;
  args: (dataDir: string) => string[];
  urlPath: string;
  isMine: (url: string, dataDir: string) => Promise<boolean>;
}

async function startOn(o: StartSpec): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `${o.name}-test-`));
  const url = `http://127.0.0.1:${o.port}${o.urlPath}`;
  const child: ChildProcess = spawn(o.bin, o.args(dataDir), {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
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

  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      if (/address already in use/i.test(log())) throw new PortTaken(`port ${o.port} taken`);
      throw new Error(`${o.name} exited before it was ready:\n${log()}`);
    }
    let ready = false;
    try {
      ready = (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      // not listening yet
    }
    if (ready) {
      if (await o.isMine(url, dataDir)) break;
      await stop();
      throw new PortTaken(`another server answers on ${url}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${o.name} was not ready within ${o.readyTimeoutMs} ms:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port: o.port, log, stop };
}
