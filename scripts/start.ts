/**
 * `npm start` — the edge runtime locally, with a demo fleet streaming through it.
 *
 *   npm start -- [--hosts 20] [--speed 300] [--seed 7] [--once]
 *
 * 1. Key: on first run a random local API key is created and `.dev.vars` written with its SHA-256
 *    (`API_KEYS`); an existing file is kept as it is (DEV_VARS_FILE, API_KEY: see scripts/start/args.ts).
 * 2. `wrangler dev` on 127.0.0.1:$PORT (8787) in its own process group, Durable Object storage in a
 *    fresh temporary directory (the demo regenerates its history every run, shifted to now; points older
 *    than what a host already has would be dropped as late), then GET /health until the model is loaded;
 *    prints the API's URL, the status page's (`/`, built by wrangler's [build] step) and the key.
 * 3. The simulated fleet through POST /metrics: 18 h of warm-up as fast as the edge accepts, 6 h replayed
 *    at --speed simulated seconds per real second, then real time (scripts/start/plan.ts).
 * 4. A live view ranked by GET /hosts, details from GET /hosts/:host/prediction, every warning raised
 *    with what followed it (the simulated downtime and its lead, or none), and a log of alert
 *    transitions (read from GET /hosts/:host/history when a response shows a host's level moved) in
 *    data-time order; ANSI redraw on a terminal; otherwise the log as it comes and a frame with the
 *    warnings every 30 s. --once prints, after the replay, the final view, the fleet at its riskiest
 *    moment, the event log, the warnings and a summary with the lead times, and exits.
 * Ctrl-C / SIGTERM / SIGHUP stop wrangler's whole process group and remove the temporary state.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MetricPoint } from "../simulator/fleet.ts";
import { realClock, StreamError, streamPoints, type StreamProgress } from "../simulator/stream.ts";
import { BatchIngestSchema, type HostsListing } from "../contracts/api.ts";
import type { Prediction } from "../contracts/prediction.ts";
import { ApiCallError, EdgeClient, parseBody } from "./start/api.ts";
import { parseStartArgs, parseStartEnv, USAGE, type StartArgs } from "./start/args.ts";
import { ensureDevVars } from "./start/dev-vars.ts";
import { StartError } from "./start/errors.ts";
import {
  countPoints,
  hostMajorPoints,
  PhasedPoints,
  planDemo,
  TICK_MS,
  type DemoPlan,
  type Phase,
} from "./start/plan.ts";
import { assertPortFree } from "./start/port.ts";
import { Progress } from "./start/progress.ts";
import { FleetTracker, type SyncRequest } from "./start/tracker.ts";
import {
  eventLine,
  renderFrame,
  renderPeak,
  visibleLength,
  warningLines,
  warningsHeadline,
  type ViewState,
} from "./start/view.ts";
import { describeExit, WranglerDev, WranglerError } from "./lib/wrangler-dev.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const IP = "127.0.0.1";
/** Bounds of the start-up: wrangler's "Ready on" line, then a healthy GET /health. */
const READY_TIMEOUT_MS = 120_000;
const HEALTH_TIMEOUT_MS = 60_000;
/** How often the view re-reads GET /hosts, ms. */
const VIEW_REFRESH_MS = 1000;
/** Without a terminal: a ranked summary with the warnings this often, ms (events print as they come). */
const PLAIN_FRAME_EVERY_MS = 30_000;
/** Warnings (and missed downtimes) listed in a frame. */
const FRAME_WARNINGS = 12;
/** Hosts whose full prediction (contributors, time to breach) the view fetches each refresh. */
const DETAIL_HOSTS = 5;
/** The seed's example body (README), for the printed curl. */
const SEED_BODY = '{"cpu_usage":75.5,"memory_usage":82.3,"network_latency":120.0,"error_rate":0.05}';

const out = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const isTTY = process.stdout.isTTY === true;

export function curlCommands(url: string, key: string): { post: string; hosts: string } {
  return {
    post: `curl -sS -X POST ${url}/metrics -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '${SEED_BODY}'`,
    hosts: `curl -sS '${url}/hosts?limit=5' -H 'Authorization: Bearer ${key}'`,
  };
}

/** Thrown to leave the start-up early after Ctrl-C; not an error. */
class StopRequested extends Error {}

