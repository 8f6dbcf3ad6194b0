#!/usr/bin/env node
// Installs what the tests / training need on a fresh Debian machine, and says clearly what is missing
// elsewhere. Plain ESM JavaScript (no tsx) because it runs before `npm install` may have happened.
//
//   node scripts/setup/ensure-deps.mjs --for test|train|start|stack
//
// - Node: the version range of package.json's `engines` (the one place it is stated), checked first.
// - npm packages: `npm ci` when node_modules is missing or older than package-lock.json.
// - PyTorch + ONNX for /usr/bin/python3: `apt-get install --no-install-recommends python3-torch
//   python3-onnx` (Debian), only when running as root on a machine with apt-get; otherwise print how to
//   install and carry on (tests that need PyTorch then report themselves as skipped, loudly).
// - PostgreSQL 15 (server binaries in /usr/lib/postgresql/15/bin) and, to build TimescaleDB, its server
//   headers and cmake: `apt-get install --no-install-recommends postgresql-15 postgresql-server-dev-15
//   cmake` (together, so server and headers are the same minor), as root with apt-get.
// - TimescaleDB 2.28.3, built once from ../shared/vendor/timescaledb-2.28.3.tar.gz (sha256 checked) in
//   ~/.cache/edge-downtime-prediction/ and installed into PostgreSQL's directories; skipped when
//   `$(pg_config --pkglibdir)/timescaledb-2.28.3.so` and its control file exist. Without the archive, root
//   or the build tools: one line says TimescaleDB is unavailable and tests use plain PostgreSQL.
// - Prometheus 2.42 (prometheus, promtool), Alertmanager 0.25 (amtool) and docker-compose, Debian's, for
//   the monitoring tests (#13), node_exporter for the remote_write live test and Chromium for the status
//   page's browser tests (#12): `apt-get install --no-install-recommends prometheus
//   prometheus-alertmanager docker-compose prometheus-node-exporter chromium`, as root with apt-get;
//   otherwise those tests are SKIPPED.
// These run here, before vitest starts, because test files run in parallel and two apt-get runs would
// fight over the dpkg lock.
// One line per step; a tool's own output is kept in .data/setup/<step>.log and shown only when it fails.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const purpose = process.argv.includes("--for") ? process.argv[process.argv.indexOf("--for") + 1] : "test";
const log = (msg) => console.log(`[setup] ${msg}`);
const logDir = join(root, ".data", "setup");

/**
 * Runs a command with its output captured to .data/setup/<name>.log; on failure prints the log's last
 * lines and exits. Returns the elapsed seconds.
 */
function step(name, command, args, env = process.env, cwd = root) {
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, `${name}.log`);
  const t0 = Date.now();
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const output = `$ ${command} ${args.join(" ")}\n${r.stdout ?? ""}${r.stderr ?? ""}`;
  writeFileSync(file, output);
  if (r.status !== 0) {
    const tail = output.trimEnd().split("\n").slice(-40).join("\n");
    console.error(
      `[setup] FAILED: ${command} ${args.join(" ")} (${r.error?.message ?? `exit ${r.status}`}); last lines of ${relative(root, file)}:\n${tail}`,
    );
    process.exit(1);
  }
  return ((Date.now() - t0) / 1000).toFixed(0);
}

/** Node's version against package.json's engines.node ("^20.19.0 || >=22.13.0" style ranges). */
function checkNode() {
  const range = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines?.node;
  if (typeof range !== "string") return;
  const v = process.versions.node.split(".").map(Number);
  const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const ok = range.split("||").some((alt) => {
    const m = /^\s*(\^|>=)\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt);
    if (!m) return true; // a form this check does not read: leave it to npm
    const min = [Number(m[2]), Number(m[3]), Number(m[4])];
    return cmp(v, min) >= 0 && (m[1] === ">=" || v[0] === min[0]);
  });
  if (!ok) {
    console.error(
      `[setup] Node ${process.versions.node} is not supported: this project needs Node ${range} (package.json engines).`,
    );
    process.exit(1);
  }
}

function ensureNpm() {
  const lock = join(root, "package-lock.json");
  const marker = join(root, "node_modules", ".package-lock.json");
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  log("npm packages: npm ci …");
  const s = step("npm-ci", "npm", ["ci", "--no-audit", "--no-fund"]);
  log(`npm packages: installed in ${s} s`);
}

export const PYTHON = process.env.PYTHON ?? "/usr/bin/python3";

function hasTorch() {
  const r = spawnSync(PYTHON, ["-c", "import torch, onnx"], { stdio: "ignore" });
  return r.status === 0;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };

/** Whether this process may install Debian packages (root, apt-get present, SKIP_APT unset). */
function canApt() {
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  return isRoot && hasApt && process.env.SKIP_APT !== "1";
}

let aptUpdated = false;
/** `apt-get update`, at most once per run; `what` names the packages it is for. */
function aptUpdate(what) {
  if (aptUpdated) return;
  log(`${what}: apt-get update …`);
  const u = step("apt-update", "apt-get", ["update", "-qq"], APT_ENV);
  log(`${what}: apt-get update done in ${u} s`);
  aptUpdated = true;
}

