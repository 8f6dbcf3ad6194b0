/**
 * Dependency-free SVG picture of one host for `bench:leadtime`: one panel per metric plus a risk panel,
 * all sharing a UTC time axis, with alert, downtime and benign-event bands and baseline onset markers.
 * Pure string building (no DOM, no `node:*`), deterministic for the same input.
 */

export interface HostPlotInput {
  /** Free text, escaped on output (may contain `<`, `&`). */
  title: string;
  /** X axis: end of each step, epoch ms, ascending; one entry per step. */
  stepEndMs: number[];
  /** One panel each, top to bottom; `values[i]` belongs to `stepEndMs[i]`, null = missing. */
  metrics: { name: string; unit: string; values: (number | null)[]; breach?: number }[];
  /** Probabilities 0..1 (e.g. p(5m), p(15m), p(30m)), drawn together in the bottom panel. */
  risk: { name: string; values: (number | null)[] }[];
  /** Alert hysteresis levels (probability 0..1), dashed lines on the risk panel. */
  threshold?: { enter: number; exit: number };
  alerts: { startMs: number; endMs: number; level: "warning" | "critical" }[];
  downtime: { startMs: number; endMs: number; label?: string }[];
  benign?: { startMs: number; endMs: number; kind: string }[];
  /** Where each baseline detector first alerted (epoch ms): a vertical marker plus a legend entry. */
  baselines?: { name: string; onsetMs: number }[];
}

/** Above this many points a line is reduced to min/max per pixel column, so spikes survive. */
const MAX_POINTS_PER_LINE = 2000;

