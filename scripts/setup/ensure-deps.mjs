#!/usr/bin/env node
// Installs what the tests / training need on a fresh Debian machine, and says clearly what is missing
// elsewhere. Plain ESM JavaScript (no tsx) because it runs before `npm install` may have happened.
//
//   node scripts/setup/ensure-deps.mjs --for test|train|start
//
// - npm packages: `npm ci` when node_modules is missing or older than package-lock.json.
// - PyTorch + ONNX for /usr/bin/python3: `apt-get install python3-torch python3-onnx` (Debian), only
//   when running as root on a machine with apt-get; otherwise print how to install and carry on
//   (tests that need PyTorch then report themselves as skipped, loudly).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const purpose = process.argv.includes("--for") ? process.argv[process.argv.indexOf("--for") + 1] : "test";
const log = (msg) => console.log(`[setup] ${msg}`);

function ensureNpm() {
  const lock = join(root, "package-lock.json");
  const marker = join(root, "node_modules", ".package-lock.json");
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  log("installing npm packages (npm ci)…");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
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
    log("installing PyTorch + ONNX for /usr/bin/python3 (apt-get install python3-torch python3-onnx)…");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "python3-torch", "python3-onnx"], {
      stdio: "inherit",
      env,
    });
    if (hasTorch()) return true;
  }
  const how =
    "sudo apt-get install python3-torch python3-onnx   (or: pip install torch onnx, then PYTHON=python3)";
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

ensureNpm();
if (purpose === "test" || purpose === "train") ensureTorch();
