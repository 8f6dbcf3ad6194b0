#!/usr/bin/env node
// Installs what the tests / training need on a fresh Debian machine, and says clearly what is missing
// elsewhere. Plain ESM JavaScript (no tsx) because it runs before `npm install` may have happened.
//
//   node scripts/setup/ensure-deps.mjs --for test|train|start
//
// - Node: the version range of package.json's `engines` (the one place it is stated), checked first.
// - npm packages: `npm ci` when node_modules is missing or older than package-lock.json.
// - PyTorch + ONNX for /usr/bin/python3: `apt-get install --no-install-recommends python3-torch
//   python3-onnx` (Debian), only when running as root on a machine with apt-get; otherwise print how to
//   install and carry on (tests that need PyTorch then report themselves as skipped, loudly).
// One line per step; a tool's own output is kept in .data/setup/<step>.log and shown only when it fails.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
function step(name, command, args, env = process.env) {
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, `${name}.log`);
  const t0 = Date.now();
  const r = spawnSync(command, args, { cwd: root, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
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

function ensureTorch() {
  if (hasTorch()) return true;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (isRoot && hasApt && process.env.SKIP_APT !== "1") {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    log("PyTorch + ONNX for /usr/bin/python3: apt-get update …");
    const u = step("apt-update", "apt-get", ["update", "-qq"], env);
    log(`PyTorch + ONNX: apt-get update done in ${u} s; apt-get install python3-torch python3-onnx …`);
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

checkNode();
ensureNpm();
if (purpose === "test" || purpose === "train") ensureTorch();
