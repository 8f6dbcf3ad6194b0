import { describe, expect, it } from "vitest";
import type { HostsListing } from "../../contracts/api.ts";
import type { Prediction } from "../../contracts/prediction.ts";
import type { JudgedDowntime, Warning } from "./tracker.ts";
import {
  duration,
  eventLine,
  fit,
  outlook,
  renderFrame,
  renderPeak,
  trendText,
  visibleLength,
  warningLines,
  warningsHeadline,
  type ViewState,
} from "./view.ts";

const listing: HostsListing = {
  hosts: [
    {
      host: "host-007",
      level: "critical",
      risk: 0.97,
      risks: { "5m": 0.4, "15m": 0.8, "30m": 0.97 },
      downtime_within_minutes: 15,
      time_to_breach_s: 600,
      as_of: "2026-11-24T10:00:00.000Z",
      updated_at: "2026-11-24T10:00:01.000Z",
      silent_s: 1,
    },
    {
      host: "host-002",
      level: "warning",
      risk: 0.02,
      risks: { "5m": 0.0, "15m": 0.01, "30m": 0.02 },
      downtime_within_minutes: null,
      time_to_breach_s: 0,
      as_of: "2026-11-24T10:00:00.000Z",
      updated_at: "2026-11-24T10:00:01.000Z",
      silent_s: 1,
    },
    {
      host: "host-003",
      level: "ok",
      risk: 0.01,
      risks: { "5m": 0.0, "15m": 0.0, "30m": 0.01 },
      downtime_within_minutes: null,
      time_to_breach_s: null,
      as_of: "2026-11-24T10:00:00.000Z",
      updated_at: "2026-11-24T10:00:01.000Z",
      silent_s: 1,
    },
    {
      host: "host-004",
      level: "ok",
      risk: 0.0,
      risks: { "5m": 0.0, "15m": 0.0, "30m": 0.0 },
      downtime_within_minutes: null,
      time_to_breach_s: 120,
      as_of: "2026-11-24T10:00:00.000Z",
      updated_at: "2026-11-24T09:00:01.000Z",
      silent_s: 1,
    },
  ],
  total: 4,
  shards: 8,
};

const detail: Prediction = {
  host: "host-007",
  as_of: "2026-11-24T10:00:00.000Z",
  risk: { "5m": 0.4, "15m": 0.8, "30m": 0.97 },
  level: "critical",
  level_since: "2026-11-24T09:40:00.000Z",
  downtime_within_minutes: 15,
  time_to_breach: { memory_usage: 540, error_rate: 1200 },
  anomaly: { cpu_usage: 0, memory_usage: 0.9, network_latency: 0, error_rate: 0.2 },
  contributors: [{ metric: "memory_usage", risk_delta: 0.41, value: 97.5, z: 6.04, anomaly: 0.9 }],
  model_version: "v",
  steps_seen: 1000,
};

const state: ViewState = {
  url: "http://127.0.0.1:8787",
  phase: "replay",
  phaseNote: "(×300, 40 %)",
  dataTimeMs: Date.parse("2026-11-24T10:00:30Z"),
  listing,
  listingError: null,
  details: new Map([["host-007", detail]]),
  down: new Map([
    [
      "host-003",
      {
        host: "host-003",
        family: "cpu_saturation",
        precursorStartMs: 0,
        startMs: 0,
        endMs: Date.parse("2026-11-24T11:00:00Z"),
      },
    ],
  ]),
  events: [
    {
      kind: "level",
      atMs: Date.parse("2026-11-24T09:40:00Z"),
      host: "host-007",
      from: "ok",
      to: "warning",
      risk30m: 0.55,
      driver: "memory_usage",
      late: false,
    },
    {
      kind: "down",
      atMs: Date.parse("2026-11-24T09:58:00Z"),
      host: "host-003",
      family: "cpu_saturation",
      warnedMinutes: null,
      levelAtDown: "ok",
      late: false,
    },
  ],
  warnings: [],
  downs: [],
  pointsSent: 25_000,
  footer: ["curl …"],
};

const plain = { colour: false, columns: null, maxRows: 10, maxWarnings: 5, maxEvents: 5 };