const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
const C = {
  text: "#212529",
  muted: "#5c636a",
  grid: "#edf0f2",
  frame: "#adb5bd",
  metric: "#1f3b57",
  warning: "#fab005",
  critical: "#f03e3e",
  downtime: "#495057",
  benign: "#20c997",
  benignText: "#0c8a67",
  breach: "#e03131",
  enter: "#495057",
  exit: "#868e96",
};
/** Risk horizons, shortest first: dark to light of one hue, so they read as one family. */
const RISK_COLOURS = ["#08306b", "#2171b5", "#5ea6d8", "#94c5e8"];
const BASELINE_COLOURS = ["#e8590c", "#2b8a3e", "#9c36b5", "#a61e4d", "#5f3dc4", "#0b7285"];

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const TIME_STEPS_MS = [
  MINUTE_MS,
  2 * MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  3 * HOUR_MS,
  6 * HOUR_MS,
  12 * HOUR_MS,
  DAY_MS,
  2 * DAY_MS,
  7 * DAY_MS,
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Renders the host picture as a standalone SVG document.
 * @example
 * const svg = renderHostSvg({ title: "host-017", stepEndMs, metrics, risk, alerts: [], downtime: [] });
 * await writeFile("host-017.svg", svg);
 */
export function renderHostSvg(input: HostPlotInput, opts?: { width?: number; panelHeight?: number }): string {
  const width = Math.round(clampFinite(opts?.width ?? 1000, 320, 8000));
  const panelH = Math.round(clampFinite(opts?.panelHeight ?? 110, 40, 2000));
  const riskH = Math.round(panelH * 1.3);
  const idp = `hp${hash(input.title)}`;

  const left = 64;
  const right = 20;
  const plotW = width - left - right;

  // Time domain from the steps; a single step (or none) gets a few minutes either side.
  const steps = input.stepEndMs.filter(Number.isFinite);
  let t0 = steps.length > 0 ? Math.min(...steps) : 0;
  let t1 = steps.length > 0 ? Math.max(...steps) : HOUR_MS;
  if (!(t1 > t0)) {
    t0 -= 5 * MINUTE_MS;
    t1 += 5 * MINUTE_MS;
  }
  const xOf = (t: number): number => left + ((t - t0) / (t1 - t0)) * plotW;

  const out: string[] = [];
  let y = 0;

  // Title, shrunk when long (width estimated, no font metrics available).
  const titleSize = Math.max(11, Math.min(17, (width - 2 * left) / Math.max(1, input.title.length * 0.6)));
  y += 26;
  out.push(text(left, y, input.title, { size: round1(titleSize), weight: "bold", fill: C.text }));
  y += 10;

  // Legend, flowed in rows under the title.
  const legend = legendItems(input);
  const legendRows = flowLegend(legend, plotW);
  for (const row of legendRows) {
    y += 18;
    for (const item of row) out.push(legendSwatch(item, left + item.x, y, idp));
  }
  y += 10;

  // Strip for band labels and baseline markers, above the first panel.
  const stripRowH = 13;
  const stripTop = y;
  const stripLabels = placeStripLabels(input, xOf, left, left + plotW);
  const stripRows = Math.max(1, ...stripLabels.map((l) => l.row + 1));
  y += stripRows * stripRowH + 8;

  const panels: { top: number; h: number }[] = [];
  const gap = 24;
  for (let i = 0; i < input.metrics.length; i++) {
    y += 16; // room for the panel's name above its frame
    panels.push({ top: y, h: panelH });
    y += panelH + gap - 16;
  }
  y += 16;
  panels.push({ top: y, h: riskH });
  y += riskH;
  const panelsBottom = y;
  const axisY = y;
  y += 44;
  const height = Math.round(y);

  const defs = [
    `<pattern id="${idp}-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">`,
    `<rect width="7" height="7" fill="${C.benign}" fill-opacity="0.05"/>`,
    `<line x1="0" y1="0" x2="0" y2="7" stroke="${C.benign}" stroke-width="1.2" stroke-opacity="0.45"/></pattern>`,
    ...panels.map(
      (p, i) =>
        `<clipPath id="${idp}-c${i}"><rect x="${left}" y="${r1(p.top)}" width="${plotW}" height="${p.h}"/></clipPath>`,
    ),
  ];

  const body: string[] = [];
  const ticks = timeTicks(t0, t1, plotW);

  input.metrics.forEach((m, i) => {
    const p = panels[i];
    if (p === undefined) return;
    const vals = finiteValues(m.values, input.stepEndMs.length);
    const dom = valueDomain(vals, m.breach);
    const yOf = (v: number): number => p.top + p.h - ((v - dom.lo) / (dom.hi - dom.lo)) * p.h;
    const unit = m.unit.trim() === "" ? "" : ` [${m.unit}]`;
    body.push(text(left, p.top - 5, `${m.name}${unit}`, { size: 12, weight: "bold", fill: C.text }));
    body.push(
      ...panelFrame(
        p,
        left,
        plotW,
        ticks,
        xOf,
        dom.ticks.map((v) => ({ v, y: yOf(v) })),
        dom.fmt,
      ),
    );
    body.push(`<g clip-path="url(#${idp}-c${i})">`);
    body.push(...bands(input, xOf, p, t0, t1, idp));
    if (m.breach !== undefined && Number.isFinite(m.breach)) {
      const label = `breach ${dom.fmt(m.breach)}`;
      const style = { size: 10, fill: C.breach, halo: true };
      if (dom.breachOnScale) {
        const by = yOf(m.breach);
        body.push(hline(left, left + plotW, by, C.breach, "6 4", 1.3));
        const labelY = by - 4 - 10 < p.top ? by + 12 : by - 4; // below the line when it hugs the top
        body.push(text(left + 6, labelY, label, style));
      } else if (m.breach > dom.hi) {
        body.push(text(left + 6, p.top + 13, `${label} \u2191 above scale`, style));
      } else {
        body.push(text(left + 6, p.top + p.h - 5, `${label} \u2193 below scale`, style));
      }
    }
    body.push(seriesPath(m.name, vals, input.stepEndMs, xOf, yOf, plotW, C.metric, 1.3));
    body.push(`</g>`);
    if (!vals.some((v) => v !== null)) body.push(noData(left + plotW / 2, p.top + p.h / 2));
  });

  // Risk panel: fixed 0..1 so panels of different hosts compare at a glance.
  const rp = panels[panels.length - 1];
  if (rp !== undefined) {
    const ri = panels.length - 1;
    const yOf = (v: number): number => rp.top + rp.h - clamp(v, -0.02, 1.02) * rp.h;
    const fmtP = (v: number): string => String(v);
    body.push(
      text(left, rp.top - 5, "downtime risk [probability 0..1]", { size: 12, weight: "bold", fill: C.text }),
    );
    body.push(
      ...panelFrame(
        rp,
        left,
        plotW,
        ticks,
        xOf,
        [0, 0.25, 0.5, 0.75, 1].map((v) => ({ v, y: yOf(v) })),
        fmtP,
      ),
    );
    body.push(`<g clip-path="url(#${idp}-c${ri})">`);
    body.push(...bands(input, xOf, rp, t0, t1, idp));
    const th = input.threshold;
    if (th !== undefined) {
      for (const [v, name, colour] of [
        [th.enter, "enter", C.enter],
        [th.exit, "exit", C.exit],
      ] as const) {
        if (!Number.isFinite(v)) continue;
        body.push(hline(left, left + plotW, yOf(v), colour, "5 4", 1.1));
        body.push(
          text(left + 6, yOf(v) - 3, `${name} ${v.toFixed(2)}`, { size: 10, fill: colour, halo: true }),
        );
      }
    }
    input.risk.forEach((s, k) => {
      const vals = finiteValues(s.values, input.stepEndMs.length);
      body.push(
        seriesPath(s.name, vals, input.stepEndMs, xOf, yOf, plotW, riskColour(k), k === 0 ? 1.8 : 1.5),
      );
    });
    body.push(`</g>`);
    // Lead annotations sit low in the risk panel: while an alert is on, the risk is above exit there.
    for (const lead of leadTimes(input, medianStep(input.stepEndMs))) {
      body.push(
        ...leadArrow(xOf(Math.max(lead.fromMs, t0)), xOf(Math.min(lead.toMs, t1)), rp, lead, left, plotW),
      );
    }
    const anyRisk = input.risk.some((s) => s.values.some((v) => v !== null && Number.isFinite(v)));
    if (!anyRisk) body.push(noData(left + plotW / 2, rp.top + rp.h / 2));
  }

  // Baseline onsets: dashed verticals through every panel, a triangle in the strip.
  const onsetTop = stripTop + stripRows * stripRowH + 2;
  (input.baselines ?? []).forEach((b, k) => {
    if (!Number.isFinite(b.onsetMs) || b.onsetMs < t0 || b.onsetMs > t1) return;
    const x = xOf(b.onsetMs);
    const colour = baselineColour(k);
    body.push(
      `<line x1="${r1(x)}" y1="${r1(onsetTop + 6)}" x2="${r1(x)}" y2="${r1(panelsBottom)}" stroke="${colour}" stroke-width="1.4" stroke-dasharray="2 3"/>`,
    );
    body.push(
      `<path d="M${r1(x - 5)} ${r1(onsetTop)} h10 l-5 7 z" fill="${colour}"><title>${esc(b.name)}</title></path>`,
    );
  });

  for (const l of stripLabels) {
    body.push(
      text(l.x, stripTop + (l.row + 1) * stripRowH - 3, l.text, {
        size: 10,
        fill: l.colour,
        weight: l.weight,
      }),
    );
  }

  // Time axis under the bottom panel; day changes get the date instead of 00:00.
  for (const t of ticks) {
    const x = xOf(t);
    const midnight = t % DAY_MS === 0;
    body.push(
      `<line x1="${r1(x)}" y1="${r1(axisY)}" x2="${r1(x)}" y2="${r1(axisY + 4)}" stroke="${C.frame}" stroke-width="1"/>`,
    );
    body.push(
      text(x, axisY + 16, midnight ? dayLabel(t) : hhmm(t), {
        size: 11,
        fill: midnight ? C.text : C.muted,
        anchor: "middle",
        weight: midnight ? "bold" : undefined,
      }),
    );
  }
  const d0 = isoDate(t0);
  const d1 = isoDate(t1);
  body.push(
    text(left, axisY + 34, `time (UTC), ${d0 === d1 ? d0 : `${d0} to ${d1}`}`, { size: 11, fill: C.muted }),
  );

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img" aria-label="${esc(input.title)}">`,
    `<title>${esc(input.title)}</title>`,
    `<defs>${defs.join("")}</defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...out,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

// ---------- values and scales ----------

function finiteValues(values: readonly (number | null)[], n: number): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    out[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
  }
  return out;
}

interface Domain {
  lo: number;
  hi: number;
  /** False when the breach level is far from the data and left out so the data keep their detail. */
  breachOnScale: boolean;
  ticks: number[];
  fmt: (v: number) => string;
}

/**
 * Nice y domain covering the data, and the breach level when it lies within 2 data spans of them
 * (further away it would flatten the precursor); anchored at 0 when the data sit near it.
 */
function valueDomain(values: readonly (number | null)[], breach: number | undefined): Domain {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let breachOnScale = false;
  if (breach !== undefined && Number.isFinite(breach)) {
    const reach = Number.isFinite(min) ? 2 * Math.max(max - min, Math.abs(max) * 0.05) : Infinity;
    breachOnScale = !Number.isFinite(min) || (breach >= min - reach && breach <= max + reach);
    if (breachOnScale) {
      min = Math.min(min, breach);
      max = Math.max(max, breach);
    }
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  if (min >= 0 && min <= 0.35 * max) min = 0;
  if (!(max > min)) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 4);
  const lo = Math.floor(min / step + 1e-9) * step;
  let hi = Math.ceil(max / step - 1e-9) * step;
  // A breach line on the top frame would be hidden by it: one more tick of headroom.
  if (breachOnScale && breach !== undefined && breach >= hi - step * 1e-6) hi += step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-6; i++) ticks.push(lo + i * step);
  return { lo, hi, ticks, breachOnScale, fmt: (v) => fmtTick(v, step) };
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
}

/** Tick label with just enough decimals for the tick step; thousands as "k". */
function fmtTick(v: number, step: number): string {
  const big = Math.abs(v) >= 10_000 || step >= 10_000;
  const value = big ? v / 1000 : v;
  const s = big ? step / 1000 : step;
  let d = 0;
  while (d < 6 && Math.abs(Math.round(s * 10 ** d) - s * 10 ** d) > 1e-6 * 10 ** d) d++;
  const str = value.toFixed(d);
  return (str.startsWith("-") && Number(str) === 0 ? str.slice(1) : str) + (big ? "k" : "");
}

function timeTicks(t0: number, t1: number, plotW: number): number[] {
  const maxTicks = Math.max(2, Math.floor(plotW / 80));
  const step =
    TIME_STEPS_MS.find((s) => (t1 - t0) / s <= maxTicks) ??
    7 * DAY_MS * Math.ceil((t1 - t0) / (7 * DAY_MS * maxTicks));
  const ticks: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return ticks;
}

// ---------- lines ----------

/**
 * One `<path>` per series; a null (or a time jump over 2.5 median steps) starts a new subpath, so
 * gaps show as breaks. Long series keep each pixel column's min and max, in time order.
 */
function seriesPath(
  name: string,
  values: readonly (number | null)[],
  stepEndMs: readonly number[],
  xOf: (t: number) => number,
  yOf: (v: number) => number,
  plotW: number,
  colour: string,
  strokeWidth: number,
): string {
  const n = values.length;
  // broken[k] (k ≥ 1): no line may pass between step k-1 and step k's neighbours through k.
  const gapMs = 2.5 * medianStep(stepEndMs);
  const brokenBefore = new Int32Array(n + 1); // prefix count of break markers
  for (let k = 0; k < n; k++) {
    const dt = k > 0 ? (stepEndMs[k] ?? 0) - (stepEndMs[k - 1] ?? 0) : 0;
    const broken = k > 0 && (values[k] === null || !Number.isFinite(stepEndMs[k]) || dt > gapMs);
    brokenBefore[k + 1] = (brokenBefore[k] ?? 0) + (broken ? 1 : 0);
  }
  const kept = keepIndices(values, stepEndMs, xOf, plotW);

  const runs: number[][] = [];
  let prev = -1;
  for (const i of kept) {
    const connected = prev >= 0 && (brokenBefore[i + 1] ?? 0) - (brokenBefore[prev + 1] ?? 0) === 0;
    if (connected) runs[runs.length - 1]?.push(i);
    else runs.push([i]);
    prev = i;
  }
  const d: string[] = [];
  for (const run of runs) {
    const pts = run.map((i) => [xOf(stepEndMs[i] ?? 0), yOf(values[i] ?? 0)] as const);
    const [first, ...rest] = pts;
    if (first === undefined) continue;
    // A lone point between gaps would draw nothing; give it a short tick.
    if (rest.length === 0) d.push(`M${r1(first[0] - 1)} ${r1(first[1])}h2`);
    else d.push(`M${r1(first[0])} ${r1(first[1])}L${rest.map(([x, v]) => `${r1(x)} ${r1(v)}`).join(" ")}`);
  }
  return (
    `<path data-series="${esc(name)}" d="${d.join("")}" fill="none" stroke="${colour}" ` +
    `stroke-width="${strokeWidth}" stroke-linejoin="round" stroke-linecap="round"/>`
  );
}

/** Indices of the points to draw: all of them, or per pixel column the min and the max. */
function keepIndices(
  values: readonly (number | null)[],
  stepEndMs: readonly number[],
  xOf: (t: number) => number,
  plotW: number,
): number[] {
  const valid: number[] = [];
  for (let i = 0; i < values.length; i++)
    if (values[i] !== null && Number.isFinite(stepEndMs[i])) valid.push(i);
  if (valid.length <= MAX_POINTS_PER_LINE) return valid;

  const buckets = Math.max(1, Math.min(Math.floor(plotW), Math.floor(MAX_POINTS_PER_LINE / 2)));
  const x0 = xOf(stepEndMs[valid[0] ?? 0] ?? 0);
  const span = Math.max(1e-9, xOf(stepEndMs[valid[valid.length - 1] ?? 0] ?? 0) - x0);
  const out: number[] = [];
  let bucket = -1;
  let lo = -1;
  let hi = -1;
  const flush = (): void => {
    if (bucket < 0) return;
    if (lo === hi) out.push(lo);
    else out.push(Math.min(lo, hi), Math.max(lo, hi));
  };
  for (const i of valid) {
    const b = Math.min(buckets - 1, Math.floor(((xOf(stepEndMs[i] ?? 0) - x0) / span) * buckets));
    const v = values[i] ?? 0;
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = i;
      hi = i;
    } else {
      if (v < (values[lo] ?? 0)) lo = i;
      if (v > (values[hi] ?? 0)) hi = i;
    }
  }
  flush();
  return out;
}

function medianStep(stepEndMs: readonly number[]): number {
  const diffs: number[] = [];
  for (let i = 1; i < stepEndMs.length; i++) {
    const d = (stepEndMs[i] ?? 0) - (stepEndMs[i - 1] ?? 0);
    if (Number.isFinite(d) && d > 0) diffs.push(d);
  }
  if (diffs.length === 0) return Infinity;
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)] ?? Infinity;
}

// ---------- lead time ----------

interface Lead {
  fromMs: number;
  toMs: number;
  minutes: number;
}

/**
 * For each downtime, the alert chain running into it (alerts that touch each other, gaps of at most one
 * step, the last one still on within a step of the downtime start): warned from its first start.
 */
function leadTimes(input: HostPlotInput, stepMs: number): Lead[] {
  const tol = Number.isFinite(stepMs) ? stepMs : 0;
  const alerts = input.alerts
    .filter((a) => Number.isFinite(a.startMs) && Number.isFinite(a.endMs))
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const out: Lead[] = [];
  for (const d of input.downtime) {
    if (!Number.isFinite(d.startMs)) continue;
    let from: number | null = null;
    let chainEnd = -Infinity;
    for (const a of alerts) {
      if (a.startMs > d.startMs) break;
      if (from === null || a.startMs > chainEnd + tol) from = a.startMs;
      chainEnd = Math.max(chainEnd, a.endMs);
    }
    if (from !== null && chainEnd >= d.startMs - tol && from < d.startMs) {
      out.push({ fromMs: from, toMs: d.startMs, minutes: Math.round((d.startMs - from) / MINUTE_MS) });
    }
  }
  return out;
}

function leadArrow(
  x1: number,
  x2: number,
  p: { top: number; h: number },
  lead: Lead,
  left: number,
  plotW: number,
): string[] {
  const y = p.top + p.h - 12;
  const label = `${lead.minutes} min lead`;
  const w = textWidth(label, 10.5);
  const out: string[] = [];
  if (x2 - x1 >= 8) {
    const head = (x: number, dir: number): string =>
      `<path d="M${r1(x)} ${r1(y)} l${r1(-5 * dir)} -3.5 v7 z" fill="${C.text}"/>`;
    out.push(hline(x1 + 1, x2 - 1, y, C.text, undefined, 1.2), head(x1, -1), head(x2, 1));
  }
  // Centred over the arrow when it fits, otherwise to its left.
  const cx = (x1 + x2) / 2;
  const x = x2 - x1 >= w + 8 ? cx - w / 2 : x1 - w - 6;
  out.push(
    text(clamp(x, left + 2, left + plotW - w - 2), y - 6, label, {
      size: 10.5,
      fill: C.text,
      weight: "bold",
      halo: true,
    }),
  );
  return out;
}

// ---------- panels, bands, strip ----------

function panelFrame(
  p: { top: number; h: number },
  left: number,
  plotW: number,
  ticks: readonly number[],
  xOf: (t: number) => number,
  yTicks: readonly { v: number; y: number }[],
  fmt: (v: number) => string,
): string[] {
  const out = [`<rect x="${left}" y="${r1(p.top)}" width="${plotW}" height="${p.h}" fill="#ffffff"/>`];
  for (const t of ticks) {
    const x = r1(xOf(t));
    out.push(
      `<line x1="${x}" y1="${r1(p.top)}" x2="${x}" y2="${r1(p.top + p.h)}" stroke="${C.grid}" stroke-width="1"/>`,
    );
  }
  for (const { v, y } of yTicks) {
    out.push(hline(left, left + plotW, y, C.grid, undefined, 1));
    out.push(
      `<line x1="${left - 4}" y1="${r1(y)}" x2="${left}" y2="${r1(y)}" stroke="${C.frame}" stroke-width="1"/>`,
    );
    out.push(text(left - 7, y + 3.5, fmt(v), { size: 10.5, fill: C.muted, anchor: "end" }));
  }
  out.push(
    `<rect x="${left}" y="${r1(p.top)}" width="${plotW}" height="${p.h}" fill="none" stroke="${C.frame}" stroke-width="1"/>`,
  );
  return out;
}

function bands(
  input: HostPlotInput,
  xOf: (t: number) => number,
  p: { top: number; h: number },
  t0: number,
  t1: number,
  idp: string,
): string[] {
  const out: string[] = [];
  const rect = (a: number, b: number, fill: string, opacity: number): void => {
    if (!Number.isFinite(a) || !Number.isFinite(b)) return;
    const s = Math.max(a, t0);
    const e = Math.min(b, t1);
    if (!(e >= s)) return;
    const x = xOf(s);
    const w = Math.max(1, xOf(e) - x); // keep sub-pixel events visible
    out.push(
      `<rect x="${r1(x)}" y="${r1(p.top)}" width="${r1(w)}" height="${p.h}" fill="${fill}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ""}/>`,
    );
  };
  for (const b of input.benign ?? []) rect(b.startMs, b.endMs, `url(#${idp}-hatch)`, 1);
  for (const a of input.alerts) {
    rect(
      a.startMs,
      a.endMs,
      a.level === "critical" ? C.critical : C.warning,
      a.level === "critical" ? 0.2 : 0.22,
    );
  }
  for (const d of input.downtime) rect(d.startMs, d.endMs, C.downtime, 0.33);
  return out;
}

