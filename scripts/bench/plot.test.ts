import { describe, expect, it } from "vitest";
import { renderHostSvg, type HostPlotInput } from "./plot.ts";

// ---------- a tiny XML well-formedness checker (no dependency, no regular expressions) ----------

interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Parses a document with one root element; throws on anything not well-formed XML 1.0 (no DTDs). */
function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const isSpace = (c: string | undefined): boolean => c === " " || c === "\n" || c === "\t" || c === "\r";
  const isNameStart = (c: string | undefined): boolean =>
    c !== undefined &&
    ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === ":" || c > "\u00bf");
  const isNameChar = (c: string | undefined): boolean =>
    isNameStart(c) || (c !== undefined && ((c >= "0" && c <= "9") || c === "-" || c === "."));
  const skipSpace = (): void => {
    while (isSpace(src[i])) i++;
  };
  const startsWith = (s: string): boolean => src.startsWith(s, i);
  const name = (): string => {
    if (!isNameStart(src[i])) fail("expected a name");
    const from = i;
    while (isNameChar(src[i])) i++;
    return src.slice(from, i);
  };
  const entity = (): string => {
    const end = src.indexOf(";", i);
    if (end < 0 || end - i > 12) fail("unterminated entity");
    const body = src.slice(i + 1, end);
    i = end + 1;
    if (body.startsWith("#x")) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith("#")) {
      const digits = body.slice(1);
      if (digits === "" || [...digits].some((c) => c < "0" || c > "9")) fail("bad character reference");
      return String.fromCodePoint(Number(digits));
    }
    const v = ENTITIES[body];
    if (v === undefined) fail(`unknown entity &${body};`);
    return v ?? "";
  };
  const checkChar = (c: string): void => {
    const code = c.charCodeAt(0);
    if (code < 0x20 && c !== "\n" && c !== "\t" && c !== "\r") fail("control character");
  };
  const misc = (): void => {
    for (;;) {
      skipSpace();
      if (startsWith("<!--")) {
        const end = src.indexOf("-->", i);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (src[i] !== "<") fail("expected <");
    i++;
    const el: XmlElement = { name: name(), attrs: new Map(), children: [] };
    for (;;) {
      const hadSpace = isSpace(src[i]);
      skipSpace();
      if (startsWith("/>")) {
        i += 2;
        return el;
      }
      if (src[i] === ">") {
        i++;
        break;
      }
      if (!hadSpace) fail("attributes must be separated by white space");
      const attr = name();
      skipSpace();
      if (src[i] !== "=") fail("expected =");
      i++;
      skipSpace();
      const quote = src[i];
      if (quote !== '"' && quote !== "'") fail("expected a quoted value");
      i++;
      let value = "";
      while (src[i] !== quote) {
        const c = src[i];
        if (c === undefined) fail("unterminated attribute");
        if (c === "<") fail("< in attribute value");
        if (c === "&") value += entity();
        else {
          checkChar(c ?? "");
          value += c;
          i++;
        }
      }
      i++;
      if (el.attrs.has(attr)) fail(`duplicate attribute ${attr}`);
      el.attrs.set(attr, value);
    }
    let textBuf = "";
    const flush = (): void => {
      if (textBuf !== "") el.children.push(textBuf);
      textBuf = "";
    };
    for (;;) {
      const c = src[i];
      if (c === undefined) fail(`unclosed <${el.name}>`);
      if (startsWith("</")) {
        i += 2;
        const closing = name();
        skipSpace();
        if (closing !== el.name || src[i] !== ">") fail(`</${closing}> does not close <${el.name}>`);
        i++;
        flush();
        return el;
      }
      if (startsWith("<!--")) {
        const end = src.indexOf("-->", i);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
      } else if (c === "<") {
        flush();
        el.children.push(element());
      } else if (c === "&") textBuf += entity();
      else {
        if (startsWith("]]>")) fail("]]> in text");
        checkChar(c ?? "");
        textBuf += c;
        i++;
      }
    }
  };

  if (startsWith("<?xml")) {
    const end = src.indexOf("?>", i);
    if (end < 0) fail("unterminated XML declaration");
    i = end + 2;
  }
  misc();
  const root = element();
  misc();
  if (i !== src.length) fail("content after the root element");
  return root;
}

function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) if (typeof c !== "string") all(c, pred, out);
  return out;
}
const textOf = (el: XmlElement): string =>
  el.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
const texts = (root: XmlElement): string[] => all(root, (e) => e.name === "text").map(textOf);

