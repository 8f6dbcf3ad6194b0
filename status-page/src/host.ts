/**
 * The host view: risk per horizon over time, the four metrics (with their breach levels), level
 * transitions as marks on every chart, and the latest prediction's time to breach and contributors.
 */
import { METRIC_SPECS } from "../../model/core/metrics.ts";
import { METRICS, type MetricName } from "../../contracts/metrics.ts";
import type { Prediction } from "../../contracts/prediction.ts";
import type { HistoryResponse } from "../../contracts/rpc.ts";
import { LEVEL_COLORS, TimeChart, type Columns, type Mark } from "./charts.ts";
import { h, replace } from "./dom.ts";
import { badge } from "./fleet.ts";
import {
  clockTime,
  displayValue,
  formatDowntime,
  formatDuration,
  formatMetric,
  formatRisk,
  horizonLabel,
  LEVEL_TEXT,
  METRIC_LABELS,
  metricUnit,
  sortHorizons,
} from "./format.ts";

/** Ranges the view offers, hours. */
export const RANGES_H = [1, 6, 24] as const;
export type RangeH = (typeof RANGES_H)[number];

const HORIZON_COLORS = ["#c62828", "#ef6c00", "#1565c0", "#6a1b9a"];
const METRIC_COLORS: Record<MetricName, string> = {
  cpu_usage: "#1565c0",
  memory_usage: "#6a1b9a",
  network_latency: "#00838f",
  error_rate: "#ad1457",
};

const BREACH_TEXT = METRICS.map(
  (m) => `${METRIC_LABELS[m].toLowerCase()} ${formatMetric(m, METRIC_SPECS[m].breach)}`,
).join(", ");

export interface HostData {
  prediction: Prediction | null;
  history: HistoryResponse;
}

export class HostView {
  readonly root: HTMLElement;
  private readonly header = h("div", { class: "host-header" });
  private readonly side = h("aside", { class: "host-side" });
  private readonly chartsEl = h("div", { class: "charts" });
  private readonly metricsEl = h("div", { class: "metric-grid" });
  private riskChart: TimeChart | null = null;
  private horizons: string[] = [];
  private readonly metricCharts = new Map<MetricName, TimeChart>();

  constructor(
    readonly host: string,
    private range: RangeH,
    onRange: (r: RangeH) => void,
  ) {
    const buttons = RANGES_H.map((r) => {
      const b = h(
        "button",
        { type: "button", class: r === range ? "range active" : "range", data: { range: r } },
        `${r} h`,
      );
      b.addEventListener("click", () => {
        this.range = r;
        for (const x of buttons) x.classList.toggle("active", x === b);
        onRange(r);
      });
      return b;
    });
    this.root = h(
      "section",
      { id: "host-view" },
      this.header,
      h(
        "div",
        { class: "host-layout" },
        h(
          "div",
          { class: "host-main" },
          h(
            "div",
            { class: "card charts-card" },
            h("div", { class: "range-bar" }, h("span", { class: "muted" }, "Last"), ...buttons),
            this.chartsEl,
            this.metricsEl,
          ),
        ),
        this.side,
      ),
    );
  }

  get rangeH(): RangeH {
    return this.range;
  }

  /** Draws (first call) or updates the view. */
  render(d: HostData, nowMs: number): void {
    const { prediction: p, history } = d;
    const fromMs = nowMs - this.range * 3_600_000;
    const marks: Mark[] = history.alerts.map((a) => ({ atMs: Date.parse(a.at), to: a.to }));
    this.renderHeader(p, history);
    this.renderSide(p, history);

    // Risk per horizon, one sample per stored prediction.
    const preds = history.predictions.filter((x) => Date.parse(x.as_of) >= fromMs);
    const horizons = sortHorizons(
      new Set([...preds.flatMap((x) => Object.keys(x.risk)), ...Object.keys(p?.risk ?? {})]),
    );
    const riskCols: Columns = [
      withEdges(
        preds.map((x) => Date.parse(x.as_of) / 1000),
        fromMs,
        nowMs,
      ),
      ...horizons.map((k) => padEdges(preds.map((x) => x.risk[k] ?? null))),
    ];
    if (this.riskChart && horizons.join() !== this.horizons.join()) {
      this.riskChart.destroy();
      this.riskChart = null;
    }
    if (this.riskChart) this.riskChart.update(riskCols, marks);
    else {
      this.horizons = horizons;
      this.riskChart = new TimeChart(
        this.chartsEl,
        {
          title: "Probability of downtime, per horizon",
          series: horizons.map((k, i) => ({
            label: `within ${horizonLabel(k)}`,
            color: HORIZON_COLORS[i % HORIZON_COLORS.length]!,
            width: k === "30m" ? 2.5 : 1.5,
          })),
          format: (v) => `${Math.round(v * 100)} %`,
          yRange: [0, 1],
          reference: { value: 0.5, label: "0.5: “down within N min”" },
          height: 220,
        },
        riskCols,
        marks,
      );
      this.riskChart.root.id = "chart-risk";
    }

    // The four metrics, in display units.
    const pts = history.points.filter((x) => x.timestamp >= fromMs);
    const xs = withEdges(
      pts.map((x) => x.timestamp / 1000),
      fromMs,
      nowMs,
    );
    for (const m of METRICS) {
      const cols: Columns = [
        xs,
        padEdges(pts.map((x) => (x[m] === null || x[m] === undefined ? null : displayValue(m, x[m])))),
      ];
      const existing = this.metricCharts.get(m);
      if (existing) {
        existing.update(cols, marks);
        continue;
      }
      const unit = metricUnit(m);
      const chart = new TimeChart(
        this.metricsEl,
        {
          title: `${METRIC_LABELS[m]} (${unit})`,
          series: [{ label: METRIC_LABELS[m], color: METRIC_COLORS[m] }],
          format: (v) =>
            unit === "ms"
              ? `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}`
              : `${v < 10 ? v.toFixed(1) : v.toFixed(0)}`,
          reference: { value: displayValue(m, METRIC_SPECS[m].breach), label: "breach" },
        },
        cols,
        marks,
      );
      chart.root.id = `chart-${m}`;
      this.metricCharts.set(m, chart);
    }
    this.root.dataset.range = String(this.range);
    this.root.dataset.transitions = String(marks.length);
    this.root.dataset.points = String(pts.length);
  }