interface StripLabel {
  x: number;
  row: number;
  text: string;
  colour: string;
  weight?: string;
}

/** Labels for downtime and benign bands above the first panel, greedily stacked in up to 3 rows. */
function placeStripLabels(
  input: HostPlotInput,
  xOf: (t: number) => number,
  minX: number,
  maxX: number,
): StripLabel[] {
  const items = [
    ...input.downtime.map((d) => ({
      s: d.startMs,
      e: d.endMs,
      text: d.label ?? "downtime",
      colour: C.text,
      weight: "bold",
    })),
    ...(input.benign ?? []).map((b) => ({
      s: b.startMs,
      e: b.endMs,
      text: b.kind,
      colour: C.benignText,
      weight: undefined,
    })),
  ]
    .filter((it) => Number.isFinite(it.s) && Number.isFinite(it.e) && xOf(it.e) >= minX && xOf(it.s) <= maxX)
    .sort((a, b) => a.s - b.s || a.text.localeCompare(b.text));
  const rowEnd = [-Infinity, -Infinity, -Infinity];
  const out: StripLabel[] = [];
  for (const it of items) {
    const w = textWidth(it.text, 10);
    const centre = (Math.max(xOf(it.s), minX) + Math.min(xOf(it.e), maxX)) / 2;
    const x = clamp(centre - w / 2, minX, maxX - w);
    const row = rowEnd.findIndex((end) => end + 6 <= x);
    if (row < 0) continue; // crowded: the legend still explains the band
    rowEnd[row] = x + w;
    out.push({ x, row, text: it.text, colour: it.colour, weight: it.weight });
  }
  return out;
}

