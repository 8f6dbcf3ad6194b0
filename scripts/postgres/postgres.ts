/**
 * A throw-away PostgreSQL 15 cluster on 127.0.0.1, shared by tests, benchmarks and the local stack:
 *
 * 1. `npm test`'s set-up (scripts/setup/ensure-deps.mjs) installs PostgreSQL 15 and builds TimescaleDB
 *    2.28.3 once; this module only uses what is installed. `postgresMissing()` says why it cannot run
 *    (no server binaries; root without a `postgres` system user), `timescaleInstalled()` whether the
 *    extension is there.
 * 2. `startPostgres()` runs `initdb` on a fresh directory (UTF8, C locale, superuser `postgres`) unless
 *    the directory already holds a cluster, then starts `postgres` itself (no pg_ctl) in its own process
 *    group. PostgreSQL refuses to run as root, so as root initdb and the server run as the `postgres`
 *    system user and the data directory belongs to it; otherwise they run as the current user.
 * 3. Authentication: TCP on 127.0.0.1 only, scram-sha-256 with a password generated at initdb and kept
 *    in the data directory (`edp-password`, mode 0600), so another local user cannot connect to a test
 *    cluster; the unix socket lives inside the data directory (mode 0700) and trusts its owner.
 * 4. PostgreSQL must be told its port, so a start goes through `onFreePort`: "could not bind … Address
 *    already in use" in its log means the port was taken in between, and the start is retried on another.
 *    Ready means a real connection with this cluster's password answers `SELECT 1`, not that a port
 *    answered. Then the database (`downtime` unless told otherwise) is created if absent.
 * 5. `fsync` is off by default (with `full_page_writes` and `synchronous_commit`): a test cluster that
 *    lost its last transactions in a power cut would be thrown away anyway. `fsync: true` turns it on.
 * 6. `stop()` asks the postmaster for a fast shutdown (SIGINT), then ends whatever is left of its process
 *    group, and removes the directory when it created a temporary one. A process that exits without
 *    calling it sends the postmaster SIGQUIT (immediate shutdown) on its way out. `restart()` stops and starts the
 *    same data directory on the same port (a fault test restarts the database mid-stream).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import postgres from "postgres";
import { groupProcesses, stopGroup, type StopResult } from "../lib/process-group.ts";
import { onFreePort } from "../lib/ports.ts";
import { LineTail } from "../lib/wrangler-dev.ts";

export const PG_MAJOR = 15;
export const TIMESCALE_VERSION = "2.28.3";
/** The database every cluster gets (the one the schema lives in). */
export const DEFAULT_DATABASE = "downtime";
/** The superuser initdb creates (whatever the OS user is). */
export const SUPERUSER = "postgres";
const PASSWORD_FILE = "edp-password";
const LOG_FILE = "server.log";

export type PostgresErrorCode =
  "NOT_AVAILABLE" | "TIMESCALE_MISSING" | "INITDB_FAILED" | "START_FAILED" | "PORT_TAKEN" | "NOT_READY";

export class PostgresError extends Error {
  constructor(
    readonly code: PostgresErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PostgresError";
  }
}

/** Where initdb, postgres and pg_config are: PG_BINDIR, else Debian's /usr/lib/postgresql/15/bin. */
export function pgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PG_BINDIR ?? `/usr/lib/postgresql/${PG_MAJOR}/bin`;
}

