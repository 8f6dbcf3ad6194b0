import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resultsNote, resultsTarget } from "./results.ts";

const root = "/repo";

describe("resultsTarget", () => {
  it("writes local runs to the git-ignored folder and the committed one only when asked", () => {
    expect(resultsTarget(root, {})).toEqual({ dir: join(root, "bench/results/local"), committed: false });
    expect(resultsTarget(root, {}, "nab")).toEqual({
      dir: join(root, "bench/results/local/nab"),
      committed: false,
    });
    expect(resultsTarget(root, { writeResults: true }, "nab")).toEqual({
      dir: join(root, "bench/results/nab"),
      committed: true,
    });
    expect(resultsTarget(root, { out: "/tmp/x" })).toEqual({ dir: "/tmp/x", committed: false });
    expect(resultsTarget(root, { out: "bench/results" }).committed).toBe(true);
    expect(() => resultsTarget(root, { out: "/tmp/x", writeResults: true })).toThrow(/give one of them/);
  });

  it("says where the results went and whether the committed figures changed", () => {
    expect(resultsNote(root, resultsTarget(root, {}))).toMatch(
      /bench\/results\/local; the committed figures are unchanged/,
    );
    expect(resultsNote(root, resultsTarget(root, { writeResults: true }))).toMatch(/npm run readme/);
  });
});
