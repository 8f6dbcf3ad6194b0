/**
 * `npm run stack` / `npm run stack:stop`: the self-hosted side of the pipeline on this machine (see
 * stack.ts), for a person.
 *
 *   npm run stack                  start it in the background, print every URL, return
 *   npm run stack -- --foreground  the same, in this terminal until Ctrl-C
 *   npm run stack:stop             stop exactly what `npm run stack` started
 *
 * Everything lives under `.data/stack/` (PostgreSQL's cluster, Kafka's storage, the Worker's Durable
 * Object state, logs in `.data/stack/logs/`); the facts go to `.data/stack.env` as KEY=value lines.
 * Ports: PostgreSQL 127.0.0.1:5432 (PGPORT), the Worker 8787 (WORKER_PORT), the gateway 8790
 * (GATEWAY_PORT), the connector's /health 9465 (CONNECTOR_PORT), the exporter 9466 (EXPORTER_PORT); Kafka
 * takes a free port. The API key
 * is the one `npm start` uses (`.dev.vars`, created if absent); the gateway's credentials are
 * generated once and kept in `.dev.vars` as comment lines, so `npm start` stays the embedded default.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { groupProcesses, stopGroup } from "../lib/process-group.ts";
import { kafkaToolsMissing } from "../kafka/kafka.ts";
import { postgresMissing, timescaleInstalled } from "../postgres/postgres.ts";
import { assertPortFree } from "../start/port.ts";
import { ensureDevVars, parseDevVars } from "../start/dev-vars.ts";
import { startStack, type Stack } from "./stack.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DATA = join(ROOT, ".data");
const STACK_DIR = join(DATA, "stack");
const ENV_FILE = join(DATA, "stack.env");
const PID_FILE = join(STACK_DIR, "supervisor.pid");
const GROUPS_FILE = join(STACK_DIR, "groups.json");
const LOG_FILE = join(STACK_DIR, "logs", "stack.log");
const READY_MARK = "stack ready";

const out = (line = "") => process.stdout.write(`${line}\n`);
const fail = (message: string): never => {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(1);
};

function portVar(name: string, def: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535)
    fail(`${name}=${raw}: must be a port 1..65535`);
  return Number(raw);
}

const ports = () => ({
  pg: portVar("PGPORT", 5432),
  worker: portVar("WORKER_PORT", 8787),
  gateway: portVar("GATEWAY_PORT", 8790),
  connector: portVar("CONNECTOR_PORT", 9465),
  exporter: portVar("EXPORTER_PORT", 9466),
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningSupervisor(): number | null {
  if (!existsSync(PID_FILE)) return null;
  const pid = Number(readFileSync(PID_FILE, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

/** The gateway's credentials, kept in `.dev.vars` as comment lines (generated on first use). */
function gatewayCredentials(file: string): { user: string; password: string } {
  const text = readFileSync(file, "utf8");
  const user = /^#\s*stack-gateway-user:\s*(\S+)\s*$/m.exec(text)?.[1];
  const password = /^#\s*stack-gateway-password:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (user && password) return { user, password };
  const fresh = { user: "edge", password: randomBytes(18).toString("base64url") };
  appendFileSync(
    file,
    [
      "# Added by `npm run stack`: Basic credentials of the local Kafka gateway (the Worker's sink).",
      `# stack-gateway-user: ${fresh.user}`,
      `# stack-gateway-password: ${fresh.password}`,
      "",
    ].join("\n"),
  );
  return fresh;
}

