/**
 * The fleet view: hosts ranked by level, then 30-min risk (the order `GET /hosts` answers in), with
 * the outlook, time to breach, top contributor and silence of each.
 */
import type { HostsListing } from "../../contracts/api.ts";
import type { MetricName } from "../../contracts/metrics.ts";
import type { Prediction } from "../../contracts/prediction.ts";
import { h } from "./dom.ts";
import {
  formatDowntime,
  formatDuration,
  formatMetric,
  formatRisk,
  isSilent,
  LEVEL_TEXT,
  METRIC_LABELS,
  SILENT_AFTER_S,
} from "./format.ts";

/** The warning horizon: the listing's `risk` is the 30-min risk. */
const RISK_KEY = "30m";

export function hostHref(host: string): string {
  return `#/host/${encodeURIComponent(host)}`;
}

/** Summary tiles and the ranked table; `details` holds the hosts whose full prediction was fetched. */
export function renderFleet(listing: HostsListing, details: ReadonlyMap<string, Prediction>): HTMLElement {
  const hosts = listing.hosts;
  const count = (f: (x: (typeof hosts)[number]) => boolean) => hosts.filter(f).length;
  const critical = count((x) => x.level === "critical");
  const warning = count((x) => x.level === "warning");
  const silent = count((x) => isSilent(x.silent_s));
  const tiles = h(
    "div",
    { class: "tiles" },
    tile("Hosts", listing.total, "neutral"),
    tile("Critical", critical, critical > 0 ? "critical" : "neutral"),
    tile("Warning", warning, warning > 0 ? "warning" : "neutral"),
    tile(`Silent > ${SILENT_AFTER_S / 60} min`, silent, silent > 0 ? "silent" : "neutral"),
  );
  const rows = hosts.map((x, i) => {
    const p = details.get(x.host);
    const quiet = isSilent(x.silent_s);
    return h(
      "tr",
      {
        class: `level-${x.level}${quiet ? " is-silent" : ""}`,
        data: { host: x.host, level: x.level, rank: i + 1 },
      },
      h("td", { class: "rank" }, i + 1),
      h("td", { class: "host" }, h("a", { href: hostHref(x.host) }, x.host)),
      h("td", null, badge(x.level)),
      h("td", { class: "risk" }, riskBar(x.risks[RISK_KEY] ?? x.risk)),
      h("td", { class: "num" }, formatDowntime(x.downtime_within_minutes)),
      h("td", { class: "num" }, breachText(x.time_to_breach_s, p)),
      h("td", null, contributorText(p)),
      h(
        "td",
        { class: "seen" },
        quiet
          ? h(
              "span",
              { class: "badge badge-silent", title: "no point for a while: the host may be down" },
              `silent ${formatDuration(x.silent_s)}`,
            )
          : `${formatDuration(x.silent_s)} ago`,
      ),
    );
  });
  const table = h(
    "table",
    { class: "fleet", id: "fleet-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { class: "rank" }, "#"),
        h("th", null, "Host"),
        h("th", null, "Level"),
        h("th", null, "Risk within 30 min"),
        h("th", { class: "num" }, "Down within"),
        h("th", { class: "num" }, "Time to breach"),
        h(
          "th",
          {
            title:
              "the metric driving the risk most, its value and how much the 30-min risk drops with it held at the host's normal level",
          },
          "Top contributor",
        ),
        h("th", null, "Last point"),
      ),
    ),
    h("tbody", null, ...rows),
  );
  const shown =
    listing.total > hosts.length
      ? h("p", { class: "muted" }, `Showing the ${hosts.length} riskiest of ${listing.total} hosts.`)
      : null;
  return h("section", { id: "fleet-view" }, tiles, h("div", { class: "card table-card" }, table), shown);
}

/** The message for a tenant without hosts, with a ready-to-paste way to send one. */
export function renderEmptyFleet(origin: string): HTMLElement {
  return h(
    "section",
    { id: "fleet-empty", class: "card notice" },
    h("h2", null, "No hosts yet"),
    h(
      "p",
      null,
      "This key's tenant has no host with data. Hosts appear here within a minute of their first point:",
    ),
    h(
      "pre",
      null,
      `curl -X POST "${origin}/metrics?host=web-1" \\\n  -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \\\n  -d '{"cpu_usage": 75.5, "memory_usage": 82.3, "network_latency": 120.0, "error_rate": 0.05}'`,
    ),
    h(
      "p",
      { class: "muted" },
      "Or run npm start, which streams a simulated fleet. This page refreshes by itself.",
    ),
  );
}

export function badge(level: keyof typeof LEVEL_TEXT): HTMLElement {
  return h("span", { class: `badge badge-${level}` }, LEVEL_TEXT[level]);
}

function tile(label: string, value: number, tone: string): HTMLElement {
  return h(
    "div",
    { class: `tile tone-${tone}` },
    h("div", { class: "tile-value" }, value),
    h("div", { class: "tile-label" }, label),
  );
}

export function riskBar(p: number): HTMLElement {
  const tone = p >= 0.5 ? "high" : p >= 0.2 ? "mid" : "low";
  const bar = h("span", { class: `bar-fill tone-${tone}` });
  // The width is set through the CSSOM, which the CSP allows (no inline style attribute).
  bar.style.width = `${Math.max(1, Math.min(100, p * 100)).toFixed(1)}%`;
  return h(
    "span",
    { class: "riskcell" },
    h("span", { class: "bar" }, bar),
    h("span", { class: "risk-text" }, formatRisk(p)),
  );
}

function breachText(ttbS: number | null, p: Prediction | undefined): string {
  const soonest = p ? soonestBreach(p) : null;
  if (soonest) {
    const when = soonest.seconds <= 0 ? "breached" : `in ${formatDuration(soonest.seconds)}`;
    return `${METRIC_LABELS[soonest.metric]} ${when}`;
  }
  return ttbS === null ? "—" : formatDuration(ttbS);
}

export function soonestBreach(p: Prediction): { metric: MetricName; seconds: number } | null {
  let best: { metric: MetricName; seconds: number } | null = null;
  for (const [m, s] of Object.entries(p.time_to_breach) as [MetricName, number | undefined][]) {
    if (s !== undefined && (best === null || s < best.seconds)) best = { metric: m, seconds: s };
  }
  return best;
}

function contributorText(p: Prediction | undefined): HTMLElement | string {
  const c = p?.contributors[0];
  if (!c) return p ? "—" : "…";
  const delta =
    c.risk_delta !== null
      ? h(
          "span",
          {
            class: "muted",
            title: "how much the 30-min risk drops with this metric held at the host's normal level",
          },
          ` −${formatRisk(c.risk_delta)}`,
        )
      : null;
  return h(
    "span",
    { class: "contrib" },
    h("strong", null, METRIC_LABELS[c.metric]),
    ` ${formatMetric(c.metric, c.value)}`,
    delta,
  );
}