// ---------- legend ----------

interface LegendItem {
  kind: "line" | "dashed" | "band" | "hatch" | "marker";
  colour: string;
  label: string;
  opacity?: number;
  width?: number;
  x: number;
}

/** Legend entries for what is actually drawn, in groups: risk lines, bands and levels, baselines. */
function legendItems(input: HostPlotInput): LegendItem[][] {
  const risk: Omit<LegendItem, "x">[] = [];
  input.risk.forEach((s, k) => risk.push({ kind: "line", colour: riskColour(k), label: s.name, width: 2 }));
  if (input.threshold !== undefined) {
    risk.push({ kind: "dashed", colour: C.enter, label: "alert enter / exit" });
  }
  const marks: Omit<LegendItem, "x">[] = [];
  if (input.alerts.some((a) => a.level === "warning")) {
    marks.push({ kind: "band", colour: C.warning, opacity: 0.35, label: "warning" });
  }
  if (input.alerts.some((a) => a.level === "critical")) {
    marks.push({ kind: "band", colour: C.critical, opacity: 0.3, label: "critical" });
  }
  if (input.downtime.length > 0)
    marks.push({ kind: "band", colour: C.downtime, opacity: 0.45, label: "downtime" });
  if ((input.benign ?? []).length > 0) marks.push({ kind: "hatch", colour: C.benign, label: "benign event" });
  if (input.metrics.some((m) => m.breach !== undefined && Number.isFinite(m.breach))) {
    marks.push({ kind: "dashed", colour: C.breach, label: "breach level" });
  }
  const baselines: Omit<LegendItem, "x">[] = [];
  (input.baselines ?? []).forEach((b, k) => {
    const when = Number.isFinite(b.onsetMs) ? hhmm(b.onsetMs) : "never";
    baselines.push({ kind: "marker", colour: baselineColour(k), label: `${b.name}: first alert ${when}` });
  });
  return [risk, marks, baselines].map((g) => g.map((it) => ({ ...it, x: 0 })));
}

