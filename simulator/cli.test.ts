import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { FLAGS, parseCli, usage, UsageError } from "./cli.ts";
import { simulateFleet } from "./fleet.ts";
import { POINTS_HEADER, DOWNTIME_HEADER } from "./dataset.ts";

const cli = join(import.meta.dirname, "cli.ts");
const run = (args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { encoding: "utf8", timeout: 60_000 });

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "sim-cli-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("parseCli", () => {
  it("maps flags onto the fleet config", () => {
    const c = parseCli([
      "--seed",
      "7",
      "--hosts",
      "20",
      "--days",
      "2",
      "--families",
      "memory_leak,sudden_crash",
      "--out",
      "x",
    ]);
    expect(c.config).toMatchObject({
      seed: 7,
      hosts: 20,
      durationMs: 2 * 86_400_000,
      families: ["memory_leak", "sudden_crash"],
    });
    expect(c.out).toBe("x");
    const s = parseCli(
      ["--stream", "http://127.0.0.1:1/metrics", "--speed", "0", "--batch", "5", "--time-shift", "end-now"],
      {
        SIMULATOR_API_KEY: "k",
      },
    );
    expect(s.stream).toMatchObject({ speed: 0, batch: 5, timeShift: "end-now", apiKey: "k" });
  });

  it.each([
    [["--hostz", "3", "--out", "x"], /--hostz/],
    [["--hosts", "abc", "--out", "x"], /^--hosts: not a number/],
    [["--hosts", "1.5", "--out", "x"], /^--hosts: must be an integer/],
    [["--jitter", "40", "--out", "x"], /^--jitter: must be < stepSeconds\/2/],
    [["--families", "memory_leak,typo", "--out", "x"], /^--families: /],
    [["--days", "1", "--hours", "3", "--out", "x"], /^--hours: /],
    [["--start", "yesterday", "--out", "x"], /^--start: /],
    [["--speed", "5", "--out", "x"], /^--speed: only valid with --stream/],
    [["--stream", "ftp://x"], /^--stream: not an http/],
    [["--seed", "1"], /--out DIR/],
  ])("rejects %j naming the flag", (args, message) => {
    expect(() => parseCli(args)).toThrow(UsageError);
    expect(() => parseCli(args)).toThrow(message);
  });

  it("documents every flag in --help", () => {
    const text = usage();
    for (const name of Object.keys(FLAGS)) expect(text).toContain(`--${name}`);
  });
});

describe("simulate CLI", () => {
  it("writes points, downtime, benign and meta files that agree with the library", () => {
    const dir = tempDir();
    const r = run([
      "--seed",
      "4",
      "--hosts",
      "3",
      "--days",
      "0.5",
      "--failures-per-host-day",
      "4",
      "--out",
      dir,
    ]);
    expect(r.status, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/points: \d+/);
    expect(String(r.stdout)).toMatch(/downtime events: \d+/);

    const fleet = simulateFleet({ seed: 4, hosts: 3, days: 0.5, failuresPerHostDay: 4 });
    const lines = readFileSync(join(dir, "points.csv"), "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(POINTS_HEADER);
    const expected = fleet.hosts.flatMap((h) => h.points);
    expect(lines.length - 1).toBe(expected.length);
    const first = expected[0];
    expect(lines[1]).toBe(
      `${first?.host},${first?.timestamp},${first?.cpu_usage},${first?.memory_usage},${first?.network_latency},${first?.error_rate}`,
    );

    const downtime = fleet.hosts.flatMap((h) => h.downtime);
    expect(downtime.length).toBeGreaterThan(0);
    const csv = readFileSync(join(dir, "downtime.csv"), "utf8").trimEnd().split("\n");
    expect(csv[0]).toBe(DOWNTIME_HEADER);
    expect(csv.length - 1).toBe(downtime.length);
    expect(JSON.parse(readFileSync(join(dir, "downtime.json"), "utf8"))).toEqual(downtime);
    expect(JSON.parse(readFileSync(join(dir, "benign.json"), "utf8"))).toEqual(
      fleet.hosts.flatMap((h) => h.benign),
    );

    const failures = z
      .array(z.object({ host: z.string(), family: z.string(), startMs: z.number(), subtle: z.boolean() }))
      .parse(JSON.parse(readFileSync(join(dir, "failures.json"), "utf8")));
    expect(failures.map((f) => [f.host, f.family, f.startMs])).toEqual(
      downtime.map((d) => [d.host, d.family, d.startMs]),
    );

    const meta = z
      .object({ counts: z.object({ points: z.number(), downtime: z.number() }), config: z.unknown() })
      .parse(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")));
    expect(meta.counts.points).toBe(expected.length);
    expect(meta.counts.downtime).toBe(downtime.length);
    expect(meta.config).toEqual(fleet.config);
  });

  it("exits 2 with a message naming a bad flag", () => {
    const r = run(["--hosts", "0", "--out", tempDir()]);
    expect(r.status).toBe(2);
    expect(String(r.stderr)).toMatch(/--hosts: must be ≥ 1/);
  });
});
