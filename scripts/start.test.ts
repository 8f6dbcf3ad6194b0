/**
 * Smoke test of `npm start` against the real `wrangler dev` (workerd, the Worker, the Durable Objects,
 * the ONNX model): the one end-to-end run outside the workerd test pool. Each run passes PORT=0, so
 * workerd binds a port the OS picks at that moment (no race with other tests' servers) and the test
 * reads the URL npm start prints; each has its own DEV_VARS_FILE in a temporary directory, so a
 * developer's .dev.vars and `npm start` are never touched. Every wait is bounded; whatever a failed run
 * leaves behind is killed by process group.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { authenticate } from "../worker/auth.ts";
import { ErrorBodySchema, HealthSchema, HostsListingSchema, PointIngestSchema } from "../contracts/api.ts";
import { parseDevVars, sha256Hex } from "./start/dev-vars.ts";
import { groupProcesses, stopGroup } from "./lib/process-group.ts";
import { assertPortFree } from "./start/port.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const started: Run[] = [];
const wranglerGroups = new Set<number>();

function npmStart(args: string[], env: Record<string, string>): Run {
  // Own process group: signalling it is what a terminal's Ctrl-C does, and cleanup can reach everything.
  const child = spawn("npm", ["start", "--", ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0", ...env },
  });
  let text = "";
  child.stdout?.on("data", (b: Buffer) => (text += b.toString("utf8")));
  child.stderr?.on("data", (b: Buffer) => (text += b.toString("utf8")));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const run = { child, output: () => text, exit };
  started.push(run);
  return run;
}

/** Resolves with the first match of `re` in the run's output; rejects after `timeoutMs` or on exit. */
async function waitFor(run: Run, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = run.child.exitCode !== null || run.child.signalCode !== null;
    const m = run.output().match(re);
    if (m) {
      const pgid = run.output().match(/wrangler dev pid (\d+) \(process group (\d+)\)/);
      if (pgid?.[2]) wranglerGroups.add(Number(pgid[2]));
      return m;
    }
    if (exited) throw new Error(`npm start exited before printing ${re}:\n${run.output()}`);
    if (Date.now() > deadline)
      throw new Error(`npm start did not print ${re} within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function exitWithin(run: Run, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
  const code = await Promise.race([run.exit, timeout]);
  clearTimeout(timer);
  if (code === "timeout") throw new Error(`npm start still running after ${timeoutMs} ms:\n${run.output()}`);
  return code;
}

function wranglerGroup(output: string): number {
  const m = output.match(/wrangler dev pid (\d+) \(process group (\d+)\)/);
  if (!m?.[2]) throw new Error(`no wrangler pid printed:\n${output}`);
  wranglerGroups.add(Number(m[2]));
  return Number(m[2]);
}

/** The URL npm start printed ("Edge API:  http://127.0.0.1:<port>") and its port. */
function edgeUrl(output: string): { url: string; port: number } {
  const url = line(output, /^Edge API:\s+(http:\/\/127\.0\.0\.1:\d+)\s/m);
  return { url, port: Number(new URL(url).port) };
}

const line = (output: string, re: RegExp): string => {
  const m = output.match(re);
  if (!m?.[1]) throw new Error(`no line matching ${re} in:\n${output}`);
  return m[1];
};

let dir = "";
let devVars = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "start-smoke-"));
  devVars = join(dir, "dev.vars");
});

afterAll(async () => {
  for (const r of started) {
    if (r.child.pid !== undefined && r.child.exitCode === null) await stopGroup(r.child.pid, 2000);
  }
  for (const g of wranglerGroups) await stopGroup(g, 2000);
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe("npm start against wrangler dev", () => {
  let key = "";
  let devVarsText = "";

  it("--once: creates the key, prints URL, key and curl, scores every host, exits 0 leaving nothing behind", async () => {
    const run = npmStart(["--once", "--hosts", "3", "--seed", "7"], { PORT: "0", DEV_VARS_FILE: devVars });
    const code = await exitWithin(run, 150_000);
    const out = run.output();
    expect(code, out).toBe(0);

    const { url, port } = edgeUrl(out);
    expect(out).toContain(`wrangler dev ready on ${url}`);
    key = line(out, /API key:\s+(\S+)/);
    expect(key).toMatch(/^edp_local_/);
    const curl = line(out, /Try it:\s+(curl .*)/);
    expect(curl).toContain(`${url}/metrics`);
    expect(curl).toContain(`Bearer ${key}`);
    // The status page's URL beside the key.
    expect(line(out, /^Status:\s+(\S+)/m)).toBe(`${url}/`);

    // The file holds the key's hash where the Worker reads it, the key only in its comment; private.
    devVarsText = await readFile(devVars, "utf8");
    expect((await stat(devVars)).mode & 0o777).toBe(0o600);
    const parsed = parseDevVars(devVarsText);
    if (!parsed.apiKeys.ok) throw new Error(parsed.apiKeys.reason);
    expect(parsed.apiKeys.entries.map((e) => e.sha256)).toEqual([sha256Hex(key)]);
    await expect(authenticate(`Bearer ${key}`, parsed.apiKeys.entries)).resolves.toMatchObject({
      tenant: "local",
    });

    // Warm-up and replay went through without loss, and every host got a prediction.
    expect(out).toMatch(/warm-up done: [\d,]+ points in/);
    const summary = line(out, /^(summary: .*)$/m);
    expect(summary).toMatch(/3 hosts listed, 3 with predictions/);
    expect(summary).toMatch(/\d+ simulated downtime\(s\) since the replay began, \d+ flagged beforehand/);
    expect(summary).toMatch(/, 0 dropped late, 0 duplicates/);
    for (const h of ["host-000", "host-001", "host-002"])
      expect(out).toMatch(new RegExp(`^${h}\\s+(ok|warning|critical)\\s`, "m"));
    // Besides the final state: the riskiest moment, the event log and every warning with what followed.
    expect(out).toMatch(/^the riskiest moment, \d{4}-\d\d-\d\d \d\d:\d\d UTC: /m);
    expect(out).toMatch(/^events \(alert transitions recorded by each host's object/m);
    expect(out).toMatch(/^warnings: \d+ raised · \d+ followed by a simulated downtime/m);
    expect(out).toMatch(/^outlook: "down within N min" = /m);

    // Stopped: no process of wrangler's group, the port is free, the temporary state is gone.
    expect(out).toContain("no process of its group is left");
    expect(groupProcesses(wranglerGroup(out))).toEqual([]);
    await expect(assertPortFree("127.0.0.1", port)).resolves.toBeUndefined();
    const stateDir = line(out, /Durable Object storage in (\S+),/);
    expect(existsSync(stateDir)).toBe(false);
  }, 180_000);

  it("live: the printed curl works; health, 401 and 400 through wrangler dev; Ctrl-C stops everything", async () => {
    expect(key, "needs the first test's key").not.toBe("");
    const run = npmStart(["--hosts", "3", "--speed", "3000"], { PORT: "0", DEV_VARS_FILE: devVars });
    await waitFor(run, /^replay: /m, 120_000);
    const out = run.output();
    const { url, port } = edgeUrl(out);

    // An existing file is kept as it is, and its key is printed again.
    expect(line(out, /API key:\s+(\S+)/)).toBe(key);
    expect(await readFile(devVars, "utf8")).toBe(devVarsText);

    // The curl exactly as printed (through a shell, as a user would paste it).
    const curl = line(out, /Try it:\s+(curl .*)/);
    const curlOut = await new Promise<string>((resolve, reject) =>
      execFile("sh", ["-c", `${curl} -w '\\n%{http_code}'`], { timeout: 20_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const [body = "", status] = [
      curlOut.slice(0, curlOut.lastIndexOf("\n")),
      curlOut.slice(curlOut.lastIndexOf("\n") + 1),
    ];
    expect(status, curlOut).toBe("200");
    const ingest = PointIngestSchema.parse(JSON.parse(body));
    expect(ingest).toMatchObject({ host: "default", accepted: 1, dropped_late: 0 });
    expect(ingest.prediction?.host).toBe("default");

    // The printed status page is served (its browser test is scripts/status-page/page.test.ts).
    const page = await fetch(line(out, /^Status:\s+(\S+)/m));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('src="/build/app.js"');

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(HealthSchema.parse(await health.json())).toMatchObject({
      status: "ok",
      inference: { ready: true },
    });

    const unauthorized = await fetch(`${url}/hosts`);
    expect(unauthorized.status).toBe(401);
    expect(ErrorBodySchema.parse(await unauthorized.json()).error.code).toBe("unauthorized");

    const invalid = await fetch(`${url}/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ cpu_usage: "high" }),
    });
    expect(invalid.status).toBe(400);
    const err = ErrorBodySchema.parse(await invalid.json()).error;
    expect(err.code).toBe("invalid_field");
    expect(err.issues?.map((i) => i.path)).toContain("cpu_usage");

    // The demo's hosts are listed with the curl's host beside them (the index updates in the background).
    let listed: string[] = [];
    for (let i = 0; i < 50 && !listed.includes("default"); i++) {
      const res = await fetch(`${url}/hosts`, { headers: { authorization: `Bearer ${key}` } });
      listed = HostsListingSchema.parse(await res.json()).hosts.map((h) => h.host);
      if (!listed.includes("default")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toEqual(expect.arrayContaining(["default", "host-000", "host-001", "host-002"]));

    const history = await fetch(`${url}/hosts/host-000/history?limit=5`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(history.status).toBe(200);
    expect(z.object({ points: z.array(z.unknown()).min(1) }).safeParse(await history.json()).success).toBe(
      true,
    );

    // Ctrl-C: the terminal signals the whole foreground group.
    const group = wranglerGroup(out);
    expect(groupProcesses(group).length).toBeGreaterThan(0);
    process.kill(-run.child.pid!, "SIGINT");
    const code = await exitWithin(run, 30_000);
    expect(code, run.output()).toBe(0);
    // Stopped, it says what it saw: the warnings and the lead times.
    expect(run.output()).toMatch(/^warnings: \d+ raised/m);
    expect(run.output()).toMatch(
      /^summary: 3 with predictions; \d+ simulated downtime\(s\) since the replay began/m,
    );
    expect(groupProcesses(group)).toEqual([]);
    expect(groupProcesses(run.child.pid!)).toEqual([]);
    await expect(assertPortFree("127.0.0.1", port)).resolves.toBeUndefined();
  }, 180_000);

  it("SIGTERM to npm alone during start-up still stops wrangler dev", async () => {
    const run = npmStart(["--hosts", "1"], { PORT: "0", DEV_VARS_FILE: join(dir, "sigterm.vars") });
    await waitFor(run, /wrangler dev pid \d+/, 60_000);
    const group = wranglerGroup(run.output());
    process.kill(run.child.pid!, "SIGTERM");
    await exitWithin(run, 30_000);
    // npm's exit does not wait for everything: give the script its bounded stop time.
    for (let i = 0; i < 100 && groupProcesses(run.child.pid!).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(groupProcesses(run.child.pid!), run.output()).toEqual([]);
    expect(groupProcesses(group)).toEqual([]);
  }, 120_000);
});