  destroy(): void {
    this.riskChart?.destroy();
    for (const c of this.metricCharts.values()) c.destroy();
    this.root.remove();
  }

  private renderHeader(p: Prediction | null, history: HistoryResponse): void {
    const level = p?.level ?? "ok";
    const facts = [
      p?.level_since ? `${LEVEL_TEXT[level]} since ${clockTime(Date.parse(p.level_since))}` : null,
      p ? `as of ${clockTime(Date.parse(p.as_of))}` : "no prediction yet",
      p ? `${p.steps_seen.toLocaleString()} steps seen` : null,
      history.truncated ? "history truncated to 10 000 rows" : null,
    ].filter((x): x is string => x !== null);
    const risks = p
      ? sortHorizons(Object.keys(p.risk)).map((k) =>
          h(
            "div",
            { class: "stat" },
            h("div", { class: "stat-value" }, formatRisk(p.risk[k] ?? 0)),
            h("div", { class: "stat-label" }, `risk within ${horizonLabel(k)}`),
          ),
        )
      : [];
    replace(
      this.header,
      h("a", { href: "#/", class: "back" }, "← Fleet"),
      h(
        "div",
        { class: "host-title" },
        h("h2", null, this.host),
        p ? badge(level) : null,
        h("span", { class: "muted" }, facts.join(" · ")),
      ),
      h(
        "div",
        { class: "stats" },
        ...risks,
        h(
          "div",
          { class: "stat" },
          h("div", { class: "stat-value" }, formatDowntime(p?.downtime_within_minutes ?? null)),
          h("div", { class: "stat-label" }, "down within"),
        ),
      ),
    );
  }

  private renderSide(p: Prediction | null, history: HistoryResponse): void {
    const breach = h(
      "ul",
      { class: "kv", id: "time-to-breach" },
      ...METRICS.map((m) => {
        const s = p?.time_to_breach[m];
        return h(
          "li",
          { class: s !== undefined && s < 1800 ? "soon" : undefined },
          h("span", null, METRIC_LABELS[m]),
          h(
            "span",
            null,
            s === undefined ? "no breach forecast" : s <= 0 ? "breached" : `in ${formatDuration(s)}`,
          ),
        );
      }),
    );
    const contributors = p?.contributors.length
      ? h(
          "table",
          { class: "contributors", id: "contributors" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", null, "Metric"),
              h("th", { class: "num" }, "Value"),
              h("th", { class: "num", title: "deviation from the host's normal, standard deviations" }, "z"),
              h(
                "th",
                {
                  class: "num",
                  title: "how much the 30-min risk drops with this metric held at the host's normal level",
                },
                "Risk if normal",
              ),
            ),
          ),
          h(
            "tbody",
            null,
            ...p.contributors.map((c) =>
              h(
                "tr",
                null,
                h("td", null, METRIC_LABELS[c.metric]),
                h("td", { class: "num" }, formatMetric(c.metric, c.value)),
                h("td", { class: "num" }, c.z === null ? "—" : c.z.toFixed(1)),
                h(
                  "td",
                  { class: "num" },
                  c.risk_delta === null ? `anomaly ${c.anomaly.toFixed(2)}` : `−${formatRisk(c.risk_delta)}`,
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "muted", id: "contributors" }, "No metric stands out.");
    const transitions = history.alerts.length
      ? h(
          "ol",
          { class: "transitions", id: "transitions" },
          ...history.alerts
            .slice(-8)
            .reverse()
            .map((a) => {
              const dot = h("span", { class: "dot" });
              dot.style.background = LEVEL_COLORS[a.to];
              return h(
                "li",
                null,
                dot,
                `${clockTime(Date.parse(a.at))}  ${a.from} → ${a.to}`,
                h("span", { class: "muted" }, ` (30-min risk ${formatRisk(a.risk["30m"] ?? 0)})`),
              );
            }),
        )
      : h("p", { class: "muted", id: "transitions" }, "No level change in this range.");
    replace(
      this.side,
      h(
        "div",
        { class: "card" },
        h("h3", null, "Time to breach"),
        breach,
        h(
          "p",
          { class: "muted small" },
          `On each metric's recent trend, to its breach level: ${BREACH_TEXT}.`,
        ),
      ),
      h("div", { class: "card" }, h("h3", null, "What drives the risk"), contributors),
      h("div", { class: "card" }, h("h3", null, "Level transitions"), transitions),
      p ? h("p", { class: "muted small" }, `model ${p.model_version}`) : null,
    );
  }
}

/** x values with the range's edges added, so every chart spans the same window. */
function withEdges(xs: number[], fromMs: number, toMs: number): number[] {
  const last = xs.at(-1);
  return [fromMs / 1000, ...xs, Math.max(toMs / 1000, last === undefined ? 0 : last + 1)];
}

function padEdges(ys: (number | null)[]): (number | null)[] {
  return [null, ...ys, null];
}
