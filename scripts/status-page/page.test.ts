/**
 * The status page in a real browser: Debian's Chromium driven by playwright-core against `wrangler
 * dev` (workerd, the Worker, the Durable Objects, the page built by wrangler's `[build]` step) with a
 * simulated fleet posted through the API. Checks what a user sees — the prompt without a key, the
 * error for a wrong key, the message for an empty fleet, the failing host ranked first with a
 * warning, the host view's charts — and the page's security headers. Saves screenshots under
 * `.data/status-page/`. Skipped loudly when Chromium is missing.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema, HealthSchema } from "../../contracts/api.ts";
import { WranglerDev } from "../lib/wrangler-dev.ts";
import { demoFleet, seedFleet, type DemoFleet } from "./fleet.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(ROOT, ".data", "status-page");
/** Bound of every wait for something to appear on the page, ms. */
const UI_TIMEOUT_MS = 20_000;

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `SKIPPED: status page browser test — no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

const key = (name: string) => `sp_${name}_${randomBytes(12).toString("base64url")}`;
const KEYS = { fleet: key("fleet"), empty: key("empty"), writeOnly: key("wo") };

let dir = "";
let wrangler: WranglerDev | null = null;
let url = "";
let fleet: DemoFleet;
let browser: Browser | null = null;
/** Console errors and CSP violations seen on any page. */
const browserProblems: string[] = [];

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  if (!browser) throw new Error("no browser");
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 40[13]/.test(m.text())) browserProblems.push(m.text());
  });
  page.on("pageerror", (e) => browserProblems.push(`pageerror: ${e.message}`));
  return { context, page };
}

async function enterKey(page: Page, k: string): Promise<void> {
  await page.locator("#key-input").fill(k);
  await page.locator("#key-form button[type=submit]").click();
}

describe.skipIf(!hasChromium)("status page in Chromium against wrangler dev", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "status-page-"));
    const entries = [
      { tenant: "fleet", key: KEYS.fleet, scopes: ["write", "read"] },
      { tenant: "empty", key: KEYS.empty, scopes: ["read"] },
      { tenant: "fleet", key: KEYS.writeOnly, scopes: ["write"] },
    ].map((e) => ({
      tenant: e.tenant,
      sha256: createHash("sha256").update(e.key).digest("hex"),
      scopes: e.scopes,
    }));
    const envFile = join(dir, "dev.vars");
    await writeFile(envFile, `API_KEYS='${JSON.stringify(entries)}'\n`, { mode: 0o600 });
    wrangler = WranglerDev.start({
      cwd: ROOT,
      ip: "127.0.0.1",
      port: 0,
      envFile,
      persistTo: join(dir, "state"),
      registryPath: join(dir, "registry"),
      watch: false,
      logFile: join(dir, "wrangler.log"),
    });
    url = await wrangler.serving(async (u) => {
      const res = await fetch(`${u}/health`);
      return res.status === 200 && HealthSchema.parse(await res.json()).inference.ready;
    }, 150_000);
    fleet = demoFleet({ nowMs: Date.now() });
    await seedFleet({ url, key: KEYS.fleet, fleet });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Chromium's sandbox cannot run as root (CI containers).
      args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
    });
    await mkdir(SHOTS, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await wrangler?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("serves the page and its assets with the security headers; the API's JSON answers are unchanged", async () => {
    for (const [path, type] of [
      ["/", "text/html"],
      ["/build/app.js", "javascript"],
      ["/build/uPlot.min.css", "text/css"],
      ["/style.css", "text/css"],
    ] as const) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain(type);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).not.toContain("unsafe-eval");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
    // The page has no inline script or style to begin with.
    const html = await (await fetch(`${url}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);

    // API routes: JSON as before, no page headers.
    const noKey = await fetch(`${url}/hosts`);
    expect(noKey.status).toBe(401);
    expect(ErrorBodySchema.parse(await noKey.json()).error.code).toBe("unauthorized");
    const unknown = await fetch(`${url}/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(ErrorBodySchema.parse(await unknown.json()).error.code).toBe("not_found");
    const wrongMethod = await fetch(`${url}/hosts`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect(ErrorBodySchema.parse(await wrongMethod.json()).error.code).toBe("method_not_allowed");
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(HealthSchema.parse(await health.json()).status).toBe("ok");
    // The headers file configures the asset server; it is not an asset itself.
    expect((await fetch(`${url}/_headers`)).status).toBe(404);
  });

  it("without a key shows the prompt; a wrong key, a key without read scope and an empty fleet each their message", async () => {
    const { context, page } = await newPage();
    await page.goto(url);
    await page.locator("#key-form").waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator("#key-form h2").textContent()).toBe("Paste a read key");
    expect(await page.locator("#key-error").count()).toBe(0);

    await enterKey(page, "edp_local_not-a-real-key");
    await page.locator("#key-error").waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator("#key-error").textContent()).toMatch(/That key was rejected \(401/);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await page.screenshot({ path: join(SHOTS, "prompt-wrong-key.png") });

    await enterKey(page, KEYS.writeOnly);
    await page.locator("#key-error", { hasText: "403" }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator("#key-error").textContent()).toMatch(/cannot read \(403/);

    await enterKey(page, KEYS.empty);
    await page.locator("#fleet-empty").waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page.locator("#fleet-empty h2").textContent()).toBe("No hosts yet");
    expect(await page.locator("#fleet-empty pre").textContent()).toContain(`${url}/metrics`);
    // The key never reaches the URL or a cookie.
    expect(page.url()).not.toContain(KEYS.empty);
    expect(await context.cookies()).toEqual([]);
    await page.screenshot({ path: join(SHOTS, "prompt-empty.png") });
    await context.close();
  });

  it("ranks the failing host first with a warning, flags the silent host and refreshes by itself", async () => {
    const { context, page } = await newPage();
    await page.goto(url);
    await enterKey(page, KEYS.fleet);
    await page.locator("#fleet-table tbody tr").first().waitFor({ timeout: UI_TIMEOUT_MS });
    const rows = page.locator("#fleet-table tbody tr");
    expect(await rows.count()).toBe(fleet.healthy.length + 2);
    const first = rows.first();
    expect(await first.getAttribute("data-host")).toBe(fleet.failing);
    expect(["warning", "critical"]).toContain(await first.getAttribute("data-level"));
    expect(await first.locator(".badge").first().textContent()).toMatch(/Warning|Critical/);
    // Its top contributor comes from its full prediction; its time to breach is named.
    await first.locator(".contrib strong").waitFor({ timeout: UI_TIMEOUT_MS });
    for (const h of fleet.healthy) {
      expect(await page.locator(`tr[data-host="${h}"]`).getAttribute("data-level")).toBe("ok");
      expect(await page.locator(`tr[data-host="${h}"] .badge-silent`).count()).toBe(0);
    }
    expect(await page.locator(`tr[data-host="${fleet.silent}"] .badge-silent`).textContent()).toMatch(
      /^silent /,
    );

    // The key lives in this tab's sessionStorage only.
    expect(page.url()).not.toContain(KEYS.fleet);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate("Object.values(sessionStorage)")).toEqual([KEYS.fleet]);

    // Live refresh: the status line moves on without any action.
    const before = await page.locator("#status").textContent();
    // (Locators, not waitForFunction: the page's CSP forbids the string evaluation that needs.)
    await page.locator("#status", { hasNotText: before ?? "" }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.screenshot({ path: join(SHOTS, "fleet.png") });

    // A reload keeps the key (same tab); a new tab asks again.
    await page.reload();
    await page.locator("#fleet-table").waitFor({ timeout: UI_TIMEOUT_MS });
    const other = await context.newPage();
    await other.goto(url);
    await other.locator("#key-form").waitFor({ timeout: UI_TIMEOUT_MS });
    await context.close();
  });

  it("the host view draws its charts with the level transition, time to breach and contributors", async () => {
    const { context, page } = await newPage();
    await page.goto(url);
    await enterKey(page, KEYS.fleet);
    await page.locator(`tr[data-host="${fleet.failing}"] a`).click();
    await page.locator("#host-view .chart canvas").nth(4).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(page.url()).toBe(`${url}/#/host/${fleet.failing}`);
    expect(await page.locator("#host-view h2").textContent()).toBe(fleet.failing);

    const charts = [];
    for (const fig of await page.locator("#host-view figure.chart").all()) {
      const box = await fig.locator("canvas").boundingBox();
      charts.push({
        id: (await fig.getAttribute("id")) ?? "",
        series: Number(await fig.getAttribute("data-series")),
        legend: await fig.locator(".u-legend .u-series").count(),
        width: box?.width ?? 0,
        height: box?.height ?? 0,
      });
    }
    expect(charts.map((c) => c.id)).toEqual([
      "chart-risk",
      "chart-cpu_usage",
      "chart-memory_usage",
      "chart-network_latency",
      "chart-error_rate",
    ]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(200);
      expect(c.height, c.id).toBeGreaterThan(100);
      // uPlot's legend lists the x series first.
      expect(c.legend, c.id).toBe(c.series + 1);
    }
    expect(charts[0]!.series).toBe(3); // 5, 15 and 30 min
    for (const c of charts.slice(1)) expect(c.series, c.id).toBe(1);

    // The ok → warning transition is marked and listed; breach times and contributors are shown.
    const view = page.locator("#host-view");
    expect(Number(await view.getAttribute("data-transitions"))).toBeGreaterThanOrEqual(1);
    expect(Number(await view.getAttribute("data-points"))).toBeGreaterThan(300);
    expect(await page.locator("#transitions li").first().textContent()).toMatch(
      /ok → warning|warning → critical/,
    );
    expect(await page.locator("#time-to-breach li").count()).toBe(4);
    expect(await page.locator("#contributors tbody tr").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator(".host-title .badge").textContent()).toMatch(/Warning|Critical/);
    await page.screenshot({ path: join(SHOTS, "host.png"), fullPage: true });

    // The range buttons redraw the same charts over another window.
    const points6h = Number(await view.getAttribute("data-points"));
    await page.locator('button.range[data-range="1"]').click();
    await page.locator('#host-view[data-range="1"]').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(Number(await view.getAttribute("data-points"))).toBeLessThan(points6h / 3);
    expect(await page.locator("#host-view .chart canvas").count()).toBe(5);
    await page.locator("a.back").click();
    await page.locator("#fleet-table").waitFor({ timeout: UI_TIMEOUT_MS });
    await context.close();
  });

  it("no CSP violation or script error on any page", () => {
    expect(browserProblems).toEqual([]);
  });
});
