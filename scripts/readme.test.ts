import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { render } from "./readme.ts";

describe("README figures", () => {
  it("match the committed model artifact and benchmark results (run `npm run readme` after retraining)", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    expect(render(readme)).toBe(readme);
  });
});