/** Stop requests (signals) and fatal errors, shared by every waiting loop. */
class Lifecycle {
  readonly controller = new AbortController();
  fatal: Error | null = null;
  stopSignal: NodeJS.Signals | null = null;
  private firstSignalMs = 0;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fail(e: Error): void {
    this.fatal ??= e;
    this.controller.abort();
  }

  /** Returns true when this signal asks to force (a second one, at least 1 s after the first). */
  onSignal(sig: NodeJS.Signals): boolean {
    const now = Date.now();
    if (this.stopSignal === null) {
      this.stopSignal = sig;
      this.firstSignalMs = now;
      this.controller.abort();
      return false;
    }
    // npm relays the terminal's Ctrl-C, so one key press can arrive twice within milliseconds. (The
    // script runs as `node --import tsx`, not under the tsx CLI: its parent relays a signal too and
    // SIGKILLs the script, exit 130, when the script has not acknowledged it within 60 ms — a busy
    // moment under load cut `npm start` off mid-stop and left wrangler running.)
    return now - this.firstSignalMs >= 1000;
  }

  /** Throws the fatal error, if any. */
  check(): void {
    if (this.fatal) throw this.fatal;
  }
}

function wranglerExited(w: WranglerDev, what: string): StartError {
  return new StartError(
    "WRANGLER_EXITED",
    `wrangler dev ${describeExit(w.exitedWith)} ${what}. Its last log lines:\n${w.tailText()}`,
  );
}

/** Waits for wrangler's "Ready on" line; resolves with its URL (the port it bound, PORT=0 included). */
async function waitForWrangler(
  w: WranglerDev,
  life: Lifecycle,
  where: string,
): Promise<{ readyMs: number; url: string }> {
  const started = Date.now();
  const progress = new Progress({ isTTY, write: (t) => process.stdout.write(t) });
  const timer = setInterval(
    () => progress.update(`starting wrangler dev… ${seconds(Date.now() - started)}`),
    250,
  );
  // Ends the timeout's sleep once the race is decided, so no timer keeps the process alive.
  const decided = new AbortController();
  try {
    const outcome = await Promise.race([
      w.ready.then((u) => ({ url: u })),
      w.exited.then(() => "exited" as const),
      realClock
        .sleep(READY_TIMEOUT_MS, AbortSignal.any([life.signal, decided.signal]))
        .then((): "stopped" | "timeout" => (life.signal.aborted ? "stopped" : "timeout")),
    ]);
    if (outcome === "exited") throw wranglerExited(w, "before it was ready");
    if (outcome === "timeout") {
      throw new StartError(
        "WRANGLER_TIMEOUT",
        `wrangler dev did not print "Ready on …" for ${where} within ${seconds(READY_TIMEOUT_MS)}. Its last log lines:\n${w.tailText()}`,
      );
    }
    const readyMs = Date.now() - started;
    if (outcome === "stopped") {
      progress.done("stopping…");
      return { readyMs, url: "" };
    }
    progress.done(`wrangler dev ready on ${outcome.url} after ${seconds(readyMs)}`);
    return { readyMs, url: outcome.url };
  } finally {
    clearInterval(timer);
    decided.abort();
  }
}

async function waitForHealth(client: EdgeClient, life: Lifecycle): Promise<string> {
  const started = Date.now();
  const progress = new Progress({ isTTY, write: (t) => process.stdout.write(t) });
  let last: string;
  while (!life.signal.aborted) {
    try {
      const h = await client.health(life.signal);
      if (h.status === "ok" && h.inference.ready) {
        const msg = `GET /health ok after ${seconds(Date.now() - started)}: model ${h.model_version} loaded in ${h.inference.load_ms ?? "?"} ms, sink ${h.sink.kind}`;
        progress.done(msg);
        return msg;
      }
      if (h.environment_error) {
        throw new StartError(
          "EDGE_UNHEALTHY",
          `the Worker reports a broken environment: ${h.environment_error}`,
          `Check API_KEYS in the dev vars file.`,
        );
      }
      last = `status ${h.status}, inference ${h.inference.error ?? (h.inference.ready ? "ready" : "loading")}, sink ${h.sink.error ?? h.sink.kind}`;
    } catch (e) {
      if (e instanceof StartError) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() - started > HEALTH_TIMEOUT_MS) {
      throw new StartError(
        "HEALTH_TIMEOUT",
        `GET /health not ready within ${seconds(HEALTH_TIMEOUT_MS)}; last: ${last}`,
      );
    }
    progress.update(`waiting for GET /health… ${seconds(Date.now() - started)} (${last})`);
    await realClock.sleep(250, life.signal);
  }
  return "stopped";
}