function ensureTorch() {
  if (hasTorch()) return true;
  if (canApt()) {
    const env = APT_ENV;
    aptUpdate("PyTorch + ONNX for /usr/bin/python3");
    log("PyTorch + ONNX: apt-get install python3-torch python3-onnx …");
    const i = step(
      "apt-torch",
      "apt-get",
      ["install", "-y", "-qq", "--no-install-recommends", "python3-torch", "python3-onnx"],
      env,
    );
    if (hasTorch()) {
      log(`PyTorch + ONNX: installed in ${i} s`);
      return true;
    }
    log(`PyTorch + ONNX: installed, but ${PYTHON} still cannot import torch and onnx`);
  }
  const how =
    "sudo apt-get install --no-install-recommends python3-torch python3-onnx   (or: pip install torch onnx, then PYTHON=python3)";
  if (purpose === "train") {
    console.error(
      `[setup] PyTorch + onnx are required for training and were not found for ${PYTHON}.\n  ${how}`,
    );
    process.exit(1);
  }
  console.warn(
    `\n[setup] WARNING: PyTorch + onnx not found for ${PYTHON}; the training/export tests will be SKIPPED.\n  ${how}\n`,
  );
  return false;
}

// ---- PostgreSQL 15 + TimescaleDB (issue #10) ----------------------------------------------------

const PG_MAJOR = 15;
const TIMESCALE_VERSION = "2.28.3";
const PG_BIN = process.env.PG_BINDIR ?? `/usr/lib/postgresql/${PG_MAJOR}/bin`;
const PG_PACKAGES = [`postgresql-${PG_MAJOR}`, `postgresql-server-dev-${PG_MAJOR}`, "cmake"];
const vendorDir = join(root, "..", "shared", "vendor");
const tarball = join(vendorDir, `timescaledb-${TIMESCALE_VERSION}.tar.gz`);
const cacheRoot = join(homedir(), ".cache", "edge-downtime-prediction");