/** Each group starts a row and wraps within the plot width. */
function flowLegend(groups: LegendItem[][], maxW: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  for (const items of groups) {
    let row: LegendItem[] = [];
    let x = 0;
    for (const it of items) {
      const w = 26 + textWidth(it.label, 11) + 16;
      if (row.length > 0 && x + w > maxW) {
        rows.push(row);
        row = [];
        x = 0;
      }
      it.x = x;
      row.push(it);
      x += w;
    }
    if (row.length > 0) rows.push(row);
  }
  return rows;
}

function legendSwatch(it: LegendItem, x: number, y: number, idp: string): string {
  const mid = y - 4;
  let sw: string;
  switch (it.kind) {
    case "line":
      sw = `<line x1="${r1(x)}" y1="${r1(mid)}" x2="${r1(x + 20)}" y2="${r1(mid)}" stroke="${it.colour}" stroke-width="${it.width ?? 2}"/>`;
      break;
    case "dashed":
      sw = `<line x1="${r1(x)}" y1="${r1(mid)}" x2="${r1(x + 20)}" y2="${r1(mid)}" stroke="${it.colour}" stroke-width="1.4" stroke-dasharray="5 3"/>`;
      break;
    case "band":
      sw = `<rect x="${r1(x)}" y="${r1(mid - 6)}" width="20" height="12" fill="${it.colour}" fill-opacity="${it.opacity ?? 0.3}"/>`;
      break;
    case "hatch":
      sw = `<rect x="${r1(x)}" y="${r1(mid - 6)}" width="20" height="12" fill="url(#${idp}-hatch)" stroke="${it.colour}" stroke-opacity="0.5"/>`;
      break;
    case "marker":
      sw =
        `<line x1="${r1(x + 10)}" y1="${r1(mid - 7)}" x2="${r1(x + 10)}" y2="${r1(mid + 7)}" stroke="${it.colour}" stroke-width="1.4" stroke-dasharray="2 3"/>` +
        `<path d="M${r1(x + 5)} ${r1(mid - 7)} h10 l-5 7 z" fill="${it.colour}"/>`;
      break;
  }
  return sw + text(x + 26, y, it.label, { size: 11, fill: C.text });
}