/** Checks everything that can be checked before starting anything. */
async function preflight(): Promise<void> {
  const missing = postgresMissing() ?? kafkaToolsMissing();
  if (missing)
    fail(
      `${missing}\n(npm test's set-up installs what is missing: node scripts/setup/ensure-deps.mjs --for stack)`,
    );
  const p = ports();
  const names = {
    pg: "PGPORT",
    worker: "WORKER_PORT",
    gateway: "GATEWAY_PORT",
    connector: "CONNECTOR_PORT",
    exporter: "EXPORTER_PORT",
  };
  for (const [k, port] of Object.entries(p)) {
    try {
      await assertPortFree("127.0.0.1", port);
    } catch {
      const hint = k === "pg" ? " (Debian's own PostgreSQL cluster? see pg_lsclusters)" : "";
      fail(
        `127.0.0.1:${port} is in use${hint}. Choose another port: ${names[k as keyof typeof names]}=${port + 1} npm run stack`,
      );
    }
  }
}

/** Runs the stack in this process until SIGTERM/SIGINT. */
async function run(): Promise<void> {
  mkdirSync(join(STACK_DIR, "logs"), { recursive: true });
  writeFileSync(PID_FILE, `${process.pid}\n`);
  const p = ports();
  const local = await ensureDevVars(join(ROOT, ".dev.vars"), process.env.API_KEY);
  const devVars = parseDevVars(readFileSync(local.file, "utf8"));
  if (!devVars.apiKeys.ok) fail(`${local.file}: ${devVars.apiKeys.reason}`);
  const apiKeys = devVars.apiKeys.ok ? JSON.stringify(devVars.apiKeys.entries) : "[]";
  const creds = gatewayCredentials(local.file);
  // Kafka's log is this run's: the connector drains it before the stack stops (see stop below).
  rmSync(join(STACK_DIR, "kafka"), { recursive: true, force: true });

  let stack: Stack | null = null;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    out(`${why}: stopping the stack…`);
    if (stack) {
      await stack.stop();
    }
    rmSync(ENV_FILE, { force: true });
    rmSync(PID_FILE, { force: true });
    rmSync(GROUPS_FILE, { force: true });
    out("stack stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));

  try {
    stack = await startStack({
      root: ROOT,
      dataDir: STACK_DIR,
      pgPort: p.pg,
      workerPort: p.worker,
      gatewayPort: p.gateway,
      connectorPort: p.connector,
      exporterPort: p.exporter,
      apiKeys,
      gatewayUser: creds.user,
      gatewayPassword: creds.password,
      log: (l) => out(l),
    });
  } catch (e) {
    process.stderr.write(`stack: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    rmSync(PID_FILE, { force: true });
    process.exit(1);
  }
  if (stopping) return;
  const s = stack;
  const facts = { ...s.facts(), API_KEY: local.key, TENANT: local.tenant };
  writeFileSync(
    ENV_FILE,
    Object.entries(facts)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
    { mode: 0o600 },
  );
  writeFileSync(GROUPS_FILE, JSON.stringify(s.groups()));
  out();
  out(`Worker:      ${facts.WORKER_URL}   (API key ${local.key}, tenant '${local.tenant}')`);
  out(
    `Gateway:     ${facts.GATEWAY_URL}   (Basic ${facts.GATEWAY_USERNAME}:${facts.GATEWAY_PASSWORD}; /health, /metrics)`,
  );
  out(`Connector:   ${facts.CONNECTOR_URL}/health   and /metrics`);
  out(
    `Exporter:    ${facts.EXPORTER_URL}/metrics   (risk per host for Prometheus: prometheus/prometheus.yml scrapes these ports)`,
  );
  out(`Kafka:       ${facts.KAFKA_BROKERS}`);
  out(
    `PostgreSQL:  DATABASE_URL=${facts.DATABASE_URL}${s.postgres.timescale ? "   (TimescaleDB)" : "   (plain PostgreSQL: TimescaleDB is not installed)"}`,
  );
  out(`Facts:       ${ENV_FILE}   Logs: ${join(STACK_DIR, "logs")}`);
  out();
  out("Post a point, then see its row:");
  out(
    `  curl -sS -X POST ${facts.WORKER_URL}/metrics -H 'Authorization: Bearer ${local.key}' -H 'Content-Type: application/json' -d '{"host":"web-1","cpu_usage":42,"memory_usage":61,"network_latency":35,"error_rate":0.01}'`,
  );
  out(`  psql '${facts.DATABASE_URL}' -c 'SELECT * FROM host_latest'`);
  out();
  out(READY_MARK);
  // Report a part that dies on its own; the supervisor itself keeps running so stack:stop still works.
  const watch = setInterval(() => {
    for (const [part, pgid] of Object.entries(s.groups())) {
      if (pgid > 0 && groupProcesses(pgid).length === 0)
        out(`warning: ${part} (process group ${pgid}) is not running`);
    }
  }, 30_000);
  watch.unref();
}

/** `npm run stack`: the supervisor in the background, its progress echoed here until ready. */
async function start(foreground: boolean): Promise<void> {
  const pid = runningSupervisor();
  if (pid !== null) {
    out(`the stack is running already (supervisor pid ${pid}); its facts: ${ENV_FILE}`);
    if (existsSync(ENV_FILE)) out(readFileSync(ENV_FILE, "utf8").trim());
    return;
  }
  await preflight();
  out(
    `starting the stack (PostgreSQL${timescaleInstalled() ? " + TimescaleDB" : ""}, Kafka, connector, gateway, exporter, wrangler dev); data in ${STACK_DIR}`,
  );
  if (foreground) return run();
  mkdirSync(join(STACK_DIR, "logs"), { recursive: true });
  writeFileSync(LOG_FILE, "");
  const fd = openSync(LOG_FILE, "a");
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "run"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", fd, fd],
    env: process.env,
  });
  child.unref();
  let shown = 0;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const text = readFileSync(LOG_FILE, "utf8");
    const lines = text.split("\n");
    const complete = lines.slice(0, -1);
    for (const l of complete.slice(shown)) if (l !== READY_MARK) out(l);
    shown = complete.length;
    if (complete.includes(READY_MARK)) {
      out(`running in the background (supervisor pid ${child.pid}); stop it with: npm run stack:stop`);
      return;
    }
    if (child.pid === undefined || !alive(child.pid) || child.exitCode !== null) {
      fail(`the stack did not start; see above and ${LOG_FILE}`);
    }
    if (Date.now() > deadline)
      fail(`the stack was not ready within 15 min; see ${LOG_FILE} (npm run stack:stop ends it)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `npm run stack:stop`. */
async function stop(): Promise<void> {
  const pid = runningSupervisor();
  const groups: Record<string, number> = existsSync(GROUPS_FILE)
    ? (JSON.parse(readFileSync(GROUPS_FILE, "utf8")) as Record<string, number>)
    : {};
  if (pid === null && Object.keys(groups).length === 0) {
    out("the stack is not running");
    return;
  }
  if (pid !== null) {
    out(`stopping the stack (supervisor pid ${pid})…`);
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 120_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(pid)) out(`the supervisor did not exit within 120 s; stopping its parts directly`);
  } else {
    out("the supervisor is gone; stopping the parts it had started");
  }
  // Whatever is left of what it started (a supervisor killed with SIGKILL leaves its parts running).
  for (const [part, pgid] of Object.entries(groups)) {
    if (pgid > 0 && groupProcesses(pgid).length > 0) {
      const r = await stopGroup(pgid, 15_000);
      out(`stopped ${part} (process group ${pgid})${r.forced ? " with SIGKILL" : ""}`);
    }
  }
  if (pid !== null && alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(ENV_FILE, { force: true });
  rmSync(PID_FILE, { force: true });
  rmSync(GROUPS_FILE, { force: true });
  out("stack stopped");
}

const [cmd = "start", ...rest] = process.argv.slice(2);
const main =
  cmd === "start"
    ? () => start(rest.includes("--foreground"))
    : cmd === "run"
      ? run
      : cmd === "stop"
        ? stop
        : () => fail(`unknown command '${cmd}' (start [--foreground] | stop)`);
main().catch((e: unknown) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
