/**
 * uPlot charts of the host view: a time series chart whose width follows its container, with the
 * host's level transitions drawn as vertical marks and an optional dashed reference line (a breach
 * level). Charts of one page share a cursor (uPlot's sync), so hovering one shows the same minute on all.
 */
import uPlot from "uplot";
import type { Level } from "../../contracts/prediction.ts";
import { h } from "./dom.ts";

export const LEVEL_COLORS: Record<Level, string> = { ok: "#2e7d32", warning: "#e08600", critical: "#c62828" };

/** An alert level transition, drawn as a vertical mark. */
export interface Mark {
  atMs: number;
  to: Level;
}

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
}

export interface ChartSpec {
  /** Heading above the chart. */
  title: string;
  series: SeriesSpec[];
  /** Value → axis and legend text. */
  format: (v: number) => string;
  /** Fixed y range (e.g. 0..1 for probabilities); auto-ranged when absent. */
  yRange?: [number, number];
  /** A dashed horizontal line (e.g. the breach level), drawn when it lies within the y range. */
  reference?: { value: number; label: string };
  height?: number;
}

/** x in epoch seconds (uPlot's time unit), then one array per series; null = no value at that x. */
export type Columns = [number[], ...(number | null)[][]];

const SYNC_KEY = "host-view";

export class TimeChart {
  readonly root: HTMLElement;
  private readonly plot: uPlot;
  private marks: Mark[];
  private readonly resize: ResizeObserver;

  constructor(parent: HTMLElement, spec: ChartSpec, data: Columns, marks: Mark[]) {
    this.marks = marks;
    const body = h("div", { class: "chart-body" });
    this.root = h(
      "figure",
      { class: "chart", data: { series: spec.series.length } },
      h("figcaption", null, spec.title),
      body,
    );
    parent.append(this.root);
    const width = Math.max(200, body.clientWidth || parent.clientWidth || 600);
    const opts: uPlot.Options = {
      width,
      height: spec.height ?? 170,
      cursor: { sync: { key: SYNC_KEY }, drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: spec.yRange ? { range: spec.yRange } : { auto: true } },
      axes: [
        { stroke: "#5f6b7a", grid: { stroke: "#eef1f5" }, ticks: { stroke: "#dfe3ea" } },
        {
          stroke: "#5f6b7a",
          size: 64,
          grid: { stroke: "#eef1f5" },
          ticks: { stroke: "#dfe3ea" },
          values: (_u, vals) => vals.map((v) => spec.format(v)),
        },
      ],
      series: [
        {},
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          spanGaps: false,
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? "—" : spec.format(v)),
        })),
      ],
      hooks: {
        draw: [
          (u) => {
            drawReference(u, spec.reference);
            drawMarks(u, this.marks);
          },
        ],
      },
    };
    this.plot = new uPlot(opts, data as uPlot.AlignedData, body);
    this.resize = new ResizeObserver(() => {
      const w = body.clientWidth;
      if (w > 0 && Math.abs(w - this.plot.width) > 1)
        this.plot.setSize({ width: w, height: this.plot.height });
    });
    this.resize.observe(body);
  }

  update(data: Columns, marks: Mark[]): void {
    this.marks = marks;
    this.plot.setData(data as uPlot.AlignedData);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
    this.root.remove();
  }
}

function drawReference(u: uPlot, ref: ChartSpec["reference"]): void {
  if (!ref) return;
  const { min, max } = u.scales.y ?? {};
  if (min === undefined || max === undefined || ref.value < min || ref.value > max) return;
  const y = u.valToPos(ref.value, "y", true);
  const { left, width } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = "#c62828";
  ctx.globalAlpha = 0.55;
  ctx.lineWidth = uPlot.pxRatio;
  ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
  ctx.beginPath();
  ctx.moveTo(left, y);
  ctx.lineTo(left + width, y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 0.85;
  ctx.fillStyle = "#c62828";
  ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
  // Left-aligned: the newest data (and the latest transition's label) sit on the right.
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(ref.label, left + 4 * uPlot.pxRatio, y - 2 * uPlot.pxRatio);
  ctx.restore();
}

function drawMarks(u: uPlot, marks: Mark[]): void {
  const { left, top, width, height } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  ctx.font = `600 ${10 * uPlot.pxRatio}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  for (const m of marks) {
    const x = u.valToPos(m.atMs / 1000, "x", true);
    if (!(x >= left && x <= left + width)) continue;
    ctx.strokeStyle = LEVEL_COLORS[m.to];
    ctx.fillStyle = LEVEL_COLORS[m.to];
    ctx.lineWidth = 2 * uPlot.pxRatio;
    ctx.setLineDash([4 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    const label = `→ ${m.to}`;
    const right = x + ctx.measureText(label).width + 6 * uPlot.pxRatio > left + width;
    ctx.textAlign = right ? "right" : "left";
    ctx.fillText(label, x + (right ? -4 : 4) * uPlot.pxRatio, top + 2 * uPlot.pxRatio);
  }
  ctx.restore();
}