// ---------- small helpers ----------

function text(
  x: number,
  y: number,
  s: string,
  o: {
    size: number;
    fill: string;
    anchor?: "start" | "middle" | "end";
    weight?: string | undefined;
    /** White outline so a label stays legible over lines and bands. */
    halo?: boolean;
  },
): string {
  const anchor = o.anchor !== undefined && o.anchor !== "start" ? ` text-anchor="${o.anchor}"` : "";
  const weight = o.weight !== undefined ? ` font-weight="${o.weight}"` : "";
  const halo =
    o.halo === true ? ` stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"` : "";
  return `<text x="${r1(x)}" y="${r1(y)}" font-size="${o.size}" fill="${o.fill}"${anchor}${weight}${halo}>${esc(s)}</text>`;
}

function hline(
  x1: number,
  x2: number,
  y: number,
  colour: string,
  dash: string | undefined,
  w: number,
): string {
  const d = dash !== undefined ? ` stroke-dasharray="${dash}"` : "";
  return `<line x1="${r1(x1)}" y1="${r1(y)}" x2="${r1(x2)}" y2="${r1(y)}" stroke="${colour}" stroke-width="${w}"${d}/>`;
}

function noData(x: number, y: number): string {
  return text(x, y, "no data", { size: 12, fill: C.muted, anchor: "middle" });
}

