import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { indexObjectName, PRUNE_EVERY_MS, shardOf, type HostIndex } from "../durable-objects/host-index.ts";
import type { Prediction } from "../contracts/prediction.ts";
import { call, json, series, type ErrorBody } from "./testing/http.ts";

interface Listed {
  host: string;
  level: string;
  risk: number;
  as_of: string;
  silent_s: number;
}

describe("GET /hosts/:host/prediction and /history", () => {
  it("404 for a host with no data; the stored prediction afterwards", async () => {
    const none = await call("/hosts/quiet-1/prediction");
    expect(none.status).toBe(404);
    expect((await json<ErrorBody>(none)).error.code).toBe("not_found");
    const posted = await json<{ prediction: Prediction }>(
      await call("/metrics", { body: { points: series(30, Date.now() - 1000, 60_000, "quiet-1") } }).then(
        async (r) => {
          const b = await json<{ hosts: { prediction: Prediction }[] }>(r);
          return Response.json(b.hosts[0]);
        },
      ),
    );
    const got = await json<Prediction>(await call("/hosts/quiet-1/prediction"));
    expect(got).toEqual(posted.prediction);
  });

  it("history honours from/to/limit and validates them", async () => {
    const end = Date.now() - 1000;
    await call("/metrics", { body: { points: series(50, end, 60_000, "hist-1") } });
    const from = end - 9 * 60_000;
    const h = await json<{ points: { timestamp: number }[]; predictions: Prediction[]; truncated: boolean }>(
      await call(`/hosts/hist-1/history?from=${from}&to=${new Date(end + 1).toISOString()}`),
    );
    expect(h.points.map((p) => p.timestamp)).toEqual(Array.from({ length: 10 }, (_, i) => from + i * 60_000));
    expect(h.predictions).toHaveLength(1);
    const lim = await json<{ points: unknown[]; truncated: boolean }>(
      await call(`/hosts/hist-1/history?limit=5&from=0`),
    );
    expect(lim.points).toHaveLength(5);
    expect(lim.truncated).toBe(true);
    for (const q of ["from=yesterday", "limit=0", "limit=10001", `from=${end}&to=${end - 1}`]) {
      const res = await call(`/hosts/hist-1/history?${q}`);
      expect(res.status, q).toBe(400);
      expect((await json<ErrorBody>(res)).error.issues![0]!.path).toMatch(/^query\./);
    }
  });

  it("400 for a bad host name in the path", async () => {
    const res = await call(`/hosts/${encodeURIComponent("bad host")}/prediction`);
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.issues).toEqual([
      {
        path: "path.host",
        message: "must be 1–128 characters of letters, digits and . _ : -, starting with a letter or digit",
      },
    ]);
  });

  it("names the query parameter and what it must be", async () => {
    const instant = "must be ISO-8601 with a time zone, or epoch milliseconds";
    const cases: [string, string, string][] = [
      ["from=yesterday", "query.from", instant],
      ["to=2026-13-01T00:00:00Z", "query.to", instant],
      ["limit=0", "query.limit", "must be an integer 1..10000"],
      ["limit=10001", "query.limit", "must be an integer 1..10000"],
      ["limit=abc", "query.limit", "must be an integer 1..10000"],
      ["from=2000&to=1000", "query.from", "must be before to"],
    ];
    for (const [q, path, message] of cases) {
      const res = await call(`/hosts/hist-any/history?${q}`);
      expect(res.status, q).toBe(400);
      expect((await json<ErrorBody>(res)).error, q).toEqual({
        code: "invalid_field",
        message: `${path}: ${message}`,
        issues: [{ path, message }],
      });
    }
  });
});