interface Demo {
  args: StartArgs;
  url: string;
  key: string;
  keyNote: string;
  client: EdgeClient;
  life: Lifecycle;
  plan: DemoPlan;
  tracker: FleetTracker;
  /** fetch that also feeds every POST /metrics response to the tracker. */
  teeFetch: typeof fetch;
  /** History reads that failed (the tracker asks again on the host's next change). */
  reads: { failed: number };
  /** The fleet's points, consumed phase after phase. */
  points: PhasedPoints;
  sent: number;
  dataTimeMs: number | null;
}

/**
 * Reads the alert transitions the tracker asks for and hands them over. A failed read is counted and
 * skipped: the host's next change asks again from the same point.
 */
async function readAlerts(
  tracker: FleetTracker,
  client: EdgeClient,
  reads: readonly SyncRequest[],
  counts: { failed: number },
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(
    reads.map(async (r) => {
      try {
        const h = await client.alerts(r.host, r.fromMs, r.toMs, signal);
        tracker.applyAlerts(r, h.alerts);
      } catch (e) {
        if (!(e instanceof ApiCallError)) throw e;
        if (!signal.aborted) counts.failed++;
      }
    }),
  );
}

/**
 * fetch for the stream: each POST /metrics response goes to the tracker, and the history reads it
 * calls for are done before the response is handed back, so the tracker is up to date with every
 * point the stream reports as delivered.
 */