const at = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00Z`);
const warnings: Warning[] = [
  {
    host: "host-007",
    startMs: at("09:40"),
    endMs: null,
    peakLevel: "critical",
    peakRisk30m: 0.97,
    driver: "memory_usage",
    down: { atMs: at("10:01"), family: "memory_leak", leadMinutes: 21 },
  },
  {
    host: "host-003",
    startMs: at("08:10"),
    endMs: at("08:40"),
    peakLevel: "warning",
    peakRisk30m: 0.68,
    driver: "cpu_usage",
    down: null,
  },
  {
    host: "host-012",
    startMs: at("10:20"),
    endMs: null,
    peakLevel: "warning",
    peakRisk30m: 0.71,
    driver: "error_rate",
    down: null,
  },
  {
    host: "host-009",
    startMs: at("10:30"),
    endMs: at("10:45"),
    peakLevel: "warning",
    peakRisk30m: 0.66,
    driver: "cpu_usage",
    down: null,
  },
];
const downs: JudgedDowntime[] = [
  { host: "host-007", atMs: at("10:01"), family: "memory_leak", leadMinutes: 21, levelAtDown: "critical" },
  { host: "host-015", atMs: at("09:58"), family: "sudden_crash", leadMinutes: null, levelAtDown: "ok" },
];

describe("renderFrame", () => {
  it("shows hosts in the API's order with risks, outlook, drivers, DOWN labels and events", () => {
    const lines = renderFrame(state, plain).split("\n");
    expect(lines[0]).toContain("replay (×300, 40 %)");
    expect(lines[0]).toContain("2026-11-24 10:00 UTC");
    expect(lines[0]).toContain("25,000 points sent");
    expect(lines[1]).toContain("4 hosts · 1 critical · 1 warning");
    const rows = lines.filter((l) => l.startsWith("host-"));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(["host-007", "host-002", "host-003", "host-004"]);
    expect(rows[0]).toMatch(
      /critical\s+40%\s+80%\s+97%\s+down within 15 min · memory trend hits 95 % in 9 min\s+memory_usage \(z=6\.0 Δ41%\)/,
    );
    expect(rows[1]).toContain("a metric at or over its breach level");
    expect(rows[2]).toContain("DOWN (cpu_saturation, simulated)");
    // A trend towards a breach on a host at ok is not shown: beside a 0 % risk it only confuses.
    expect(rows[3]).toMatch(/^host-004\s+ok\s+0%\s+0%\s+0%$/);
    expect(lines.some((l) => l.startsWith('outlook: "down within N min"'))).toBe(true);
    expect(lines).toContain("09:40 host-007 ok → warning (p(30m) 55%, driven by memory_usage)");
    expect(lines).toContain(
      "09:58 host-003 DOWN (cpu_saturation, simulated) — not flagged beforehand (level ok)",
    );
    expect(lines.at(-1)).toBe("curl …");
  });

  it("keeps every warning with what followed it, whatever the hosts' levels now", () => {
    const text = renderFrame({ ...state, warnings, downs, dataTimeMs: at("11:30") }, plain);
    expect(text).toContain(
      "warnings: 4 raised · 1 followed by a simulated downtime (lead 21 min) · 2 false alarms · 1 downtime not flagged",
    );
    expect(text).toContain("09:40 host-007   critical peak p(30m)  97%  memory_usage    DOWN at 10:01");
    expect(renderFrame({ ...state, warnings, downs }, { ...plain, maxWarnings: 0 })).not.toContain(
      "warnings:",
    );
  });

  it("limits rows and events, and says how many rows are hidden", () => {
    const text = renderFrame(state, { ...plain, maxRows: 1, maxEvents: 1 });
    expect(text).toContain("… 3 more");
    expect(text).not.toContain("09:40 host-007");
    expect(text).toContain("09:58 host-003");
  });

  it("colours levels only when asked, and cuts lines to the terminal width without breaking escapes", () => {
    expect(renderFrame(state, plain)).not.toContain("\x1b[");
    const coloured = renderFrame(state, { ...plain, colour: true, columns: 40 });
    expect(coloured).toContain("\x1b[31mcritical");
    for (const line of coloured.split("\n")) expect(visibleLength(line)).toBeLessThanOrEqual(40);
  });

  it("says when there is no listing yet or the last one failed", () => {
    expect(renderFrame({ ...state, listing: null }, plain)).toContain("(no listing yet)");
    expect(renderFrame({ ...state, listingError: "GET /hosts → HTTP 429" }, plain)).toContain(
      "listing failed: GET /hosts → HTTP 429",
    );
  });
});

describe("helpers", () => {
  it("fit keeps escapes and counts only visible characters", () => {
    expect(fit("\x1b[31mabcdef\x1b[0m", 3)).toBe("\x1b[31mabc\x1b[0m");
    expect(fit("abc", null)).toBe("abc");
  });

  it("duration picks a readable unit", () => {
    expect([duration(0), duration(45), duration(600), duration(3 * 3600)]).toEqual([
      "0 s",
      "45 s",
      "10 min",
      "3.0 h",
    ]);
  });

  it("eventLine says how early a downtime was flagged", () => {
    expect(
      eventLine(
        {
          kind: "down",
          atMs: Date.parse("2026-11-24T09:58:00Z"),
          host: "h",
          family: "memory_leak",
          warnedMinutes: 21,
          levelAtDown: "critical",
          late: false,
        },
        false,
      ),
    ).toBe("09:58 h DOWN (memory_leak, simulated) — flagged 21 min before (level critical)");
  });

  it("eventLine stamps the nearest minute, and says when a line comes late", () => {
    expect(
      eventLine(
        {
          kind: "level",
          atMs: Date.parse("2026-11-24T09:39:58Z"),
          host: "h",
          from: "ok",
          to: "warning",
          risk30m: 0.7,
          driver: null,
          late: true,
        },
        false,
      ),
    ).toBe("09:40 h ok → warning (p(30m) 70%) (learnt late: the host had gone silent)");
  });

  it("words a time to breach as the metric's trend, with its breach level", () => {
    expect(trendText("memory_usage", 33 * 60)).toBe("memory trend hits 95 % in 33 min");
    expect(trendText("network_latency", 600)).toBe("latency trend hits 1000 ms in 10 min");
    expect(trendText("error_rate", 0)).toBe("error rate at or over 10 %");
    const ok = { level: "ok" as const, downtime_within_minutes: null, time_to_breach_s: 1980 };
    expect(outlook(ok, { ...detail, level: "ok", downtime_within_minutes: null })).toBe("");
    expect(outlook({ ...ok, level: "warning" }, undefined)).toBe(
      "a metric trend hits its breach level in 33 min",
    );
  });
});

describe("warnings", () => {
  it("each says when it was raised, how high it went and what followed", () => {
    const lines = warningLines(warnings, downs, at("11:00"), 10, false);
    expect(lines).toEqual([
      expect.stringMatching(
        /^08:10 host-003 +warning +peak p\(30m\) +68% +cpu_usage +false alarm: back to ok at 08:40, no downtime followed$/,
      ),
      expect.stringMatching(
        /^09:40 host-007 +critical +peak p\(30m\) +97% +memory_usage +DOWN at 10:01 \(memory_leak, simulated\): lead 21 min$/,
      ),
      expect.stringMatching(
        /^09:58 host-015 +— +DOWN \(sudden_crash, simulated\), not flagged beforehand \(a crash without precursor\)$/,
      ),
      expect.stringMatching(/^10:20 host-012 +warning .* still flagged after 40 min, no downtime yet$/),
      expect.stringMatching(/^10:30 host-009 +warning .* back to ok at 10:45, no downtime so far$/),
    ]);
    expect(warningLines(warnings, downs, at("11:00"), 2, false)).toHaveLength(2);
    expect(warningsHeadline([], [], 0)).toBe(
      "warnings: 0 raised · 0 followed by a simulated downtime · 0 false alarms · 0 downtimes not flagged",
    );
  });

  it("the riskiest moment shows each flagged host's prediction then and what followed", () => {
    const text = renderPeak(
      { atMs: at("10:00"), hosts: [detail], flagged: 1, maxRisk30m: 0.97 },
      warnings,
      at("11:00"),
      false,
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe("the riskiest moment, 2026-11-24 10:00 UTC: 1 host at warning or critical");
    expect(lines[2]).toMatch(
      /^host-007\s+critical\s+40%\s+80%\s+97%\s+down within 15 min · memory trend hits 95 % in 9 min/,
    );
    expect(lines[3]).toMatch(/^ +→ DOWN at 10:01 \(memory_leak, simulated\): lead 21 min$/);
    // A prediction from another minute than the moment says so.
    const earlier = renderPeak(
      { atMs: at("09:55"), hosts: [detail], flagged: 1, maxRisk30m: 0.97 },
      warnings,
      0,
      false,
    );
    expect(earlier.split("\n")[3]).toMatch(/^ +\(as the response for 10:00 showed it\)$/);
    expect(renderPeak(null, [], 0, false)).toContain("no prediction");
  });
});