/** Series paths by name; each is a list of subpaths of [x, y] points (the renderer's M/L/h subset). */
function seriesPaths(root: XmlElement): Map<string, [number, number][][]> {
  const out = new Map<string, [number, number][][]>();
  for (const el of all(root, (e) => e.attrs.has("data-series"))) {
    expect(el.name).toBe("path");
    out.set(el.attrs.get("data-series") ?? "", parsePath(el.attrs.get("d") ?? ""));
  }
  return out;
}
function parsePath(d: string): [number, number][][] {
  const subpaths: [number, number][][] = [];
  let cmd = "";
  let num = "";
  const nums: number[] = [];
  const emit = (): void => {
    if (num !== "") nums.push(Number(num));
    num = "";
  };
  const apply = (): void => {
    emit();
    if (cmd === "M") subpaths.push([]);
    const cur = subpaths[subpaths.length - 1];
    if (cur === undefined) {
      if (cmd !== "") throw new Error(`path does not start with M: ${d.slice(0, 30)}`);
      return;
    }
    if (cmd === "M" || cmd === "L") {
      if (nums.length % 2 !== 0) throw new Error("odd coordinate count");
      for (let k = 0; k < nums.length; k += 2) cur.push([nums[k] ?? NaN, nums[k + 1] ?? NaN]);
    } else if (cmd === "h") {
      const last = cur[cur.length - 1];
      if (last === undefined || nums.length !== 1) throw new Error("bad h");
      cur.push([last[0] + (nums[0] ?? NaN), last[1]]);
    } else if (cmd !== "") throw new Error(`unexpected command ${cmd}`);
    nums.length = 0;
  };
  for (const c of d) {
    if (c === "M" || c === "L" || c === "h") {
      apply();
      cmd = c;
    } else if (c === " ") emit();
    else num += c;
  }
  apply();
  return subpaths;
}
const pointsOf = (subpaths: [number, number][][]): [number, number][] => subpaths.flat();

// ---------- fixtures ----------

const T0 = Date.UTC(2026, 0, 5, 22, 0);
const STEP_MS = 60_000;

function steps(n: number, t0 = T0, stepMs = STEP_MS): number[] {
  return Array.from({ length: n }, (_, i) => t0 + i * stepMs);
}

/** A memory leak ending in downtime: 4 h of minutes, a gap, alerts, a benign deploy, three baselines. */
function example(): HostPlotInput {
  const n = 240;
  const stepEndMs = steps(n);
  const downAt = 200;
  const wave = (i: number, a: number, p: number): number => a * Math.sin((i / p) * 2 * Math.PI);
  const alive = (i: number): boolean => i < downAt || i >= downAt + 15;
  const metric = (f: (i: number) => number) =>
    stepEndMs.map((_, i) => (alive(i) && !(i >= 50 && i < 54) ? f(i) : null));
  const ramp = (i: number): number => Math.max(0, (i - 120) / 80);
  const risk = (h: number) =>
    stepEndMs.map((_, i) => (alive(i) ? Math.min(1, ramp(i) ** (3 / h) * 0.95) : null));
  return {
    title: "host-017 — memory_leak: warned 24 min before downtime",
    stepEndMs,
    metrics: [
      { name: "cpu_usage", unit: "%", values: metric((i) => 30 + wave(i, 5, 60)), breach: 95 },
      {
        name: "memory_usage",
        unit: "%",
        values: metric((i) => 50 + 45 * ramp(i) + wave(i, 1, 7)),
        breach: 95,
      },
      { name: "network_latency", unit: "ms", values: metric((i) => 20 + wave(i, 3, 30)), breach: 500 },
      {
        name: "error_rate",
        unit: "fraction 0..1",
        values: metric((i) => 0.01 + 0.005 * Math.cos(i)),
        breach: 0.2,
      },
    ],
    risk: [1, 3, 6].map((h) => ({ name: `p(${h * 5}m)`, values: risk(h) })),
    threshold: { enter: 0.5, exit: 0.3 },
    alerts: [
      { startMs: stepEndMs[176] ?? 0, endMs: stepEndMs[190] ?? 0, level: "warning" },
      { startMs: stepEndMs[190] ?? 0, endMs: stepEndMs[200] ?? 0, level: "critical" },
    ],
    downtime: [{ startMs: stepEndMs[200] ?? 0, endMs: stepEndMs[215] ?? 0, label: "OOM" }],
    benign: [{ startMs: stepEndMs[80] ?? 0, endMs: stepEndMs[86] ?? 0, kind: "deploy" }],
    baselines: [
      { name: "static thresholds", onsetMs: stepEndMs[196] ?? 0 },
      { name: "linear extrapolation", onsetMs: stepEndMs[189] ?? 0 },
      { name: "EWMA z-score", onsetMs: stepEndMs[193] ?? 0 },
    ],
  };
}

