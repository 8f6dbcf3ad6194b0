import { describe, expect, it } from "vitest";
import { DAY_MS, DEFAULT_START_MS, FleetConfigError, parseFleetConfig } from "./config.ts";
import { FAILURE_FAMILIES } from "./types.ts";

function issuesOf(input: Parameters<typeof parseFleetConfig>[0]): string[] {
  try {
    parseFleetConfig(input);
  } catch (err) {
    if (err instanceof FleetConfigError) return err.issues.map((i) => `${i.field}: ${i.message}`);
    throw err;
  }
  return [];
}

describe("parseFleetConfig", () => {
  it("fills defaults and resolves days into durationMs", () => {
    const c = parseFleetConfig({});
    expect(c.stepSeconds).toBe(60);
    expect(c.startMs).toBe(DEFAULT_START_MS);
    expect(c.durationMs).toBe(DAY_MS);
    expect(c.failuresPerHostDay).toBe(0.25);
    expect(c.families).toEqual([...FAILURE_FAMILIES]);
    expect(parseFleetConfig({ days: 2.5 }).durationMs).toBe(2.5 * DAY_MS);
  });

  it("is idempotent: a parsed config parses to itself", () => {
    const c = parseFleetConfig({ seed: 9, hosts: 3, days: 2, families: ["memory_leak"] });
    expect(parseFleetConfig(c)).toEqual(c);
  });

  it("names the offending field", () => {
    expect(issuesOf({ days: 1, durationMs: DAY_MS })[0]).toMatch(/^days: /);
    expect(issuesOf({ jitterSeconds: 30 })[0]).toMatch(/^jitterSeconds: must be < stepSeconds\/2/);
    expect(issuesOf({ hosts: 0 })[0]).toMatch(/^hosts: /);
    expect(issuesOf({ families: [] })[0]).toMatch(/^families: /);
    expect(issuesOf({ families: ["memory_leak", "memory_leak"] })[0]).toMatch(
      /^families: lists a family twice/,
    );
    expect(issuesOf({ missingRate: 0.9 })[0]).toMatch(/^missingRate: /);
    expect(issuesOf({ seed: -1 })[0]).toMatch(/^seed: /);
    // @ts-expect-error unknown keys are rejected (typos must not silently use defaults)
    expect(issuesOf({ hostz: 3 })[0]).toMatch(/hostz/);
  });
});