function makeTeeFetch(
  tracker: FleetTracker,
  client: EdgeClient,
  counts: { failed: number },
  life: Lifecycle,
): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (res.ok) {
      try {
        const reads = tracker.observe(
          parseBody(BatchIngestSchema, await res.clone().text(), "POST /metrics").hosts,
        );
        if (reads.length > 0) await readAlerts(tracker, client, reads, counts, life.signal);
      } catch (e) {
        life.fail(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return res;
  };
}

async function stream(
  d: Demo,
  phase: Phase,
  points: Iterable<MetricPoint>,
  onProgress?: (p: StreamProgress) => void,
) {
  const base = d.sent;
  try {
    return await streamPoints(
      points,
      {
        url: `${d.url}/metrics`,
        apiKey: d.key,
        batchSize: phase.batchSize,
        speed: phase.speed,
        tickMs: TICK_MS,
        shiftMs: d.plan.shiftMs,
        fetch: d.teeFetch,
        onProgress: (p) => {
          d.sent = base + p.sentPoints;
          if (p.lastTimestamp !== null) {
            d.dataTimeMs = p.lastTimestamp;
            d.tracker.passTime(p.lastTimestamp);
          }
          onProgress?.(p);
        },
      },
      d.life.signal,
    );
  } catch (e) {
    if (e instanceof StreamError) {
      throw new StartError("STREAM_FAILED", `streaming the demo fleet failed: ${e.message}`, undefined, {
        cause: e,
      });
    }
    throw e;
  }
}

async function warmUp(d: Demo, phase: Phase): Promise<void> {
  const [total = 0] = countPoints(d.plan.fleet, [phase]);
  const hours = (phase.toMs - phase.fromMs) / 3_600_000;
  out(
    `warm-up: ${d.args.hosts} hosts × ${hours} h of history = ${total.toLocaleString("en-US")} points, batches of ${phase.batchSize}…`,
  );
  const progress = new Progress({ isTTY, write: (t) => process.stdout.write(t) });
  const started = performance.now();
  const r = await stream(d, phase, hostMajorPoints(d.plan.fleet, phase), (p) => {
    const rate = p.sentPoints / Math.max(0.001, (performance.now() - started) / 1000);
    progress.update(
      `warm-up: ${p.sentPoints.toLocaleString("en-US")}/${total.toLocaleString("en-US")} points (${Math.round((100 * p.sentPoints) / Math.max(1, total))} %) · ${Math.round(rate).toLocaleString("en-US")} points/s`,
    );
  });
  const ms = performance.now() - started;
  if (r.stoppedBy === "aborted") {
    progress.done(`warm-up interrupted after ${r.sentPoints.toLocaleString("en-US")} points`);
    return;
  }
  progress.done(
    `warm-up done: ${r.sentPoints.toLocaleString("en-US")} points in ${seconds(ms)} (${Math.round(r.sentPoints / (ms / 1000)).toLocaleString("en-US")} points/s, ${r.batches} requests, ${r.retries} retries)` +
      (d.tracker.droppedLate + d.tracker.duplicates > 0
        ? `; the edge dropped ${d.tracker.droppedLate} late and ${d.tracker.duplicates} duplicate points`
        : ""),
  );
}

/** Everything the view shows, refreshed from the API. */
interface ViewData {
  listing: HostsListing | null;
  listingError: string | null;
  details: Map<string, Prediction>;
}

async function refreshView(d: Demo, v: ViewData): Promise<void> {
  try {
    const listing = await d.client.hosts(Math.min(1000, d.args.hosts + 10), d.life.signal);
    const top = listing.hosts.slice(0, DETAIL_HOSTS);
    const details = await Promise.all(
      top.map(async (h) => [h.host, await d.client.prediction(h.host, d.life.signal)] as const),
    );
    v.listing = listing;
    v.listingError = null;
    v.details = new Map(details.flatMap(([h, p]) => (p === null ? [] : [[h, p] as const])));
  } catch (e) {
    if (!(e instanceof ApiCallError)) throw e;
    if (!d.life.signal.aborted) v.listingError = e.message.slice(0, 120);
  }
}

function viewState(d: Demo, v: ViewData, phase: string, note: string, footer: string[]): ViewState {
  return {
    url: d.url,
    phase: phase === "warm-up" || phase === "replay" || phase === "live" ? phase : "done",
    phaseNote: note,
    dataTimeMs: d.dataTimeMs,
    listing: v.listing,
    listingError: v.listingError,
    details: v.details,
    down: d.tracker.downAt(d.dataTimeMs ?? 0),
    events: d.tracker.log,
    warnings: d.tracker.warnings,
    downs: d.tracker.downs,
    pointsSent: d.sent,
    footer,
  };
}

function footerLines(d: Demo): string[] {
  const c = curlCommands(d.url, d.key);
  return [`API ${d.url} · key ${d.key} (${d.keyNote}) · Ctrl-C stops`, c.post, c.hosts];
}

/** Replay (and live) with the view running beside the stream. */
async function play(d: Demo, phases: Phase[]): Promise<void> {
  const v: ViewData = { listing: null, listingError: null, details: new Map() };
  let current = phases[0];
  let phaseStartedMs = Date.now();
  let streaming = true;
  const note = (): string => {
    if (!current) return "";
    if (!streaming) return "(stream finished; server still running)";
    const frac =
      d.dataTimeMs === null
        ? 0
        : (d.dataTimeMs - d.plan.shiftMs - current.fromMs) / (current.toMs - current.fromMs);
    const speed = current.speed === 0 ? "unpaced" : current.speed === 1 ? "real time" : `×${current.speed}`;
    return `(${speed}, ${Math.max(0, Math.min(100, Math.round(frac * 100)))} %, ${seconds(Date.now() - phaseStartedMs)})`;
  };
  const footer = footerLines(d);
  let lastPlainFrameMs = 0;
  let firstPlainFrameMs: number | null = null;
  const draw = (): void => {
    const phase = streaming ? (current?.name ?? "done") : "done";
    if (isTTY) {
      const rows = process.stdout.rows ?? 40;
      const columns = process.stdout.columns ?? 120;
      const footerRows = footer.reduce((n, l) => n + Math.max(1, Math.ceil(visibleLength(l) / columns)), 1);
      const maxEvents = 8;
      const maxWarnings = 6;
      // Title, counts and table header, the outlook legend, then the warnings and events sections.
      const maxRows = Math.max(3, rows - 6 - (maxWarnings + 2) - (maxEvents + 2) - footerRows - 1);
      d.tracker.takeReady();
      const frame = renderFrame(viewState(d, v, phase, note(), footer.slice(0, 1)), {
        colour: true,
        columns,
        maxRows,
        maxWarnings,
        maxEvents,
      });
      // Footer lines (the curl commands) are never cut: they must stay copy-pastable.
      const text = `${frame}\n\n${footer.slice(1).join("\n")}`;
      process.stdout.write(`\x1b[H${text.split("\n").join("\x1b[K\n")}\x1b[K\x1b[J`);
      return;
    }
    if (d.args.once) return;
    // Released in data-time order: a line waits until every reporting host's stream has passed it.
    for (const e of d.tracker.takeReady()) out(eventLine(e, false));
    if (Date.now() - lastPlainFrameMs >= PLAIN_FRAME_EVERY_MS) {
      lastPlainFrameMs = Date.now();
      firstPlainFrameMs ??= lastPlainFrameMs;
      out();
      out(
        renderFrame(viewState(d, v, phase, note(), []), {
          colour: false,
          columns: null,
          maxRows: 10,
          maxWarnings: FRAME_WARNINGS,
          maxEvents: 0,
          // Said once: a log needs it only the first time.
          legend: lastPlainFrameMs === firstPlainFrameMs,
        }),
      );
      out();
    }
  };

  if (isTTY) process.stdout.write("\x1b[?25l\x1b[2J");
  let viewDone = false;
  // Runs beside the stream and never rejects: an unexpected error (a response of the wrong shape, say)
  // stops the demo through the lifecycle, which also ends the stream.
  const viewLoop = (async () => {
    try {
      while (!viewDone && !d.life.signal.aborted) {
        await refreshView(d, v);
        if (!viewDone) draw();
        await realClock.sleep(VIEW_REFRESH_MS, d.life.signal);
      }
    } catch (e) {
      d.life.fail(e instanceof Error ? e : new Error(String(e)));
    }
  })();
  try {
    for (const phase of phases) {
      current = phase;
      phaseStartedMs = Date.now();
      if (!isTTY && !d.args.once) out(`${phase.name}: ${phaseDescription(d, phase)}`);
      const r = await stream(d, phase, d.points.take(phase));
      if (r.stoppedBy === "aborted") return;
    }
    streaming = false;
    if (d.args.once) return;
    if (!isTTY) out("stream finished; wrangler dev keeps running until Ctrl-C");
    await new Promise<void>((resolve) => {
      if (d.life.signal.aborted) resolve();
      d.life.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    viewDone = true;
    await viewLoop;
    if (isTTY) {
      draw();
      process.stdout.write("\x1b[?25h\n");
    }
  }
}

function phaseDescription(d: Demo, phase: Phase): string {
  const hours = (phase.toMs - phase.fromMs) / 3_600_000;
  if (phase.name === "replay") {
    return phase.speed === 0
      ? `${hours} h of data, unpaced`
      : `${hours} h of data at ×${phase.speed} (${seconds((hours * 3_600_000) / phase.speed)})`;
  }
  return `${hours} h of data at real time`;
}

/** --once: after the replay, wait (bounded) for the host index to show the levels the stream last saw. */
async function settleIndex(d: Demo): Promise<{ listing: HostsListing; settled: boolean }> {
  let listing = await d.client.hosts(1000, d.life.signal);
  for (let i = 0; i < 25; i++) {
    const byHost = new Map(listing.hosts.map((h) => [h.host, h.level]));
    const lagging = [...d.tracker.hosts].filter(([host, t]) => byHost.get(host) !== t.latest.level);
    if (lagging.length === 0) return { listing, settled: true };
    await realClock.sleep(200, d.life.signal);
    listing = await d.client.hosts(1000, d.life.signal);
  }
  return { listing, settled: false };
}

/**
 * The warnings with what followed each, and one summary line with every lead time: the end of a
 * --once run, and of a paced one when it is stopped.
 */
function warningsReport(d: Demo, colour: boolean): void {
  const t = d.tracker;
  const now = d.dataTimeMs ?? 0;
  out(warningsHeadline(t.warnings, t.downs, now));
  const lines = warningLines(t.warnings, t.downs, now, 1000, colour);
  for (const l of lines) out(`  ${l}`);
  if (lines.length === 0) out("  (none)");
}

function summaryLine(d: Demo, listing: HostsListing | null): string {
  const t = d.tracker;
  const s = t.summary();
  const leads = t.downs
    .filter((x) => x.leadMinutes !== null)
    .map((x) => `${x.host} ${x.leadMinutes} min`)
    .join(", ");
  const missed = s.missed.map((x) => `${x.host} (${x.family})`).join(", ");
  return (
    `summary: ${listing === null ? "" : `${listing.total} hosts listed, `}${t.hosts.size} with predictions; ` +
    `${s.downtimes} simulated downtime(s) since the replay began, ${s.flagged} flagged beforehand` +
    (leads ? `, lead times ${leads}` : "") +
    (missed ? `; not flagged: ${missed}` : "") +
    `; ${s.falseAlarms} false alarm(s); ` +
    `${t.accepted.toLocaleString("en-US")} points accepted, ${t.droppedLate} dropped late, ${t.duplicates} duplicates` +
    (d.reads.failed > 0 ? `; ${d.reads.failed} history reads failed` : "")
  );
}

async function finalReport(d: Demo): Promise<void> {
  const { listing, settled } = await settleIndex(d);
  const top = listing.hosts.slice(0, DETAIL_HOSTS);
  const details = new Map<string, Prediction>();
  for (const h of top) {
    const p = await d.client.prediction(h.host, d.life.signal);
    if (p) details.set(h.host, p);
  }
  const v: ViewData = { listing, listingError: null, details };
  d.tracker.finish();
  out();
  out("the fleet at the end of the replay:");
  out(
    renderFrame(viewState(d, v, "done", "", []), {
      colour: isTTY,
      columns: null,
      maxRows: 1000,
      maxWarnings: 0,
      maxEvents: 0,
    }),
  );
  if (!settled) out("(the host index had not caught up with the last predictions after 5 s)");
  out();
  out(renderPeak(d.tracker.riskiestMoment(), d.tracker.warnings, d.dataTimeMs ?? 0, isTTY));
  out();
  out("events (alert transitions recorded by each host's object; DOWN = simulator ground truth):");
  for (const e of d.tracker.log) out(`  ${eventLine(e, isTTY)}`);
  if (d.tracker.log.length === 0) out("  (none)");
  out();
  warningsReport(d, isTTY);
  out();
  out(summaryLine(d, listing));
}

async function main(): Promise<number> {
  const args = parseStartArgs(process.argv.slice(2));
  if (args.help) {
    out(USAGE);
    return 0;
  }
  // npm runs scripts from the package root; a relative DEV_VARS_FILE means relative to where npm was run.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const env = parseStartEnv(process.env, (p) => resolve(cwd, p), join(ROOT, ".dev.vars"));
  const local = await ensureDevVars(env.devVarsFile, env.apiKey);
  const shownFile = relative(process.cwd(), local.file).startsWith("..")
    ? local.file
    : relative(process.cwd(), local.file) || local.file;
  // PORT=0: workerd binds whatever port the OS picks, and the URL comes from wrangler's Ready line.
  const where = env.port === 0 ? `${IP} (a free port)` : `http://${IP}:${env.port}`;
  if (env.port !== 0) await assertPortFree(IP, env.port);

  const life = new Lifecycle();
  let wrangler: WranglerDev | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    const first = life.stopSignal === null;
    if (first) process.stderr.write(`\n${sig}: stopping…\n`);
    if (life.onSignal(sig) && wrangler) {
      process.stderr.write(`\n${sig} again: killing wrangler dev's process group (${wrangler.pid})\n`);
      try {
        process.kill(-wrangler.pid, "SIGKILL");
      } catch {
        // already gone
      }
      process.exit(130);
    }
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);

  const stateDir = await mkdtemp(join(tmpdir(), "edge-downtime-start-"));
  let exitCode = 0;
  let watchdog: Promise<void> = Promise.resolve();
  try {
    out(`starting wrangler dev on ${where} (Durable Object storage in ${stateDir}, removed at exit)`);
    wrangler = WranglerDev.start({
      cwd: ROOT,
      ip: IP,
      port: env.port,
      envFile: local.file,
      persistTo: join(stateDir, "state"),
      registryPath: join(stateDir, "registry"),
    });
    out(`wrangler dev pid ${wrangler.pid} (process group ${wrangler.pid})`);
    const w = wrangler;
    let stopping = false;
    watchdog = w.exited.then(() => {
      if (!stopping) life.fail(wranglerExited(w, "unexpectedly"));
    });
    try {
      const { readyMs, url } = await waitForWrangler(w, life, where);
      life.check();
      const client = new EdgeClient({ baseUrl: url, apiKey: local.key });
      const health = await waitForHealth(client, life);
      life.check();
      // Stopped during start-up: straight to the cleanup below.
      if (life.signal.aborted) throw new StopRequested();

      const keyNote =
        local.source === "env"
          ? "from API_KEY"
          : local.fileCreated
            ? `new, hash in ${shownFile}`
            : `from ${shownFile}`;
      const curls = curlCommands(url, local.key);
      out();
      out(`Edge API:  ${url}   (wrangler dev ready in ${seconds(readyMs)}; ${health})`);
      out(
        `API key:   ${local.key}   (${local.fileCreated ? `created; its SHA-256 is in ${shownFile}, the key itself in its comment line` : keyNote}; tenant '${local.tenant}')`,
      );
      out(
        `Status:    ${url}/   (the status page: paste the API key once; it stays in that tab's sessionStorage)`,
      );
      out(`Try it:    ${curls.post}`);
      out(`           ${curls.hosts}`);
      out();

      const plan = planDemo(
        { hosts: args.hosts, seed: args.seed, once: args.once, speed: args.speed },
        Date.now(),
      );
      // The demo fleet samples once per model step (60 s), so its step is the model's.
      const tracker = new FleetTracker({ downtime: plan.downtime, stepMs: plan.fleet.stepSeconds * 1000 });
      const reads = { failed: 0 };
      const d: Demo = {
        args,
        url,
        key: local.key,
        keyNote,
        client,
        life,
        plan,
        tracker,
        teeFetch: makeTeeFetch(tracker, client, reads, life),
        reads,
        points: new PhasedPoints(plan.fleet),
        sent: 0,
        dataTimeMs: null,
      };
      const [warm, ...rest] = plan.phases;
      if (!warm) throw new Error("demo plan without phases");
      const replay = rest[0];
      if (!replay) throw new Error("demo plan without a replay");
      const inReplay = plan.downtime.filter(
        (x) => x.startMs >= replay.fromMs + plan.shiftMs && x.startMs < replay.toMs + plan.shiftMs,
      ).length;
      out(
        `demo fleet: ${args.hosts} hosts, seed ${args.seed}, ${inReplay} simulated downtime(s) during the replay; ` +
          `timestamps moved to now (the replay's last point is at about ${new Date(replay.toMs + plan.shiftMs).toISOString().slice(11, 16)} UTC)`,
      );
      await warmUp(d, warm);
      life.check();
      if (!life.signal.aborted) {
        await readAlerts(
          tracker,
          client,
          tracker.startLogging(replay.fromMs + plan.shiftMs),
          reads,
          life.signal,
        );
        if (args.once) out(`replay: ${phaseDescription(d, replay)}…`);
        const started = Date.now();
        await play(d, rest);
        life.check();
        if (args.once && !life.signal.aborted) {
          out(`replay done in ${seconds(Date.now() - started)}`);
          await finalReport(d);
        } else if (!args.once) {
          // Stopped (Ctrl-C): what the run showed, in one place.
          tracker.finish();
          out();
          warningsReport(d, isTTY);
          out(summaryLine(d, null));
        }
      }
    } finally {
      stopping = true;
    }
    life.check();
  } catch (e) {
    // After Ctrl-C, calls cut short by the abort fail; that is the requested stop, not an error.
    exitCode =
      e instanceof StopRequested || (life.stopSignal !== null && life.fatal === null) ? 0 : report(e);
  } finally {
    if (wrangler) {
      out(`stopping wrangler dev (process group ${wrangler.pid})…`);
      const r = await wrangler.stop();
      await watchdog;
      if (r.leftovers.length > 0) {
        process.stderr.write(
          `could not stop: ${r.leftovers.map((p) => `${p.pid} ${p.command.slice(0, 80)}`).join("; ")}\n`,
        );
        exitCode = 1;
      } else {
        out(`wrangler dev stopped${r.forced ? " (after SIGKILL)" : ""}; no process of its group is left.`);
      }
    }
    await rm(stateDir, { recursive: true, force: true });
  }
  return exitCode;
}

function report(e: unknown): number {
  if (e instanceof StartError || e instanceof WranglerError) {
    process.stderr.write(`\nnpm start: ${e.message}\n${e.hint ? `${e.hint}\n` : ""}`);
    return e instanceof StartError ? e.exitCode : 1;
  }
  process.stderr.write(`\nnpm start failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

try {
  process.exitCode = await main();
} catch (e) {
  process.exitCode = report(e);
}