function pgConfig(flag: string): string | null {
  const r = spawnSync(join(pgBinDir(), "pg_config"), [flag], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

/** uid/gid of the `postgres` system user, or null when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Why PostgreSQL cannot run here, or null when it can. */
export function postgresMissing(): string | null {
  const bin = pgBinDir();
  for (const tool of ["initdb", "postgres", "pg_config"]) {
    if (!existsSync(join(bin, tool))) {
      return `${join(bin, tool)} not found: PostgreSQL ${PG_MAJOR} is not installed (Debian: apt-get install postgresql-${PG_MAJOR}; npm test's set-up does it as root; or set PG_BINDIR)`;
    }
  }
  if (isRoot() && postgresUser() === null) {
    return "running as root and there is no `postgres` system user to run PostgreSQL as (it refuses root)";
  }
  return null;
}

/** Whether TimescaleDB 2.28.3 is installed into this PostgreSQL (library and control file). */
export function timescaleInstalled(): boolean {
  const lib = pgConfig("--pkglibdir");
  const share = pgConfig("--sharedir");
  return (
    lib !== null &&
    share !== null &&
    existsSync(join(lib, `timescaledb-${TIMESCALE_VERSION}.so`)) &&
    existsSync(join(share, "extension", "timescaledb.control"))
  );
}

export interface PostgresOptions {
  /**
   * The cluster's directory (PGDATA). Absent: a fresh temporary one, removed by `stop()`. Given: used
   * as it is when it already holds a cluster (same password), initialised when empty or absent; never
   * removed.
   */
  dataDir?: string;
  /** Preload TimescaleDB: true (an error without it), false, or "auto" (when installed; default). */
  timescale?: boolean | "auto";
  /** A fixed port (one attempt); default: a free one through onFreePort. */
  port?: number;
  /** Durable writes (default false: fsync, full_page_writes and synchronous_commit off). */
  fsync?: boolean;
  /** The database to create (default "downtime"). */
  database?: string;
  /** How long to wait for `SELECT 1` to answer after the server was started, ms (default 60 s). */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>`. */
  url: string;
  host: "127.0.0.1";
  port: number;
  database: string;
  user: string;
  password: string;
  dataDir: string;
  /** Whether the server preloads TimescaleDB (`CREATE EXTENSION timescaledb` then works). */
  timescale: boolean;
  /** The URL of another database of this cluster. */
  urlFor(database: string): string;
  /** Creates a database if absent (tests give each case its own); returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Process group of the running postmaster (0 while stopped). */
  pgid(): number;
  /** Last lines the server logged (from all its starts). */
  logTail(n?: number): string;
  /** Stops the server and starts it again on the same data directory and port. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) and removes the data directory when it was a temporary one. */
  stop(): Promise<StopResult>;
}

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * The first directory on the way to `dir` that `owner` cannot pass through (no search permission), or
 * null. As root the server runs as the `postgres` user, which cannot enter e.g. a clone under /root or
 * a 0700 temporary directory; initdb's own message ("could not access directory … Permission denied")
 * does not say which directory is in the way.
 */
export function blockedAncestor(dir: string, owner: Owner): string | null {
  const parts = resolve(dir).split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const d = sep + parts.slice(0, i).join(sep);
    if (!existsSync(d)) break; // created below, by root, for the owner
    const r = spawnSync("test", ["-x", d], { ...owner });
    if (r.status !== 0) return d;
  }
  return null;
}

/** initdb into `dataDir` (absent or empty) with `password` for the superuser. */
function initdb(dataDir: string, password: string, owner: Owner | null, fsync: boolean): void {
  const blocked = owner ? blockedAncestor(dataDir, owner) : null;
  if (blocked) {
    throw new PostgresError(
      "INITDB_FAILED",
      `PostgreSQL runs as the '${SUPERUSER}' user (it refuses root), and that user cannot enter ${blocked} on the way to ${dataDir}; give it search permission (chmod o+x ${blocked}) or put the data directory elsewhere`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o700);
  const pwDir = mkdtempSync(join(tmpdir(), "pg-pw-"));
  const pwFile = join(pwDir, "pw");
  try {
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) for (const p of [dataDir, pwDir, pwFile]) chownSync(p, owner.uid, owner.gid);
    const r = spawnSync(
      join(pgBinDir(), "initdb"),
      [
        "-D",
        dataDir,
        "-U",
        SUPERUSER,
        "-E",
        "UTF8",
        "--locale=C",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        `--pwfile=${pwFile}`,
        ...(fsync ? [] : ["--no-sync"]),
      ],
      { encoding: "utf8", env: serverEnv(), timeout: 120_000, ...(owner ?? {}) },
    );
    if (r.status !== 0) {
      throw new PostgresError(
        "INITDB_FAILED",
        `initdb -D ${dataDir} failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-30).join("\n")}`,
      );
    }
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  writeFileSync(join(dataDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  if (owner) chownSync(join(dataDir, PASSWORD_FILE), owner.uid, owner.gid);
}

/** A clean environment for initdb/postgres: none of the caller's PG* variables leak in. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", TZ: "UTC" };
  return env;
}

/** Starts a cluster (see the module comment). */
export async function startPostgres(o: PostgresOptions = {}): Promise<RunningPostgres> {
  const missing = postgresMissing();
  if (missing) throw new PostgresError("NOT_AVAILABLE", missing);
  const installed = timescaleInstalled();
  const timescale = o.timescale === "auto" || o.timescale === undefined ? installed : o.timescale;
  if (timescale && !installed) {
    throw new PostgresError(
      "TIMESCALE_MISSING",
      `TimescaleDB ${TIMESCALE_VERSION} is not installed in ${pgConfig("--pkglibdir") ?? pgBinDir()} (npm test's set-up builds it from ../shared/vendor)`,
    );
  }
  const owner: Owner | null = isRoot() ? postgresUser() : null;
  const temporary = o.dataDir === undefined;
  const base = temporary ? mkdtempSync(join(tmpdir(), "pg-test-")) : null;
  if (base && owner) chownSync(base, owner.uid, owner.gid);
  const dataDir = o.dataDir ?? join(base!, "data");
  const fsync = o.fsync ?? false;
  const database = o.database ?? DEFAULT_DATABASE;
  const tail = new LineTail(400);
  const logTail = (n = 40): string => tail.last(n).join("\n");

  try {
    let password: string;
    if (existsSync(join(dataDir, "PG_VERSION"))) {
      password = readFileSync(join(dataDir, PASSWORD_FILE), "utf8").trim();
    } else {
      password = randomBytes(18).toString("hex");
      initdb(dataDir, password, owner, fsync);
    }
    const settings = serverSettings(dataDir, timescale, fsync);
    const run = { dataDir, owner, settings, password, tail, readyTimeoutMs: o.readyTimeoutMs ?? 60_000 };
    const started =
      o.port !== undefined
        ? { port: o.port, value: await startOn(run, o.port) }
        : await onFreePort((port) => startOn(run, port), {
            portTaken: (e) => e instanceof PostgresError && e.code === "PORT_TAKEN",
          });
    const port = started.port;
    let pgid = started.value;
    const urlFor = (db: string): string =>
      `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    await createDatabase(urlFor("postgres"), database);
    o.log?.(
      `PostgreSQL ${PG_MAJOR}${timescale ? ` + TimescaleDB ${TIMESCALE_VERSION}` : ""} ready on 127.0.0.1:${port} (pid ${pgid}, ${dataDir})`,
    );

    let stopped = false;
    const halt = async (): Promise<StopResult> => {
      const r = await shutdown(pgid);
      pgid = 0;
      return r;
    };
    // A process that exits without stop() (a crashed test run) must not leave a server behind:
    // immediate shutdown (SIGQUIT: the postmaster ends its children and frees shared memory itself).
    const onExit = (): void => {
      if (pgid > 0) {
        try {
          process.kill(pgid, "SIGQUIT");
        } catch {
          // gone already
        }
      }
      if (base) rmSync(base, { recursive: true, force: true });
    };
    process.once("exit", onExit);
    return {
      url: urlFor(database),
      host: "127.0.0.1",
      port,
      database,
      user: SUPERUSER,
      password,
      dataDir,
      timescale,
      urlFor,
      async createDatabase(name) {
        await createDatabase(urlFor("postgres"), name);
        return urlFor(name);
      },
      pgid: () => pgid,
      logTail,
      async restart() {
        if (stopped) throw new PostgresError("START_FAILED", "restart() after stop()");
        await halt();
        pgid = await startOn(run, port);
      },
      async stop() {
        if (stopped) return { forced: false, leftovers: [] };
        stopped = true;
        process.off("exit", onExit);
        const r = await halt();
        if (base) rmSync(base, { recursive: true, force: true });
        return r;
      },
    };
  } catch (e) {
    if (base) rmSync(base, { recursive: true, force: true });
    throw e;
  }
}

function serverSettings(dataDir: string, timescale: boolean, fsync: boolean): string[] {
  const c: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dataDir,
    timezone: "UTC",
    log_timezone: "UTC",
    shared_preload_libraries: timescale ? "timescaledb" : "",
    max_connections: "200",
  };
  if (!fsync) Object.assign(c, { fsync: "off", full_page_writes: "off", synchronous_commit: "off" });
  if (timescale) {
    // TimescaleDB's scheduler + policy jobs run as background workers; PostgreSQL's default of 8
    // leaves none for parallel queries. No telemetry from test clusters.
    Object.assign(c, { max_worker_processes: "24", "timescaledb.telemetry_level": "off" });
  }
  return Object.entries(c).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

interface Run {
  dataDir: string;
  owner: Owner | null;
  settings: string[];
  password: string;
  tail: LineTail;
  readyTimeoutMs: number;
}

/** Starts the postmaster on `port` and waits until `SELECT 1` answers; returns its process group. */
async function startOn(run: Run, port: number): Promise<number> {
  const child = spawn(
    join(pgBinDir(), "postgres"),
    ["-D", run.dataDir, "-p", String(port), ...run.settings],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: serverEnv(),
      ...(run.owner ?? {}),
    },
  );
  if (child.pid === undefined) throw new PostgresError("START_FAILED", "postgres did not start (no pid)");
  const pgid = child.pid;
  const file = createWriteStream(join(run.dataDir, LOG_FILE), { flags: "a" });
  child.once("close", () => file.end());
  let exited = false;
  let bindFailed = false;
  child.once("exit", () => (exited = true));
  const feed = (b: Buffer): void => {
    file.write(b);
    for (const line of run.tail.push(b.toString("utf8")))
      if (/could not bind|Address already in use/.test(line)) bindFailed = true;
  };
  child.stdout?.on("data", feed);
  child.stderr?.on("data", feed);
  const text = (): string => run.tail.last(40).join("\n");

  const url = `postgres://${SUPERUSER}:${run.password}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + run.readyTimeoutMs;
  for (;;) {
    if (bindFailed) {
      await shutdown(pgid);
      throw new PostgresError("PORT_TAKEN", `port ${port} was taken before PostgreSQL bound it`);
    }
    if (exited) {
      await shutdown(pgid);
      throw new PostgresError("START_FAILED", `PostgreSQL exited before it was ready:\n${text()}`);
    }
    if (await answers(url)) return pgid;
    if (Date.now() > deadline) {
      await shutdown(pgid);
      throw new PostgresError(
        "NOT_READY",
        `PostgreSQL on port ${port} did not answer SELECT 1 within ${run.readyTimeoutMs} ms:\n${text()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One connection with the cluster's password and `SELECT 1`: true when it answered. */
async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, idle_timeout: 1, onnotice: () => undefined });
  try {
    const rows = await sql`SELECT 1 AS one`;
    return rows[0]?.one === 1;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, connect_timeout: 10, onnotice: () => undefined });
  try {
    const exists = await sql`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (exists.length === 0) await sql`CREATE DATABASE ${sql(database)}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Fast shutdown: SIGINT to the postmaster (it ends its backends and writes a checkpoint), up to 30 s,
 * then SIGTERM/SIGKILL to whatever is left of the process group.
 */
async function shutdown(pgid: number): Promise<StopResult> {
  if (pgid <= 0) return { forced: false, leftovers: [] };
  try {
    process.kill(pgid, "SIGINT");
  } catch {
    // ESRCH: the postmaster is gone already.
  }
  const deadline = Date.now() + 30_000;
  while (groupProcesses(pgid).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return stopGroup(pgid, 5000);
}
