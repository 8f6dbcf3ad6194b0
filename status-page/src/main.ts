/**
 * The status page at `/`: asks for a read key once (kept in sessionStorage), then shows the fleet
 * (`#/`) or one host (`#/host/<name>`), refreshing while the tab is visible. Everything it shows comes
 * from the public API of the same origin with `Authorization: Bearer <key>`.
 */
import type { HostsListing } from "../../contracts/api.ts";
import type { Prediction } from "../../contracts/prediction.ts";
import { ApiProblem, EdgeApi } from "./api.ts";
import { byId, h, replace } from "./dom.ts";
import { renderEmptyFleet, renderFleet } from "./fleet.ts";
import { clockTime } from "./format.ts";
import { HostView, type RangeH } from "./host.ts";
import { forgetKey, loadKey, saveKey } from "./key.ts";

/** Refresh periods, ms. */
const FLEET_REFRESH_MS = 5_000;
const HOST_REFRESH_MS = 15_000;
/** Hosts (from the top of the ranking) whose full prediction is fetched for the contributor column. */
const DETAIL_HOSTS = 25;
/** A fetched prediction is reused while the host's listing entry is unchanged, at most this long, ms. */
const DETAIL_MAX_AGE_MS = 60_000;
const DETAIL_CONCURRENCY = 6;

type Route = { view: "fleet" } | { view: "host"; host: string };

const app = byId("app");
const status = byId("status");
const forgetButton = byId<HTMLButtonElement>("forget-key");

let api: EdgeApi | null = null;
/** Bumped on every navigation or key change; answers of an older generation are dropped. */
let generation = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let hostView: HostView | null = null;
const details = new Map<string, { prediction: Prediction; updatedAt: string; fetchedMs: number }>();

function route(): Route {
  const m = /^#\/host\/(.+)$/.exec(location.hash);
  if (m?.[1]) {
    try {
      return { view: "host", host: decodeURIComponent(m[1]) };
    } catch {
      return { view: "fleet" };
    }
  }
  return { view: "fleet" };
}

function setStatus(text: string, tone: "live" | "warn" | "idle"): void {
  replace(status, h("span", { class: `live-dot tone-${tone}` }), text);
}

// ── Key ─────────────────────────────────────────────────────────────────────────────────────────────

function showPrompt(error: string | null): void {
  stop();
  api = null;
  forgetButton.hidden = true;
  setStatus("no key", "idle");
  const input = h("input", {
    id: "key-input",
    type: "password",
    name: "key",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "edp_local_…",
    required: true,
    "aria-describedby": "key-help",
  });
  // method="dialog": outside a <dialog> a submit navigates nowhere, so the key can never end up in a URL.
  const form = h(
    "form",
    { id: "key-form", class: "card key-card", method: "dialog" },
    h("h2", null, "Paste a read key"),
    h(
      "p",
      { id: "key-help", class: "muted" },
      "This page reads the edge's API with a key that has the read scope. The key stays in this tab's session storage (never in a URL or a cookie) and is sent only in the Authorization header to this origin. npm start prints one.",
    ),
    error ? h("p", { id: "key-error", class: "error", role: "alert" }, error) : null,
    h(
      "div",
      { class: "key-row" },
      input,
      h("button", { type: "submit", class: "primary" }, "Show the fleet"),
    ),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (key === "") return;
    saveKey(key);
    start(key);
  });
  replace(app, form);
  input.focus();
}

/** The page's answer to a failed call: back to the prompt for key problems, a status line otherwise. */
function onProblem(e: unknown, gen: number, retry: () => void): void {
  if (gen !== generation) return;
  if (e instanceof ApiProblem && (e.kind === "unauthorized" || e.kind === "forbidden")) {
    forgetKey();
    showPrompt(
      e.kind === "unauthorized"
        ? `That key was rejected (401 ${e.message}). Check it and paste it again.`
        : `That key cannot read (403: ${e.message}). Use a key with the read scope.`,
    );
    return;
  }
  const wait = e instanceof ApiProblem && e.retryAfterS !== null ? e.retryAfterS * 1000 : FLEET_REFRESH_MS;
  const what = e instanceof Error ? e.message : String(e);
  setStatus(
    `${e instanceof ApiProblem && e.kind === "rate_limited" ? "rate limited" : "problem"}: ${what} — retrying in ${Math.round(wait / 1000)} s`,
    "warn",
  );
  schedule(retry, wait);
}

// ── Refresh loop ────────────────────────────────────────────────────────────────────────────────────

function stop(): void {
  generation++;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  hostView?.destroy();
  hostView = null;
}

