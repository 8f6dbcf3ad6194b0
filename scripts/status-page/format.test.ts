import { describe, expect, it } from "vitest";
import {
  formatDowntime,
  formatDuration,
  formatMetric,
  formatRisk,
  horizonLabel,
  isSilent,
  sortHorizons,
} from "../../status-page/src/format.ts";

describe("status page formatting", () => {
  it("durations read naturally at every scale", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(45.4)).toBe("45 s");
    expect(formatDuration(12 * 60 + 30)).toBe("12 min");
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3 h 05 min");
    expect(formatDuration(50 * 3600)).toBe("2 d 2 h");
    expect(formatDuration(-5)).toBe("0 s");
  });

  it("risks, metrics and outlooks carry their units", () => {
    expect(formatRisk(0.9384)).toBe("94 %");
    expect(formatRisk(0.0473)).toBe("4.7 %");
    expect(formatMetric("memory_usage", 95.186)).toBe("95.2 %");
    expect(formatMetric("network_latency", 377.145)).toBe("377 ms");
    expect(formatMetric("network_latency", 42.25)).toBe("42.3 ms");
    expect(formatMetric("error_rate", 0.034997)).toBe("3.50 %");
    expect(formatMetric("error_rate", 0.25)).toBe("25.0 %");
    expect(formatMetric("cpu_usage", null)).toBe("—");
    expect(formatDowntime(15)).toBe("≤ 15 min");
    expect(formatDowntime(null)).toBe("—");
  });

  it("horizons sort by minutes; silence starts after three minutes", () => {
    expect(sortHorizons(["30m", "5m", "15m"])).toEqual(["5m", "15m", "30m"]);
    expect(horizonLabel("15m")).toBe("15 min");
    expect(isSilent(60)).toBe(false);
    expect(isSilent(181)).toBe(true);
  });
});
