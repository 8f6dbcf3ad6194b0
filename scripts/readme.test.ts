import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { driftProblems, layoutGaps, render, unmentionedScripts } from "./readme.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");

describe("README figures", () => {
  it("match the committed model artifact and benchmark results (run `npm run readme` after retraining)", () => {
    expect(render(readme)).toBe(readme);
  });

  it("name every folder, every npm script, and edge figures stamped with committed code of this history", () => {
    expect(driftProblems(readme)).toEqual([]);
  });
});

describe("drift checks", () => {
  const table = (...rows: string[]) =>
    `## Layout\n\n| folder | what |\n| --- | --- |\n${rows.map((r) => `| \`${r}\` | x |`).join("\n")}\n\n## Next\n`;

  it("find a folder the Layout table misses, and accept ancestor and child rows", () => {
    const dirs = new Set(["worker/", "worker/routes/", "model/", "model/core/", "scripts/", "scripts/lib/"]);
    expect(layoutGaps(table("worker/", "model/core/"), dirs)).toEqual(["scripts/", "scripts/lib/"]);
    expect(layoutGaps(table("worker/", "model/core/", "scripts/lib/"), dirs)).toEqual([]);
    expect(layoutGaps(table("worker/"), new Set([".ci/", "worker/a/b/c/"]))).toEqual([]);
  });

  it("find npm scripts the README never names", () => {
    const scripts = { start: "", test: "", "test:run": "", "bench:edge": "", "bench:nab": "" };
    expect(unmentionedScripts("`npm start`, `npm test`, `npm run bench:edge`", scripts)).toEqual([
      "bench:nab",
    ]);
  });
});
