/**
 * What compose.test.ts reads: `docker-compose config` (Debian's docker-compose 1.29, a real Compose
 * implementation) turned into a checked object, the Dockerfile's COPY lines, `.dockerignore` matching
 * and the local import graph of a service's entry point.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { z } from "zod";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const COMPOSE_FILE = "docker-compose.yml";
export const DOCKERFILE = "docker/node-service.Dockerfile";

/** Why docker-compose cannot run here, or null when it can. */
export function composeMissing(): string | null {
  const v = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" });
  if (v.error || v.status !== 0)
    return "docker-compose is not installed (Debian: apt-get install docker-compose)";
  const y = spawnSync("python3", ["-c", "import yaml"], { encoding: "utf8" });
  if (y.error || y.status !== 0) return "python3-yaml is missing (it comes with Debian's docker-compose)";
  return null;
}

const StrOrList = z.union([z.string(), z.array(z.string())]);
const ServiceSchema = z.object({
  image: z.string().optional(),
  build: z.object({ context: z.string(), dockerfile: z.string().optional() }).optional(),
  command: StrOrList.optional(),
  entrypoint: StrOrList.optional(),
  restart: z.string().optional(),
  healthcheck: z.object({ test: StrOrList }).passthrough().optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
  volumes: z.array(z.string()).optional(),
  ports: z.array(z.string()).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string() }))])
    .optional(),
  user: z.string().optional(),
});
export const ResolvedConfigSchema = z.object({
  services: z.record(z.string(), ServiceSchema),
  volumes: z.record(z.string(), z.unknown()).optional(),
});
export type ResolvedService = z.infer<typeof ServiceSchema>;
export type ResolvedConfig = z.infer<typeof ResolvedConfigSchema>;

export type ComposeRun = { ok: true; config: ResolvedConfig } | { ok: false; stderr: string };

/**
 * `docker-compose config` with `envFile` as the only source of variables (the caller's environment is
 * not passed on, so a variable exported in the shell cannot hide a missing one).
 */
export function composeConfig(envFile: string): ComposeRun {
  const r = spawnSync(
    "docker-compose",
    ["--project-directory", ROOT, "-f", join(ROOT, COMPOSE_FILE), "--env-file", envFile, "config"],
    { cwd: ROOT, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" } },
  );
  if (r.status !== 0) return { ok: false, stderr: `${r.stderr}${r.error?.message ?? ""}` };
  // docker-compose 1.29 prints YAML only; PyYAML (a dependency of Debian's docker-compose) reads it.
  const j = spawnSync(
    "python3",
    ["-c", "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
    { input: r.stdout, encoding: "utf8" },
  );
  if (j.status !== 0) throw new Error(`YAML → JSON failed: ${j.stderr}`);
  return { ok: true, config: ResolvedConfigSchema.parse(JSON.parse(j.stdout)) };
}

/** `${VAR…}` references in a Compose file, split into required (`:?`/`?`) and the rest. */
export function interpolatedVariables(text: string): { required: Set<string>; optional: Set<string> } {
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[?-])?/g)) {
    const name = m[1]!;
    if (m[2]?.endsWith("?")) required.add(name);
    else optional.add(name);
  }
  for (const r of required) optional.delete(r);
  return { required, optional };
}

export interface CopyLine {
  line: number;
  sources: string[];
  dest: string;
}

/** The Dockerfile's COPY lines that copy from the build context (not `--from=stage`). */
export function contextCopies(dockerfile: string): CopyLine[] {
  const out: CopyLine[] = [];
  dockerfile.split("\n").forEach((text, i) => {
    const m = /^\s*COPY\s+(.*)$/i.exec(text);
    if (!m) return;
    const words = m[1]!.trim().split(/\s+/);
    if (words.some((w) => w.startsWith("--from="))) return;
    const args = words.filter((w) => !w.startsWith("--"));
    out.push({ line: i + 1, sources: args.slice(0, -1), dest: args[args.length - 1]! });
  });
  return out;
}

/** The last `WORKDIR` of the Dockerfile (the runtime stage's). */
export function lastWorkdir(dockerfile: string): string {
  const all = [...dockerfile.matchAll(/^\s*WORKDIR\s+(\S+)/gim)];
  return all.at(-1)?.[1] ?? "/";
}

/**
 * Whether `.dockerignore` lets `path` (relative to the context) into the build context: the last
 * pattern matching the path or one of its parent directories decides, `!` re-including (Docker's
 * rules for the patterns used here: `*`, `**`, `!`, literal paths).
 */
export function dockerIncluded(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const parts = normalize(path).split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let included = true;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = normalize(negated ? raw.slice(1) : raw).replace(/^\/+/, "");
    const re = new RegExp(
      `^${pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((t) =>
          t === "**/"
            ? "(?:.*/)?"
            : t === "**"
              ? ".*"
              : t === "*"
                ? "[^/]*"
                : t === "?"
                  ? "[^/]"
                  : t.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
        )
        .join("")}$`,
    );
    if (candidates.some((c) => re.test(c))) included = negated;
  }
  return included;
}

const BUILTINS = new Set(builtinModules);

/** The package a bare import specifier names (`@scope/pkg/sub` → `@scope/pkg`). */
export function packageOf(specifier: string): string | null {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return null;
  if (specifier.startsWith("node:") || BUILTINS.has(specifier.split("/")[0]!)) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * Every repository file `entry` imports, transitively (itself included), and every package it imports
 * by name. Relative imports only are followed; `import type` lines count too (harmless: over-inclusive).
 */
export function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
    for (const { fileName } of info.importedFiles) {
      const pkg = packageOf(fileName);
      if (pkg !== null) {
        packages.add(pkg);
        continue;
      }
      if (!fileName.startsWith(".")) continue;
      let target = relative(ROOT, join(ROOT, dirname(file), fileName));
      if (!existsSync(join(ROOT, target)) && target.endsWith(".js")) target = target.replace(/\.js$/, ".ts");
      if (!existsSync(join(ROOT, target))) throw new Error(`${file} imports ${fileName}: no such file`);
      todo.push(target);
    }
  }
  return { files: [...files].sort(), packages };
}

/** A bind mount `host:container[:mode]` of a resolved service (absolute host path), or null for a named volume. */
export function bindMount(spec: string): { host: string; container: string } | null {
  const [host, container] = spec.split(":");
  if (host === undefined || container === undefined || !host.startsWith("/")) return null;
  return { host, container };
}