describe("GET /hosts", () => {
  it("ranks the tenant's hosts by level then risk, across shards", async () => {
    const end = Date.now() - 1000;
    const names = ["rank-a", "rank-b", "rank-c", "rank-d", "rank-e"];
    // rank-c heads for an OOM: memory climbing steeply with errors rising.
    const points = names.flatMap((h) =>
      series(90, end, 60_000, h).map((p, i) =>
        h === "rank-c"
          ? { ...p, memory_usage: Math.min(99.5, 55 + i * 0.5), error_rate: Math.min(0.5, 0.002 + i * 0.002) }
          : p,
      ),
    );
    const posted = await json<{ hosts: { host: string; prediction: Prediction }[] }>(
      await call("/metrics", { body: { points } }),
    );
    // The index is refreshed in the background (waitUntil); poll briefly.
    let list: { hosts: Listed[]; total: number; shards: number } = { hosts: [], total: 0, shards: 0 };
    for (let i = 0; i < 50; i++) {
      list = await json(await call("/hosts?limit=1000"));
      if (names.every((n) => list.hosts.some((h) => h.host === n))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = list.hosts.filter((h) => names.includes(h.host));
    expect(mine).toHaveLength(5);
    const sev: Record<string, number> = { ok: 0, warning: 1, critical: 2 };
    for (let i = 1; i < list.hosts.length; i++) {
      const [a, b] = [list.hosts[i - 1]!, list.hosts[i]!];
      expect(sev[a.level]! > sev[b.level]! || (a.level === b.level && a.risk >= b.risk)).toBe(true);
    }
    const riskOf = (h: string) => posted.hosts.find((x) => x.host === h)!.prediction.risk["30m"]!;
    expect(riskOf("rank-c")).toBeGreaterThan(riskOf("rank-a"));
    expect(mine[0]!.host).toBe("rank-c");
    for (const h of mine) expect(h.silent_s).toBeLessThan(120); // they have just sent
    expect(list.shards).toBe(8);
    const limited = await json<{ hosts: Listed[] }>(await call("/hosts?limit=2"));
    expect(limited.hosts).toHaveLength(2);
  });

  it("400 naming the query parameter and what it must be", async () => {
    const cases: [string, string, string][] = [
      ["limit=abc", "query.limit", "must be an integer 1..1000"],
      ["limit=0", "query.limit", "must be an integer 1..1000"],
      ["limit=1001", "query.limit", "must be an integer 1..1000"],
      ["limit=2.5", "query.limit", "must be an integer 1..1000"],
      ["level=bad", "query.level", "must be one of ok, warning, critical"],
    ];
    for (const [q, path, message] of cases) {
      const res = await call(`/hosts?${q}`);
      expect(res.status, q).toBe(400);
      expect((await json<ErrorBody>(res)).error, q).toEqual({
        code: "invalid_field",
        message: `${path}: ${message}`,
        issues: [{ path, message }],
      });
    }
    // Both wrong: both named, the first in the message.
    const both = await json<ErrorBody>(await call("/hosts?limit=-1&level=WARNING"));
    expect(both.error.message).toBe("query.limit: must be an integer 1..1000 (and 1 more)");
    expect(both.error.issues!.map((i) => i.path)).toEqual(["query.limit", "query.level"]);
  });

  it("says how long each host has been silent", async () => {
    const quietEnd = Date.now() - 30 * 60_000;
    await call("/metrics", { body: { points: series(40, quietEnd, 60_000, "silent-1") } });
    let quiet: Listed | undefined;
    for (let i = 0; i < 50 && !quiet; i++) {
      const list = await json<{ hosts: Listed[] }>(await call("/hosts?limit=1000"));
      quiet = list.hosts.find((h) => h.host === "silent-1");
      if (!quiet) await new Promise((r) => setTimeout(r, 20));
    }
    expect(quiet).toBeDefined();
    // Its newest point is 30 min old, whenever the index entry was written.
    expect(quiet!.silent_s).toBeGreaterThanOrEqual(30 * 60 - 5);
    expect(quiet!.silent_s).toBeLessThan(30 * 60 + 120);
  });

  it("leaves out and then deletes hosts whose entry or newest point is older than the retention", async () => {
    const end = Date.now() - 1000;
    await call("/metrics", {
      body: {
        points: [
          ...series(20, end, 60_000, "expire-1"),
          ...series(20, end, 60_000, "expire-2"),
          ...series(20, end, 60_000, "expire-3"),
        ],
      },
    });
    const listed = async () =>
      (await json<{ hosts: Listed[] }>(await call("/hosts?limit=1000"))).hosts.map((h) => h.host);
    for (let i = 0; i < 50 && !(await listed()).includes("expire-3"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await listed()).toEqual(expect.arrayContaining(["expire-1", "expire-2", "expire-3"]));

    const shardOfHost = (h: string) =>
      env.HOST_INDEX.get(env.HOST_INDEX.idFromName(indexObjectName("acme", shardOf(h, 8))));
    const retentionMs = Number(env.RETENTION_HOURS ?? 168) * 3_600_000;
    // expire-1's entry was last written just over the retention ago; expire-3's was written just now,
    // but its newest point is just over the retention old (silent_s would exceed the retention).
    await runInDurableObject(shardOfHost("expire-1"), (_o: HostIndex, state) => {
      state.storage.sql.exec(
        `UPDATE hosts SET updated_ms = ? WHERE host = 'expire-1'`,
        Date.now() - retentionMs - 1000,
      );
    });
    await runInDurableObject(shardOfHost("expire-3"), (_o: HostIndex, state) => {
      state.storage.sql.exec(
        `UPDATE hosts SET body = json_set(body, '$.as_of', ?) WHERE host = 'expire-3'`,
        new Date(Date.now() - retentionMs - 1000).toISOString(),
      );
    });
    const now = await listed();
    expect(now).not.toContain("expire-1");
    expect(now).not.toContain("expire-3");
    expect(now).toContain("expire-2");

    for (const host of ["expire-1", "expire-3"]) {
      const shard = shardOfHost(host);
      const alarm = await runInDurableObject(shard, (_o: HostIndex, st) => st.storage.getAlarm());
      expect(alarm).not.toBeNull();
      expect(alarm! - Date.now()).toBeLessThanOrEqual(PRUNE_EVERY_MS);
      expect(await runDurableObjectAlarm(shard)).toBe(true);
      const rows = await runInDurableObject(shard, (_o: HostIndex, state) =>
        state.storage.sql
          .exec<{ host: string }>(`SELECT host FROM hosts`)
          .toArray()
          .map((r) => r.host),
      );
      expect(rows).not.toContain(host);
      // Entries remain in the shard, so the alarm came back.
      if (rows.length > 0)
        expect(await runInDurableObject(shard, (_o: HostIndex, st) => st.storage.getAlarm())).not.toBeNull();
    }
    expect(await listed()).toContain("expire-2");
  });
});