const riskColour = (k: number): string => RISK_COLOURS[k % RISK_COLOURS.length] ?? C.metric;
const baselineColour = (k: number): string => BASELINE_COLOURS[k % BASELINE_COLOURS.length] ?? C.muted;

/** Rough width in px of sans-serif text (no font metrics here); errs on the wide side. */
const textWidth = (s: string, size: number): number => s.length * size * 0.6;

/** Escapes XML specials and drops characters XML 1.0 forbids (control chars, lone surrogates). */
function esc(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      }
      continue;
    }
    if ((c >= 0xdc00 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) continue;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) continue;
    const ch = s[i] ?? "";
    out +=
      ch === "&"
        ? "&amp;"
        : ch === "<"
          ? "&lt;"
          : ch === ">"
            ? "&gt;"
            : ch === '"'
              ? "&quot;"
              : ch === "'"
                ? "&#39;"
                : ch;
  }
  return out;
}

/** One decimal place is sub-pixel at any sensible size; keeps files small and output stable. */
function r1(v: number): string {
  if (!Number.isFinite(v)) return "0";
  const r = Math.round(v * 10) / 10;
  return String(r === 0 ? 0 : r);
}
const round1 = (v: number): number => Math.round(v * 10) / 10;

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
function clampFinite(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? clamp(v, lo, hi) : lo;
}

/** FNV-1a of the title: distinct ids when several pictures are inlined into one page. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

const pad2 = (n: number): string => String(n).padStart(2, "0");
function hhmm(t: number): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return "--:--";
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}
function dayLabel(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()] ?? ""} ${d.getUTCDate()}`;
}
function isoDate(t: number): string {
  const d = new Date(t);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}
