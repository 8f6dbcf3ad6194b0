/**
 * `npm run proto:gen` (`tsx scripts/proto/gen.ts`): generates worker/formats/gen/**\/*_pb.ts from the
 * trimmed .proto files in worker/formats/proto/ with buf + protoc-gen-es (both pinned devDependencies,
 * run locally: no network, no remote plugins), formatted by the repository's Prettier. `--check`
 * writes nothing and exits 1 naming each file that differs; scripts/proto/gen.test.ts runs the check.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { generatedDifferences, reportCheck } from "../lib/generated.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PROTO_DIR = join(ROOT, "worker", "formats", "proto");
export const GEN_DIR = join(ROOT, "worker", "formats", "gen");
const BIN = join(ROOT, "node_modules", ".bin");

/** Files under `dir`, relative to it. */
function walk(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

/** Every generated file: path relative to worker/formats/gen/ → content (Prettier-formatted). */
export async function generate(): Promise<Map<string, string>> {
  const tmp = mkdtempSync(join(tmpdir(), "proto-gen-"));
  try {
    const template = {
      version: "v2",
      plugins: [
        {
          local: join(BIN, "protoc-gen-es"),
          out: tmp,
          opt: ["target=ts", "import_extension=ts"],
          include_imports: false,
        },
      ],
    };
    execFileSync(join(BIN, "buf"), ["generate", PROTO_DIR, "--template", JSON.stringify(template)], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BUF_CACHE_DIR: join(tmp, ".cache") },
    });
    const out = new Map<string, string>();
    for (const file of walk(tmp)
      .filter((f) => f.endsWith(".ts"))
      .sort()) {
      const target = join(GEN_DIR, file);
      const text = readFileSync(join(tmp, file), "utf8");
      out.set(file, await format(text, { ...(await resolveConfig(target)), filepath: target }));
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Files in `dir` that differ from the generated ones, are missing, or were not generated. */
export async function check(dir = GEN_DIR): Promise<string[]> {
  return generatedDifferences(dir, await generate(), walk(dir));
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--check")) return reportCheck("proto:gen", "worker/formats/gen/", await check());
  const files = await generate();
  rmSync(GEN_DIR, { recursive: true, force: true });
  for (const [file, content] of files) {
    const path = join(GEN_DIR, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`proto:gen: wrote ${relative(ROOT, path)}`);
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