function minimal(overrides: Partial<HostPlotInput>): HostPlotInput {
  return { title: "t", stepEndMs: [], metrics: [], risk: [], alerts: [], downtime: [], ...overrides };
}

const expectFinite = (svg: string): void => {
  expect(svg).not.toContain("NaN");
  expect(svg).not.toContain("Infinity");
  expect(svg).not.toContain("undefined");
};

// ---------- tests ----------

describe("parseXml (the test's own well-formedness check)", () => {
  it("accepts well-formed XML and rejects the usual breakages", () => {
    const ok = parseXml(`<?xml version="1.0"?>\n<a x="1 &amp; 2"><b/>t&lt;&#65;<!-- c --></a>\n`);
    expect(ok.attrs.get("x")).toBe("1 & 2");
    expect(textOf(ok)).toBe("t<A");
    for (const bad of [
      "<a><b></a>",
      '<a x="<"/>',
      "<a>&</a>",
      "<a>&nbsp;</a>",
      "<a/><b/>",
      '<a x="1" x="2"/>',
      '<a x="1"y="2"/>',
      "<a>x < y</a>",
      "<a>",
      "<a>\u0001</a>",
    ]) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });
});

describe("renderHostSvg", () => {
  it("produces a well-formed standalone SVG with one path per series", () => {
    const input = example();
    const svg = renderHostSvg(input);
    const root = parseXml(svg);
    expect(root.name).toBe("svg");
    expect(root.attrs.get("xmlns")).toBe("http://www.w3.org/2000/svg");
    expect(Number(root.attrs.get("width"))).toBe(1000);
    expect(root.attrs.get("viewBox")).toBe(`0 0 1000 ${root.attrs.get("height")}`);
    expectFinite(svg);

    const paths = seriesPaths(root);
    const names = [...input.metrics.map((m) => m.name), ...input.risk.map((r) => r.name)];
    expect([...paths.keys()].sort()).toEqual([...names].sort());
    expect(all(root, (e) => e.attrs.has("data-series"))).toHaveLength(names.length);
    // Each metric has a 4-step gap and a 15-step downtime: three stretches of line.
    expect(paths.get("cpu_usage")).toHaveLength(3);
    expect(paths.get("p(5m)")).toHaveLength(2);
  });

  it("is deterministic and honours width and panel height", () => {
    const a = renderHostSvg(example(), { width: 1200, panelHeight: 90 });
    expect(renderHostSvg(example(), { width: 1200, panelHeight: 90 })).toBe(a);
    const root = parseXml(a);
    expect(root.attrs.get("width")).toBe("1200");
    const taller = parseXml(renderHostSvg(example(), { width: 1200, panelHeight: 150 }));
    // 4 metric panels + a 1.3x risk panel grow by 60 px each.
    expect(Number(taller.attrs.get("height")) - Number(root.attrs.get("height"))).toBe(4 * 60 + 78);
  });

  it("escapes special characters in every piece of caller text", () => {
    const nasty = `a < b && c > "d" 'e' \u0001]]>`;
    const input = example();
    input.title = nasty;
    input.metrics[0] = { name: `<cpu&>`, unit: `"%"`, values: [1, 2, 3] };
    input.risk[0] = { name: `p<5m>&`, values: [0.1, 0.2] };
    input.benign = [{ startMs: T0 + 10 * STEP_MS, endMs: T0 + 40 * STEP_MS, kind: "deploy <&>" }];
    input.downtime = [{ startMs: T0 + 200 * STEP_MS, endMs: T0 + 215 * STEP_MS, label: "down & <out>" }];
    input.baselines = [{ name: "<script>alert(1)</script>", onsetMs: T0 + 5 * STEP_MS }];
    const svg = renderHostSvg(input);
    const root = parseXml(svg);
    expect(svg).not.toContain("<script>");
    const title = all(root, (e) => e.name === "title")[0];
    // Control characters are not allowed in XML 1.0 and are dropped; everything else round-trips.
    expect(title && textOf(title)).toBe(nasty.replace("\u0001", ""));
    expect(root.attrs.get("aria-label")).toBe(nasty.replace("\u0001", ""));
    const t = texts(root);
    expect(t).toContain(`<cpu&> ["%"]`);
    expect(t).toContain("p<5m>&");
    expect(t).toContain("deploy <&>");
    expect(t).toContain("down & <out>");
    expect(t.some((s) => s.startsWith("<script>alert(1)</script>: first alert"))).toBe(true);
    expect(seriesPaths(root).has("p<5m>&")).toBe(true);
  });

  it("draws an all-null series as an empty path and says there is no data", () => {
    const stepEndMs = steps(30);
    const svg = renderHostSvg(
      minimal({
        stepEndMs,
        metrics: [{ name: "cpu_usage", unit: "%", values: stepEndMs.map(() => null), breach: 90 }],
        risk: [{ name: "p(5m)", values: stepEndMs.map(() => null) }],
      }),
    );
    expectFinite(svg);
    const root = parseXml(svg);
    const paths = seriesPaths(root);
    expect(paths.get("cpu_usage")).toEqual([]);
    expect(paths.get("p(5m)")).toEqual([]);
    expect(texts(root).filter((s) => s === "no data")).toHaveLength(2);
  });

  it("handles a single step, no steps, and non-finite values without NaN or Infinity", () => {
    const one = renderHostSvg(
      minimal({
        stepEndMs: [T0],
        metrics: [{ name: "cpu_usage", unit: "%", values: [42] }],
        risk: [{ name: "p(5m)", values: [0.3] }],
        alerts: [{ startMs: T0, endMs: T0, level: "warning" }],
        baselines: [{ name: "static", onsetMs: T0 }],
      }),
    );
    expectFinite(one);
    const pts = seriesPaths(parseXml(one)).get("cpu_usage") ?? [];
    // A lone point still shows: one short horizontal tick.
    expect(pts).toHaveLength(1);
    expect(pts[0]).toHaveLength(2);

    const none = renderHostSvg(minimal({ metrics: [{ name: "m", unit: "", values: [] }], risk: [] }));
    expectFinite(none);
    parseXml(none);

    const weird = renderHostSvg(
      minimal({
        stepEndMs: steps(5),
        metrics: [{ name: "m", unit: "", values: [NaN, Infinity, 3, -Infinity, 3] }],
        risk: [{ name: "r", values: [2, -1, 0.5, null, 0.5] }],
        threshold: { enter: NaN, exit: 0.2 },
      }),
      { width: NaN, panelHeight: -5 },
    );
    expectFinite(weird);
    const root = parseXml(weird);
    // Non-finite values are gaps: 3 alone, then 3 alone.
    expect(seriesPaths(root).get("m")).toHaveLength(2);
  });

  it("breaks the line at nulls and keeps a lone point between gaps", () => {
    const stepEndMs = steps(9);
    const values = [1, 2, 3, null, 5, null, 7, 8, 9];
    const root = parseXml(renderHostSvg(minimal({ stepEndMs, metrics: [{ name: "m", unit: "", values }] })));
    const sub = seriesPaths(root).get("m") ?? [];
    expect(sub.map((s) => s.length)).toEqual([3, 2, 3]);
    // The lone point's tick is centred on its time: halfway between the two 3-point runs' neighbours.
    const [a, lone, b] = sub;
    const xLone = ((lone?.[0]?.[0] ?? 0) + (lone?.[1]?.[0] ?? 0)) / 2;
    expect(xLone).toBeCloseTo(((a?.[2]?.[0] ?? 0) + (b?.[0]?.[0] ?? 0)) / 2, 0);
  });

  it("downsamples long series to at most ~2000 points and keeps a lone spike and dip", () => {
    const n = 20_000;
    const stepEndMs = steps(n, T0, 10_000);
    const spikeAt = 12_347; // not a multiple of any plausible stride
    const dipAt = 4_561;
    const values = stepEndMs.map((_, i) => (i === spikeAt ? 100 : i === dipAt ? -40 : 10 + Math.sin(i / 50)));
    const long = parseXml(renderHostSvg(minimal({ stepEndMs, metrics: [{ name: "m", unit: "", values }] })));
    const pts = pointsOf(seriesPaths(long).get("m") ?? []);
    expect(pts.length).toBeLessThanOrEqual(2000);
    expect(pts.length).toBeGreaterThan(500);

    // Reference: the same extremes drawn without downsampling (few points, same domain and layout).
    const refIdx = [0, dipAt, spikeAt, n - 1];
    const ref = parseXml(
      renderHostSvg(
        minimal({
          stepEndMs,
          metrics: [
            {
              name: "m",
              unit: "",
              values: stepEndMs.map((_, i) => (refIdx.includes(i) ? (values[i] ?? null) : null)),
            },
          ],
        }),
      ),
    );
    const refPts = pointsOf(seriesPaths(ref).get("m") ?? []);
    const ys = pts.map((p) => p[1]);
    const refYs = refPts.map((p) => p[1]);
    expect(Math.min(...ys)).toBe(Math.min(...refYs)); // spike: smallest y on screen
    expect(Math.max(...ys)).toBe(Math.max(...refYs)); // dip
    const spikeX = pts.find((p) => p[1] === Math.min(...ys))?.[0] ?? NaN;
    const refSpikeX = refPts.find((p) => p[1] === Math.min(...refYs))?.[0] ?? NaN;
    expect(Math.abs(spikeX - refSpikeX)).toBeLessThanOrEqual(1.5);
    // x stays monotone in time after downsampling.
    for (let k = 1; k < pts.length; k++) expect((pts[k]?.[0] ?? 0) >= (pts[k - 1]?.[0] ?? 0)).toBe(true);
  });

  it("keeps short gaps visible when downsampling", () => {
    const n = 6000;
    const stepEndMs = steps(n);
    const values = stepEndMs.map((_, i) => (i >= 3000 && i < 3003 ? null : 5 + (i % 7)));
    const root = parseXml(renderHostSvg(minimal({ stepEndMs, metrics: [{ name: "m", unit: "", values }] })));
    expect(seriesPaths(root).get("m")).toHaveLength(2);
  });

  it("labels the time axis in UTC with HH:MM and the date", () => {
    const stepEndMs = steps(5 * 60); // 22:00 → 02:59 next day
    const root = parseXml(
      renderHostSvg(
        minimal({ stepEndMs, metrics: [{ name: "m", unit: "", values: stepEndMs.map(() => 1) }] }),
      ),
    );
    const t = texts(root);
    expect(t).toEqual(expect.arrayContaining(["23:00", "Jan 6", "01:00", "02:00"]));
    expect(t).not.toContain("00:00"); // midnight shows the date instead
    expect(t.filter((s) => s.includes("2026-01-05"))).toHaveLength(1);
  });

  it("draws breach levels on their panel, or says they are off scale", () => {
    const stepEndMs = steps(60);
    const root = parseXml(
      renderHostSvg(
        minimal({
          stepEndMs,
          metrics: [
            { name: "memory_usage", unit: "%", values: stepEndMs.map((_, i) => 50 + i * 0.7), breach: 95 },
            { name: "latency", unit: "ms", values: stepEndMs.map((_, i) => 20 + (i % 3)), breach: 500 },
          ],
        }),
      ),
    );
    const t = texts(root);
    expect(t).toContain("breach 95");
    expect(t.some((s) => s.startsWith("breach 500") && s.includes("above scale"))).toBe(true);
    // The latency axis keeps its detail: no tick anywhere near 500.
    expect(t).not.toContain("500");
  });

  it("annotates the lead from the alert chain running into each downtime, ignoring earlier false alarms", () => {
    const input = example();
    // warning 176→190 then critical 190→200, downtime at 200: warned 24 min ahead.
    input.alerts.unshift({ startMs: T0 + 30 * STEP_MS, endMs: T0 + 40 * STEP_MS, level: "warning" });
    const leads = (inp: HostPlotInput): string[] =>
      texts(parseXml(renderHostSvg(inp))).filter((s) => s.endsWith("min lead"));
    expect(leads(input)).toEqual(["24 min lead"]);
    // An alert that ended well before the downtime warned nobody.
    input.alerts = [{ startMs: T0 + 100 * STEP_MS, endMs: T0 + 150 * STEP_MS, level: "warning" }];
    expect(leads(input)).toEqual([]);
  });

  it("lists risk series, alert levels and baselines with their first alert time in the legend", () => {
    const t = texts(parseXml(renderHostSvg(example())));
    expect(t).toEqual(
      expect.arrayContaining([
        "p(5m)",
        "p(15m)",
        "p(30m)",
        "warning",
        "critical",
        "downtime",
        "benign event",
        "linear extrapolation: first alert 01:09",
        "OOM",
        "deploy",
        "enter 0.50",
        "exit 0.30",
      ]),
    );
  });
});