const hasPgServer = () => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(PG_BIN, b)));
const pgConfig = (flag) => {
  const r = spawnSync(join(PG_BIN, "pg_config"), [flag], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
};
const hasPgHeaders = () => {
  const dir = pgConfig("--includedir-server");
  return dir !== null && existsSync(join(dir, "postgres.h"));
};
const hasCmake = () => spawnSync("cmake", ["--version"], { stdio: "ignore" }).status === 0;

/** The same test as scripts/postgres/postgres.ts: the versioned library and the control file. */
function timescaleInstalled() {
  const lib = pgConfig("--pkglibdir");
  const share = pgConfig("--sharedir");
  return (
    lib !== null &&
    share !== null &&
    existsSync(join(lib, `timescaledb-${TIMESCALE_VERSION}.so`)) &&
    existsSync(join(share, "extension", "timescaledb.control"))
  );
}

const timescaleUnavailable = (why) =>
  log(`TimescaleDB unavailable (${why}): the database tests use the plain-PostgreSQL fallback`);

/**
 * PostgreSQL 15's server binaries, and — when TimescaleDB is to be built here — its server headers and
 * cmake. Installed together so the server and the headers the extension is compiled against are the
 * same minor version. Returns whether the server binaries are there afterwards.
 */
function ensurePostgres() {
  const buildWanted = existsSync(tarball) && !timescaleInstalled();
  const missing = !hasPgServer() || (buildWanted && (!hasPgHeaders() || !hasCmake()));
  if (!missing) return true;
  if (canApt()) {
    aptUpdate(`PostgreSQL ${PG_MAJOR}`);
    log(`PostgreSQL ${PG_MAJOR}: apt-get install ${PG_PACKAGES.join(" ")} …`);
    const s = step(
      "apt-postgres",
      "apt-get",
      ["install", "-y", "-qq", "--no-install-recommends", ...PG_PACKAGES],
      APT_ENV,
    );
    log(`PostgreSQL ${PG_MAJOR}: installed in ${s} s (${pgConfig("--version") ?? "version unknown"})`);
  } else if (!hasPgServer()) {
    console.warn(
      `\n[setup] WARNING: PostgreSQL ${PG_MAJOR} not found in ${PG_BIN}; the database tests will be SKIPPED.\n` +
        `  sudo apt-get install --no-install-recommends ${PG_PACKAGES.join(" ")}   (or PG_BINDIR=<dir of initdb, pg_ctl, postgres>)\n`,
    );
  }
  return hasPgServer();
}

/** TimescaleDB built from the vendored source once (see the header comment); false = plain PostgreSQL. */
function ensureTimescale() {
  if (timescaleInstalled()) return true;
  if (!existsSync(tarball)) return (timescaleUnavailable(`${relative(root, tarball)} not found`), false);
  if (!isRoot) return (timescaleUnavailable("installing the extension needs root"), false);
  if (!hasPgHeaders() || !hasCmake())
    return (timescaleUnavailable(`needs ${PG_PACKAGES.slice(1).join(" and ")}`), false);
  const sha = createHash("sha256").update(readFileSync(tarball)).digest("hex");
  const shaFile = `${tarball}.sha256`;
  if (existsSync(shaFile) && readFileSync(shaFile, "utf8").split(/\s/)[0] !== sha) {
    console.error(`[setup] FAILED: ${relative(root, tarball)} does not match ${relative(root, shaFile)}`);
    process.exit(1);
  }
  // The scratch directory is keyed on the archive and the server version: make is incremental, so a
  // build directory left from an earlier run (an install lost with a fresh system) only re-installs.
  const pgVersion = /\d+(\.\d+)*/.exec(pgConfig("--version") ?? "")?.[0] ?? "unknown";
  const work = join(cacheRoot, `timescaledb-${TIMESCALE_VERSION}-${sha.slice(0, 12)}-pg${pgVersion}`);
  const src = join(work, `timescaledb-${TIMESCALE_VERSION}`);
  const configured = join(work, ".configured");
  const t0 = Date.now();
  const fresh = !existsSync(configured);
  if (fresh) {
    log(
      `TimescaleDB ${TIMESCALE_VERSION}: building from ${relative(root, tarball)} in ${work} (about 5 min) …`,
    );
    // cmake records absolute paths, so configure in the final directory; a half-done one starts over.
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    step("timescaledb-extract", "tar", ["xzf", tarball, "-C", work]);
    step(
      "timescaledb-bootstrap",
      "./bootstrap",
      [
        "-DREGRESS_CHECKS=OFF",
        "-DTAP_CHECKS=OFF",
        "-DWARNINGS_AS_ERRORS=OFF",
        "-DCMAKE_BUILD_TYPE=Release",
        `-DPG_CONFIG=${join(PG_BIN, "pg_config")}`,
      ],
      process.env,
      src,
    );
    writeFileSync(configured, `${sha}\n`);
  } else {
    log(`TimescaleDB ${TIMESCALE_VERSION}: installing the cached build in ${work} …`);
  }
  const jobs = String(Math.max(1, cpus().length));
  step("timescaledb-make", "make", ["-C", "build", `-j${jobs}`], process.env, src);
  step("timescaledb-install", "make", ["-C", "build", "install"], process.env, src);
  if (!timescaleInstalled()) {
    console.error(
      `[setup] FAILED: TimescaleDB built and installed, but ${PG_BIN}/pg_config's directories lack it`,
    );
    process.exit(1);
  }
  const took = ((Date.now() - t0) / 1000).toFixed(0);
  log(`TimescaleDB ${TIMESCALE_VERSION}: ${fresh ? "built and installed" : "installed"} in ${took} s`);
  return true;
}

// ---- Prometheus, Alertmanager, docker-compose (issue #13) ---------------------------------------

/** Debian package → the binaries the tests run from it. */
const MONITORING_PACKAGES = {
  prometheus: ["prometheus", "promtool"],
  "prometheus-alertmanager": ["amtool"],
  "docker-compose": ["docker-compose"],
  // #12: the remote_write live test scrapes a real node_exporter; the status page is tested in Chromium.
  "prometheus-node-exporter": ["prometheus-node-exporter"],
  chromium: ["chromium"],
};
const onPath = (bin) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;

/** Installs the monitoring packages whose binaries are missing; warns (tests skip) when it cannot. */
function ensureMonitoringTools() {
  const missing = Object.entries(MONITORING_PACKAGES)
    .filter(([, bins]) => !bins.every(onPath))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (canApt()) {
    aptUpdate(missing.join(", "));
    log(`monitoring tools: apt-get install ${missing.join(" ")} …`);
    const s = step(
      "apt-monitoring",
      "apt-get",
      ["install", "-y", "-qq", "--no-install-recommends", ...missing],
      APT_ENV,
    );
    log(`monitoring tools: installed in ${s} s`);
    return;
  }
  console.warn(
    `\n[setup] WARNING: ${missing.join(", ")} not installed; the Prometheus/Alertmanager/Compose/node_exporter/browser tests that need them will be SKIPPED.\n` +
      `  sudo apt-get install --no-install-recommends ${missing.join(" ")}\n`,
  );
}

/** What each purpose needs, in order, after Node and the npm packages. */
const NEEDS = {
  test: [ensureTorch, ensurePostgresAndTimescale, ensureMonitoringTools],
  train: [ensureTorch],
  start: [],
  stack: [ensurePostgresAndTimescale],
};

function ensurePostgresAndTimescale() {
  if (ensurePostgres()) ensureTimescale();
}

if (!(purpose in NEEDS)) {
  console.error(`[setup] unknown --for ${purpose}: one of ${Object.keys(NEEDS).join(", ")}`);
  process.exit(1);
}
checkNode();
ensureNpm();
for (const need of NEEDS[purpose]) need();
