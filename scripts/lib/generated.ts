/**
 * Committed generated files (Grafana dashboards, protobuf code) checked against what their command
 * produces: the `--check` half of `npm run grafana:build` and `npm run proto:gen`, and their tests.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Problems of the files in `dir` against `want` (path relative to `dir` → content): each wanted file
 * missing or differing, and each of `present` (relative paths found in the generated part of `dir`)
 * that is not wanted.
 */
export function generatedDifferences(
  dir: string,
  want: ReadonlyMap<string, string>,
  present: Iterable<string>,
): string[] {
  const problems: string[] = [];
  for (const [file, content] of want) {
    const path = join(dir, file);
    if (!existsSync(path)) problems.push(`${file}: missing`);
    else if (readFileSync(path, "utf8") !== content) problems.push(`${file}: differs from the generated one`);
  }
  for (const f of present) if (!want.has(f)) problems.push(`${f}: not generated (stale?)`);
  return problems;
}

/** Prints a `--check` outcome as `<command> --check: <where><problem>` lines; the exit code (0 or 1). */
export function reportCheck(command: string, where: string, problems: readonly string[]): number {
  for (const p of problems) console.error(`${command} --check: ${where}${p}`);
  if (problems.length > 0) {
    console.error(`${command} --check: run \`npm run ${command}\` and commit the result`);
    return 1;
  }
  console.log(`${command} --check: generated files up to date`);
  return 0;
}
