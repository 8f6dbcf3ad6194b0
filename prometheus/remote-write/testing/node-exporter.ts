/**
 * Debian's `prometheus-node-exporter` on 127.0.0.1 for the remote_write live test: its port chosen
 * through `onFreePort` (it must be told its port; a start that finds it taken is retried on another),
 * ready when *its* /metrics carries the identity series this start wrote to its textfile directory.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { onFreePort } from "../../../scripts/lib/ports.ts";
import { stopGroup } from "../../../scripts/lib/process-group.ts";

export const NODE_EXPORTER = "prometheus-node-exporter";

export function nodeExporterPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [
    ...(env.PROMETHEUS_BINDIR ? [env.PROMETHEUS_BINDIR] : []),
    ...(env.PATH ?? "").split(delimiter),
    "/usr/bin",
  ];
  for (const d of dirs.filter(Boolean)) if (existsSync(join(d, NODE_EXPORTER))) return join(d, NODE_EXPORTER);
  return null;
}

export interface RunningNodeExporter {
  /** `127.0.0.1:PORT` (a scrape target). */
  target: string;
  url: string;
  log(): string;
  stop(): Promise<void>;
}

class PortTaken extends Error {}

export async function startNodeExporter(readyTimeoutMs = 30_000): Promise<RunningNodeExporter> {
  const bin = nodeExporterPath();
  if (bin === null) throw new Error(`${NODE_EXPORTER} not found`);
  const { value } = await onFreePort((port) => startOn(bin, port, readyTimeoutMs), {
    portTaken: (e) => e instanceof PortTaken,
  });
  return value;
}

async function startOn(bin: string, port: number, readyTimeoutMs: number): Promise<RunningNodeExporter> {
  const dir = mkdtempSync(join(tmpdir(), "node-exporter-test-"));
  const id = randomBytes(8).toString("hex");
  writeFileSync(join(dir, "identity.prom"), `edge_test_identity{id="${id}"} 1\n`);
  const child = spawn(
    bin,
    [`--web.listen-address=127.0.0.1:${port}`, `--collector.textfile.directory=${dir}`],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const keep = (b: Buffer): void => {
    lines.push(...b.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  child.once("exit", () => (exited = true));
  const log = (): string => lines.slice(-30).join("\n");
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined) await stopGroup(child.pid, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      if (/address already in use/i.test(log())) throw new PortTaken(`port ${port} taken`);
      throw new Error(`${NODE_EXPORTER} exited before it was ready:\n${log()}`);
    }
    try {
      const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
      const text = await r.text();
      if (text.includes(`edge_test_identity{id="${id}"}`)) break;
      if (r.ok) {
        await stop();
        throw new PortTaken(`another server answers on ${url}`);
      }
    } catch (e) {
      if (e instanceof PortTaken) throw e;
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${NODE_EXPORTER} was not ready within ${readyTimeoutMs} ms:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { target: `127.0.0.1:${port}`, url, log, stop };
}

/** One sample of `name` (no labels) from node_exporter's exposition text, or null. */
export function sampleOf(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{\\})? (\\S+)`, "m").exec(text);
  return m ? Number(m[1]) : null;
}
