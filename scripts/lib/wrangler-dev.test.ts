import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { groupProcesses, stopGroup } from "./process-group.ts";
import { errorTail, LineTail, resolveWranglerBin, WranglerDev, WranglerError } from "./wrangler-dev.ts";

describe("LineTail", () => {
  it("keeps the last complete lines across chunk boundaries, without colours", () => {
    const t = new LineTail(2);
    expect(t.push("one\ntw")).toEqual(["one"]);
    expect(t.push("o\r\n\x1b[32mthree\x1b[0m\nfou")).toEqual(["two", "three"]);
    expect(t.last()).toEqual(["three", "fou"]);
    expect(t.last(1)).toEqual(["fou"]);
  });
});

describe("errorTail", () => {
  it("drops the per-request log except its last lines", () => {
    const lines = [
      "⛅️ wrangler 4.86.0",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      ...Array.from({ length: 10 }, (_, i) => `[wrangler:info] POST /metrics 200 OK (${i}ms)`),
      "✘ [ERROR] something broke",
      "[wrangler:info] GET /health 200 OK (1ms)",
    ];
    expect(errorTail(lines, 30, 2)).toEqual([
      "⛅️ wrangler 4.86.0",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      "[wrangler:info] POST /metrics 200 OK (9ms)",
      "✘ [ERROR] something broke",
      "[wrangler:info] GET /health 200 OK (1ms)",
    ]);
    expect(errorTail(lines, 2, 2)).toHaveLength(2);
  });
});

describe("resolveWranglerBin", () => {
  it("finds the installed CLI, and says how to install it when missing", () => {
    expect(resolveWranglerBin(process.cwd())).toMatch(/node_modules\/wrangler\/bin\/wrangler\.js$/);
    let error: unknown;
    try {
      resolveWranglerBin("/");
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "WRANGLER_NOT_FOUND", hint: expect.stringContaining("npm ci") });
  });
});

describe.skipIf(process.platform === "win32")("stopGroup", () => {
  const groups: number[] = [];
  afterEach(() => {
    for (const g of groups.splice(0)) {
      try {
        process.kill(-g, "SIGKILL");
      } catch {
        // gone
      }
    }
  });

  /** A shell in its own group with two background children; `trapTerm` makes all three ignore SIGTERM. */
  function tree(trapTerm: boolean): number {
    const script = `${trapTerm ? "trap '' TERM; " : ""}sleep 60 & sleep 60 & wait`;
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    if (child.pid === undefined) throw new Error("spawn failed");
    groups.push(child.pid);
    return child.pid;
  }

  async function members(pgid: number, n: number): Promise<number> {
    for (let i = 0; i < 50 && groupProcesses(pgid).length < n; i++)
      await new Promise((r) => setTimeout(r, 50));
    return groupProcesses(pgid).length;
  }

  it("ends the whole group with SIGTERM, children included", async () => {
    const pgid = tree(false);
    expect(await members(pgid, 3)).toBe(3);
    await expect(stopGroup(pgid, 3000)).resolves.toEqual({ forced: false, leftovers: [] });
    expect(groupProcesses(pgid)).toEqual([]);
  });

  it("escalates to SIGKILL when the group ignores SIGTERM", async () => {
    const pgid = tree(true);
    expect(await members(pgid, 3)).toBe(3);
    await expect(stopGroup(pgid, 300)).resolves.toEqual({ forced: true, leftovers: [] });
    expect(groupProcesses(pgid)).toEqual([]);
  });

  it("is a no-op for a group that is already gone", async () => {
    const pgid = tree(false);
    await stopGroup(pgid, 3000);
    await expect(stopGroup(pgid, 100)).resolves.toEqual({ forced: false, leftovers: [] });
  });
});

describe("WranglerDev on port 0", () => {
  const root = join(import.meta.dirname, "..", "..");
  const devs: WranglerDev[] = [];
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wrangler-dev-"));
    await writeFile(join(dir, "empty.vars"), "");
  });
  afterAll(async () => {
    for (const d of devs) await d.stop(2000);
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  const start = (name: string): WranglerDev => {
    const d = WranglerDev.start({
      cwd: root,
      ip: "127.0.0.1",
      port: 0,
      envFile: join(dir, "empty.vars"),
      persistTo: join(dir, name, "state"),
      registryPath: join(dir, name, "registry"),
      watch: false,
    });
    devs.push(d);
    return d;
  };
  /** Our Worker's own 404 for a path no route has (no other server answers this way). */
  const ours = async (url: string): Promise<boolean> => {
    const r = await fetch(`${url}/__probe`, { signal: AbortSignal.timeout(20_000) });
    const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
    return r.status === 404 && body?.error?.message === "no route GET /__probe";
  };

  it("two at once bind different ports and each is found ready by its own Ready line and probe", async () => {
    const [a, b] = [start("a"), start("b")];
    const [urlA, urlB] = await Promise.all([a.serving(ours, 120_000), b.serving(ours, 120_000)]);
    expect(urlA).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urlB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(urlA).not.toBe(urlB);
    expect(a.url).toBe(urlA);
    for (const d of [a, b]) {
      await expect(d.stop(3000)).resolves.toMatchObject({ leftovers: [] });
      expect(groupProcesses(d.pid)).toEqual([]);
    }
  }, 150_000);

  it("is not ready while the probe fails: times out naming the probe, with wrangler's log", async () => {
    const d = start("c");
    const err = await d.serving(async () => false, 8000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WranglerError);
    expect(err).toMatchObject({ code: "WRANGLER_TIMEOUT" });
    expect((err as Error).message).toMatch(/probe did not pass|no Ready line yet/);
    await d.stop(3000);
    expect(groupProcesses(d.pid)).toEqual([]);
  }, 60_000);
});
