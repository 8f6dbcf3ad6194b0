/**
 * The time strings rows.ts writes are exactly what the Date round trips give (its fast paths only
 * skip work): epoch ms → ISO, and an ISO time with an offset → its canonical UTC form.
 */
import { describe, expect, it } from "vitest";
import { isoOfMs, normalIso } from "./rows.ts";

describe("rows: time strings", () => {
  it("isoOfMs equals new Date(ms).toISOString(), and throws where it throws", () => {
    const edges = [0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000, 951_782_400_000, 8.64e15, 8.64e15 - 1];
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const random = Array.from({ length: 20_000 }, (_, i) =>
      i % 2 ? Math.floor(rand() * 8.64e15) : Math.floor(1.7e12 + rand() * 1e11),
    );
    for (const ms of [...edges, ...random]) expect(isoOfMs(ms)).toBe(new Date(ms).toISOString());
    for (const bad of [8.64e15 + 1, 8.64e15 + 86_399_999, NaN])
      expect(() => isoOfMs(bad)).toThrow(RangeError);
    expect(isoOfMs(-1)).toBe(new Date(-1).toISOString());
  });

  it("normalIso equals new Date(Date.parse(s)).toISOString()", () => {
    for (const s of [
      "2026-12-01T12:00:00.000Z",
      "2026-12-01T12:00:00Z",
      "2026-12-01T12:00:00.123456Z",
      "2026-12-01T13:00:00.000+01:00",
      "2028-02-29T23:59:59.999Z",
      "0001-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
    ])
      expect(normalIso(s), s).toBe(new Date(Date.parse(s)).toISOString());
    // Canonical-looking strings, real dates or not: the same as the round trip wherever it returns.
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const two = (n: number) => String(n).padStart(2, "0");
    for (let i = 0; i < 20_000; i++) {
      const s = `${String(rand(10_000)).padStart(4, "0")}-${two(rand(14))}-${two(rand(33))}T${two(rand(25))}:${two(rand(61))}:${two(rand(61))}.${String(rand(1000)).padStart(3, "0")}Z`;
      const ms = Date.parse(s);
      if (Number.isNaN(ms)) expect(() => normalIso(s), s).toThrow(RangeError);
      else expect(normalIso(s), s).toBe(new Date(ms).toISOString());
    }
    // Not a real date: not taken as canonical, so the round trip decides (and throws, as before).
    expect(() => normalIso("2026-02-30T00:00:00.000Z")).not.toThrow();
    expect(normalIso("2026-02-30T00:00:00.000Z")).toBe(
      new Date(Date.parse("2026-02-30T00:00:00.000Z")).toISOString(),
    );
  });
});