function schedule(fn: () => void, ms: number): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    // A hidden tab does not poll; visibilitychange resumes it.
    if (document.hidden) return;
    fn();
  }, ms);
}

function start(key: string): void {
  api = new EdgeApi(key);
  forgetButton.hidden = false;
  show();
}

function show(): void {
  stop();
  if (!api) return showPrompt(null);
  const r = route();
  if (r.view === "host") showHost(api, r.host);
  else void refreshFleet(api, generation, true);
}

async function refreshFleet(client: EdgeApi, gen: number, first: boolean): Promise<void> {
  if (first) replace(app, h("p", { class: "muted loading" }, "Loading the fleet…"));
  document.title = "Fleet · Edge downtime";
  try {
    const listing = await client.hosts();
    if (gen !== generation) return;
    await fetchDetails(client, listing, gen);
    if (gen !== generation) return;
    if (listing.hosts.length === 0) replace(app, renderEmptyFleet(location.origin));
    else {
      const shown = new Map([...details].map(([k, v]) => [k, v.prediction]));
      replace(app, renderFleet(listing, shown));
    }
    const alerting = listing.hosts.filter((x) => x.level !== "ok").length;
    document.title = `${alerting > 0 ? `(${alerting}) ` : ""}Fleet · Edge downtime`;
    setStatus(`live · updated ${clockTime(Date.now())}`, "live");
    schedule(() => void refreshFleet(client, gen, false), FLEET_REFRESH_MS);
  } catch (e) {
    onProblem(e, gen, () => void refreshFleet(client, gen, false));
  }
}

/** Full predictions of the top hosts, refetched when their listing entry changed or aged. */
async function fetchDetails(client: EdgeApi, listing: HostsListing, gen: number): Promise<void> {
  const now = Date.now();
  const due = listing.hosts.slice(0, DETAIL_HOSTS).filter((x) => {
    const d = details.get(x.host);
    return !d || d.updatedAt !== x.updated_at || now - d.fetchedMs > DETAIL_MAX_AGE_MS;
  });
  const queue = [...due];
  const worker = async (): Promise<void> => {
    for (let x = queue.shift(); x !== undefined && gen === generation; x = queue.shift()) {
      try {
        details.set(x.host, {
          prediction: await client.prediction(x.host),
          updatedAt: x.updated_at,
          fetchedMs: now,
        });
      } catch (e) {
        // A host listed without a prediction yet is fine; key problems surface through the listing.
        if (!(e instanceof ApiProblem && e.kind === "not_found")) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: DETAIL_CONCURRENCY }, worker));
}

function showHost(client: EdgeApi, host: string, range: RangeH = 6): void {
  document.title = `${host} · Edge downtime`;
  replace(app, h("p", { class: "muted loading" }, `Loading ${host}…`));
  const gen = generation;
  const view = new HostView(host, range, () => {
    schedule(() => void refreshHost(client, view, gen), 0);
  });
  hostView = view;
  void refreshHost(client, view, gen);
}

async function refreshHost(client: EdgeApi, view: HostView, gen: number): Promise<void> {
  try {
    const now = Date.now();
    const [prediction, history] = await Promise.all([
      client.prediction(view.host).catch((e: unknown) => {
        if (e instanceof ApiProblem && e.kind === "not_found") return null;
        throw e;
      }),
      client.history(view.host, now - view.rangeH * 3_600_000, now + 5 * 60_000),
    ]);
    if (gen !== generation) return;
    if (!app.contains(view.root)) replace(app, view.root);
    view.render({ prediction, history }, now);
    setStatus(`live · updated ${clockTime(Date.now())}`, "live");
    schedule(() => void refreshHost(client, view, gen), HOST_REFRESH_MS);
  } catch (e) {
    if (gen !== generation) return;
    if (e instanceof ApiProblem && e.kind === "not_found") {
      replace(
        app,
        h(
          "section",
          { class: "card notice", id: "host-missing" },
          h("h2", null, `No data for ${view.host}`),
          h(
            "p",
            null,
            "This key's tenant has no host of that name (or it has no point within the retention).",
          ),
          h("a", { href: "#/" }, "← Back to the fleet"),
        ),
      );
      setStatus("host not found", "idle");
      return;
    }
    onProblem(e, gen, () => void refreshHost(client, view, gen));
  }
}

// ── Wiring ──────────────────────────────────────────────────────────────────────────────────────────

forgetButton.addEventListener("click", () => {
  forgetKey();
  details.clear();
  showPrompt(null);
});
window.addEventListener("hashchange", () => {
  if (api) show();
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && api && timer === null) show();
});

const saved = loadKey();
if (saved) start(saved);
else showPrompt(null);
