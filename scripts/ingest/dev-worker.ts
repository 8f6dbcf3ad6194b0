/**
 * The Worker under `wrangler dev` for the Node-side tests and the benchmark of the ways in
 * (remote_write, OTLP, our JSON): a fresh random write+read key, its own Durable Object storage and
 * dev registry in a temporary directory, workerd on a port the OS picks (scripts/lib/ports.ts, rule 1),
 * ready when *this* Worker's /health answers. `stop()` ends wrangler's whole process group and removes
 * the directory.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WranglerDev, writeVarsFile } from "../lib/wrangler-dev.ts";
import { sha256Hex } from "../start/dev-vars.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DevWorker {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** A key with the write and read scopes of tenant `tenant`. */
  key: string;
  tenant: string;
  dev: WranglerDev;
  stop(): Promise<void>;
}

export interface DevWorkerOptions {
  /** wrangler config (default the project's wrangler.toml). */
  config?: string;
  /** Extra vars for the env file (e.g. RETENTION_HOURS). */
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
  /** wrangler's output is appended here. */
  logFile?: string;
}

export async function startDevWorker(o: DevWorkerOptions = {}): Promise<DevWorker> {
  const dir = mkdtempSync(join(tmpdir(), "edge-ingest-"));
  const tenant = "ingest";
  const key = `edp_test_${randomBytes(16).toString("hex")}`;
  const sha256 = sha256Hex(key);
  const vars: Record<string, string> = {
    API_KEYS: JSON.stringify([{ tenant, sha256, scopes: ["write", "read"] }]),
    ...o.vars,
  };
  const envFile = join(dir, "dev.env");
  writeVarsFile(envFile, vars);
  const dev = WranglerDev.start({
    cwd: ROOT,
    ...(o.config ? { config: o.config } : {}),
    ip: "127.0.0.1",
    port: 0,
    envFile,
    persistTo: join(dir, "state"),
    registryPath: join(dir, "registry"),
    watch: false,
    ...(o.logFile ? { logFile: o.logFile } : {}),
  });
  const stop = async (): Promise<void> => {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await dev.serving(async (u) => {
      // Only this Worker, with this key, answers GET /hosts with a listing.
      const r = await fetch(`${u}/hosts`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(10_000),
      });
      return r.status === 200;
    }, o.readyTimeoutMs ?? 120_000);
    return { url, key, tenant, dev, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
