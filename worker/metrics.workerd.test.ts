import { env, listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Prediction } from "../contracts/prediction.ts";
import { call, json, SEED_POINT, series, type ErrorBody } from "./testing/http.ts";

interface One {
  host: string;
  accepted: number;
  duplicates: number;
  dropped_late: number;
  prediction: Prediction | null;
}
interface Batch {
  accepted: number;
  duplicates: number;
  dropped_late: number;
  hosts: One[];
}

describe("POST /metrics — happy", () => {
  it("accepts the seed's body exactly and answers with the host's prediction", async () => {
    const res = await call("/metrics?host=seed-1", { body: SEED_POINT });
    expect(res.status).toBe(200);
    const r = await json<One>(res);
    expect(r).toMatchObject({ host: "seed-1", accepted: 1, duplicates: 0, dropped_late: 0 });
    const p = r.prediction!;
    expect(Object.keys(p.risk)).toEqual(["5m", "15m", "30m"]);
    for (const v of Object.values(p.risk)) expect(v).toBeGreaterThanOrEqual(0);
    expect(["ok", "warning", "critical"]).toContain(p.level);
    expect(Object.keys(p.anomaly).sort()).toEqual([
      "cpu_usage",
      "error_rate",
      "memory_usage",
      "network_latency",
    ]);
    expect(p.model_version).toMatch(/^\d{8}-[0-9a-f]{8}$/);
    expect(Math.abs(Date.parse(p.as_of) - Date.now())).toBeLessThan(60_000);
  });

  it("takes the host from X-Host, else 'default'", async () => {
    const a = await json<One>(
      await call("/metrics", { body: SEED_POINT, headers: { "x-host": "hdr-host" } }),
    );
    expect(a.host).toBe("hdr-host");
    const b = await json<One>(await call("/metrics", { body: SEED_POINT }));
    expect(b.host).toBe("default");
  });

  it("accepts host, ISO or epoch-ms timestamps, extra metrics and labels, and keeps them in history", async () => {
    const t = Date.now() - 120_000;
    const body = {
      host: "rich-1",
      timestamp: new Date(t).toISOString(),
      ...SEED_POINT,
      metrics: { disk_usage: 71.2, "gc.pause_ms": 3 },
      labels: { region: "eu-west", role: "api" },
    };
    expect((await call("/metrics", { body })).status).toBe(200);
    expect((await call("/metrics", { body: { ...body, timestamp: t + 60_000 } })).status).toBe(200);
    const h = await json<{ points: { timestamp: number; metrics?: object; labels?: object }[] }>(
      await call("/hosts/rich-1/history"),
    );
    expect(h.points.map((p) => p.timestamp)).toEqual([t, t + 60_000]);
    expect(h.points[0]).toMatchObject({
      metrics: { disk_usage: 71.2, "gc.pause_ms": 3 },
      labels: { region: "eu-west" },
    });
  });

  it("groups a batch by host: one result per host, points scored as one series", async () => {
    const end = Date.now() - 1000;
    const points = [...series(120, end, 60_000, "batch-a"), ...series(60, end, 60_000, "batch-b")];
    const res = await call("/metrics", { body: { points } });
    expect(res.status).toBe(200);
    const r = await json<Batch>(res);
    expect(r.accepted).toBe(180);
    expect(r.hosts.map((h) => [h.host, h.accepted])).toEqual([
      ["batch-a", 120],
      ["batch-b", 60],
    ]);
    // 120 one-minute points → 119 closed steps committed, the newest still open.
    expect(r.hosts[0]!.prediction!.steps_seen).toBe(119);
  });

  it("ignores exact duplicates (first wins) and drops points older than the open step, deterministically", async () => {
    const end = Date.now() - 1000;
    const pts = series(10, end, 60_000, "dup-1");
    expect((await json<Batch>(await call("/metrics", { body: { points: pts } }))).accepted).toBe(10);
    // The same batch again: every timestamp is already stored.
    const again = await json<Batch>(await call("/metrics", { body: { points: pts } }));
    expect(again).toMatchObject({ accepted: 0, duplicates: 10, dropped_late: 0 });
    // Within one request, the second copy of a timestamp is a duplicate too.
    const t = end + 500;
    const twice = await json<Batch>(
      await call("/metrics", {
        body: {
          points: [
            { host: "dup-1", timestamp: t, cpu_usage: 50 },
            { host: "dup-1", timestamp: t, cpu_usage: 99 },
          ],
        },
      }),
    );
    expect(twice).toMatchObject({ accepted: 1, duplicates: 1 });
    // A new timestamp far behind the open step is late: dropped, not stored.
    const late = await json<Batch>(
      await call("/metrics", {
        body: { points: [{ host: "dup-1", timestamp: end - 30 * 60_000 + 7, cpu_usage: 10 }] },
      }),
    );
    expect(late).toMatchObject({ accepted: 0, dropped_late: 1 });
    const h = await json<{ points: { cpu_usage?: number; timestamp: number }[] }>(
      await call("/hosts/dup-1/history"),
    );
    expect(h.points).toHaveLength(11);
    expect(h.points.find((p) => p.timestamp === t)!.cpu_usage).toBe(50);
  });

  it("accepts the README's batch, with the timestamps its curl computes", async () => {
    // `$(( ($(date +%s) - 60) * 1000 ))` and `$(date -u +%FT%TZ)`: whole seconds.
    const nowS = Math.floor(Date.now() / 1000);
    const body = `{"points": [
  {"host": "readme-7", "timestamp": ${(nowS - 60) * 1000}, "cpu_usage": 45.2, "memory_usage": 94.9,
   "network_latency": 267.0, "error_rate": 0.0326, "metrics": {"disk_usage": 71.2}, "labels": {"region": "eu-west"}},
  {"host": "readme-7", "timestamp": "${new Date(nowS * 1000).toISOString().replace(".000Z", "Z")}", "cpu_usage": 45.8, "memory_usage": 95.2,
   "network_latency": 377.1, "error_rate": 0.035}
]}`;
    const res = await call("/metrics", { body });
    expect(res.status).toBe(200);
    expect(await json<Batch>(res)).toMatchObject({ accepted: 2, duplicates: 0, dropped_late: 0 });
  });

  it("accepts out-of-order points within the open step", async () => {
    const base = Date.now() - 10_000;
    const r = await json<Batch>(
      await call("/metrics", {
        body: {
          points: [
            { host: "ooo-1", timestamp: base, cpu_usage: 30 },
            { host: "ooo-1", timestamp: base - 2000, cpu_usage: 31 },
          ],
        },
      }),
    );
    expect(r).toMatchObject({ accepted: 2, dropped_late: 0 });
  });
});

describe("POST /metrics — errors", () => {
  const cases: [string, unknown, string][] = [
    ["cpu over 100", { cpu_usage: 100.5 }, "cpu_usage"],
    ["negative memory", { memory_usage: -1 }, "memory_usage"],
    ["negative latency", { network_latency: -0.1 }, "network_latency"],
    ["error rate above 1", { error_rate: 1.5 }, "error_rate"],
    ["string metric", { cpu_usage: "75" }, "cpu_usage"],
    ["huge number (Infinity)", '{"cpu_usage": 1e999}', "cpu_usage"],
    ["unknown field", { cpu_usge: 10 }, "cpu_usge"],
    ["no metric at all", { host: "x" }, "(body)"],
    ["bad host", { host: "bad host!", cpu_usage: 1 }, "host"],
    ["timestamp in seconds", { cpu_usage: 1, timestamp: 1_700_000_000 }, "timestamp"],
    ["timestamp not a date", { cpu_usage: 1, timestamp: "yesterday" }, "timestamp"],
    ["bad extra metric", { cpu_usage: 1, metrics: { disk: "full" } }, "metrics.disk"],
    ["empty batch", { points: [] }, "points"],
    [
      "bad point in a batch",
      { points: [{ cpu_usage: 1 }, { cpu_usage: 1, error_rate: 2 }] },
      "points.1.error_rate",
    ],
  ];
  for (const [name, body, path] of cases) {
    it(`400 for ${name}, naming ${path}`, async () => {
      const res = await call("/metrics?host=err-host", { body });
      expect(res.status).toBe(400);
      const e = await json<ErrorBody>(res);
      expect(e.error.code).toBe("invalid_field");
      expect(e.error.issues!.map((i) => i.path)).toContain(path);
    });
  }

  it("400 for a timestamp more than 5 minutes in the future", async () => {
    const res = await call("/metrics?host=err-host", {
      body: { cpu_usage: 1, timestamp: Date.now() + 6 * 60_000 },
    });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.issues![0]!.path).toBe("timestamp");
  });

  it("400 for NaN and malformed JSON", async () => {
    for (const body of ['{"cpu_usage": NaN}', '{"cpu_usage": 1', ""]) {
      const res = await call("/metrics?host=err-host", { body });
      expect(res.status).toBe(400);
      expect((await json<ErrorBody>(res)).error.code).toBe("invalid_json");
    }
  });

  it("400 for a bad ?host= / X-Host", async () => {
    const q = await call("/metrics?host=" + encodeURIComponent("a/b"), { body: SEED_POINT });
    expect(q.status).toBe(400);
    expect((await json<ErrorBody>(q)).error.issues![0]!.path).toBe("query.host");
    const h = await call("/metrics", { body: SEED_POINT, headers: { "x-host": "-dash-first" } });
    expect((await json<ErrorBody>(h)).error.issues![0]!.path).toBe("header.x-host");
  });

  it("413 for more than 1000 points and for bodies over 1 MiB", async () => {
    const many = {
      points: Array.from({ length: 1001 }, (_, i) => ({ timestamp: Date.now() - i, cpu_usage: 1 })),
    };
    const a = await call("/metrics", { body: many });
    expect(a.status).toBe(413);
    expect((await json<ErrorBody>(a)).error.code).toBe("payload_too_large");
    const big = JSON.stringify({ cpu_usage: 1, labels: { pad: "x".repeat(1024 * 1024) } });
    expect((await call("/metrics", { body: big })).status).toBe(413);
  });

  it("415 when the body is not declared as JSON", async () => {
    const res = await call("/metrics", {
      body: JSON.stringify(SEED_POINT),
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(415);
    expect((await json<ErrorBody>(res)).error.code).toBe("unsupported_media_type");
  });

  it("405 with Allow for a wrong method, 404 JSON for an unknown path", async () => {
    const a = await call("/metrics", { method: "GET" });
    expect(a.status).toBe(405);
    expect(a.headers.get("allow")).toBe("POST");
    const d = await call("/hosts/web-1/prediction", { method: "DELETE" });
    expect(d.status).toBe(405);
    expect(d.headers.get("allow")).toBe("GET");
    const b = await call("/nope");
    expect(b.status).toBe(404);
    expect((await json<ErrorBody>(b)).error.code).toBe("not_found");
  });

  it("stores nothing from a rejected request, even when most of the batch is valid", async () => {
    const points = [
      ...series(5, Date.now() - 1000, 60_000, "reject-1"),
      { host: "reject-1", cpu_usage: 101 },
    ];
    expect((await call("/metrics", { body: { points } })).status).toBe(400);
    // The request never reached the host's object: it was not even created.
    const target = env.HOST_MONITOR.idFromName("acme/reject-1");
    expect((await listDurableObjectIds(env.HOST_MONITOR)).some((id) => id.equals(target))).toBe(false);
    expect((await call("/hosts/reject-1/prediction")).status).toBe(404);
    expect((await call("/hosts/reject-1/history")).status).toBe(404);
  });
});

describe("POST /metrics — error messages speak the API", () => {
  /** The issues of a 400 `invalid_field` answer to `body`. */
  async function issues(body: unknown, path = "/metrics?host=msg-host") {
    const res = await call(path, { body });
    expect(res.status).toBe(400);
    const e = await json<ErrorBody>(res);
    expect(e.error.code).toBe("invalid_field");
    return e.error.issues!;
  }

  it("keeps the body shape; the message is the first issue's path and message", async () => {
    const res = await call("/metrics?host=msg-host", { body: { cpu_usage: "75" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_field",
        message: "cpu_usage: must be a number, not a string",
        issues: [{ path: "cpu_usage", message: "must be a number, not a string" }],
      },
    });
  });

  const cases: [string, unknown, { path: string; message: string }[]][] = [
    [
      "an unknown field, named in the path",
      { points: [{ cpu_usage: 1 }, { cpu_usage: 1, cpu_usge: 2 }] },
      [{ path: "points.1.cpu_usge", message: "unknown field 'cpu_usge'" }],
    ],
    [
      "a point with no metric",
      { host: "x" },
      [
        {
          path: "(body)",
          message:
            "a point needs at least one of cpu_usage, memory_usage, network_latency, error_rate or a non-empty metrics object",
        },
      ],
    ],
    [
      "a timestamp that is not a date",
      { cpu_usage: 1, timestamp: "yesterday" },
      [{ path: "timestamp", message: "must be ISO-8601 with a time zone, or epoch milliseconds" }],
    ],
    [
      "a timestamp of the wrong type",
      { cpu_usage: 1, timestamp: true },
      [{ path: "timestamp", message: "must be ISO-8601 with a time zone, or epoch milliseconds" }],
    ],
    [
      "a timestamp in seconds",
      { cpu_usage: 1, timestamp: 1_700_000_000 },
      [
        {
          path: "timestamp",
          message: "must be epoch milliseconds from 2000-01-01 on (a smaller number is usually seconds)",
        },
      ],
    ],
    [
      "a fractional timestamp",
      { cpu_usage: 1, timestamp: 1_700_000_000_000.5 },
      [{ path: "timestamp", message: "must be an integer (epoch milliseconds)" }],
    ],
    [
      "an infinite metric",
      '{"cpu_usage": 1e999}',
      [{ path: "cpu_usage", message: "must be a finite number" }],
    ],
    [
      "a label value too long",
      { cpu_usage: 1, labels: { k: "v".repeat(257) } },
      [{ path: "labels.k", message: "must be at most 256 characters" }],
    ],
    [
      "a bad extra metric name",
      { cpu_usage: 1, metrics: { "bad name": 1 } },
      [
        {
          path: "metrics.bad name",
          message:
            "is not a valid metric name: 1–64 letters, digits and _ . : -, starting with a letter or _",
        },
      ],
    ],
    ["a body that is not an object", 5, [{ path: "(body)", message: "must be a JSON object, not a number" }]],
    ["an empty batch", { points: [] }, [{ path: "points", message: "must not be empty" }]],
  ];
  for (const [name, body, expected] of cases) {
    it(`400 for ${name}`, async () => {
      expect(await issues(body)).toEqual(expected);
    });
  }

  it("the error example in the README", async () => {
    const res = await call("/metrics", {
      body: { points: [{ cpu_usage: 1 }, { cpu_usage: 1, timestamp: "yesterday", error_rate: 2 }] },
    });
    expect(await res.json()).toEqual({
      error: {
        code: "invalid_field",
        message: "points.1.timestamp: must be ISO-8601 with a time zone, or epoch milliseconds (and 1 more)",
        issues: [
          { path: "points.1.timestamp", message: "must be ISO-8601 with a time zone, or epoch milliseconds" },
          { path: "points.1.error_rate", message: "must be a fraction 0..1" },
        ],
      },
    });
  });
});

describe("POST /metrics — points older than the retention", () => {
  const retentionMs = Number(env.RETENTION_HOURS ?? 168) * 3_600_000;
  const tooOld = `older than the retention of ${Number(env.RETENTION_HOURS ?? 168)} h (RETENTION_HOURS); it would be deleted by the next hourly trim`;
  const created = async (host: string) => {
    const target = env.HOST_MONITOR.idFromName(`acme/${host}`);
    return (await listDurableObjectIds(env.HOST_MONITOR)).some((id) => id.equals(target));
  };

  it("accepts a point just inside the retention and keeps it in history", async () => {
    const t = Date.now() - retentionMs + 60_000;
    const res = await call("/metrics?host=ret-in", { body: { cpu_usage: 1, timestamp: t } });
    expect(res.status).toBe(200);
    expect(await json<One>(res)).toMatchObject({ host: "ret-in", accepted: 1 });
    const h = await json<{ points: { timestamp: number }[] }>(await call("/hosts/ret-in/history?from=0"));
    expect(h.points.map((p) => p.timestamp)).toEqual([t]);
  });

  it("400 naming the timestamp for a point just outside the retention; nothing stored", async () => {
    const t = new Date(Date.now() - retentionMs - 60_000).toISOString();
    const res = await call("/metrics?host=ret-out", { body: { cpu_usage: 1, timestamp: t } });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error).toEqual({
      code: "invalid_field",
      message: `timestamp: ${tooOld}`,
      issues: [{ path: "timestamp", message: tooOld }],
    });
    expect(await created("ret-out")).toBe(false);
  });

  it("a batch with one point outside the retention stores nothing, for any of its hosts", async () => {
    const end = Date.now() - 1000;
    const points = [
      ...series(5, end, 60_000, "ret-mix-a"),
      { host: "ret-mix-b", timestamp: end - retentionMs - 60_000, cpu_usage: 1 },
      ...series(5, end, 60_000, "ret-mix-b"),
    ];
    for (const path of ["/metrics", "/metrics/validate"]) {
      const res = await call(path, { body: { points } });
      expect(res.status, path).toBe(400);
      expect((await json<ErrorBody>(res)).error.issues).toEqual([
        { path: "points.5.timestamp", message: tooOld },
      ]);
    }
    for (const host of ["ret-mix-a", "ret-mix-b"]) {
      expect(await created(host)).toBe(false);
      expect((await call(`/hosts/${host}/history`)).status).toBe(404);
    }
    // Nothing reached the index either (it is only written after an ingest).
    const listed = await json<{ hosts: { host: string }[] }>(await call("/hosts?limit=1000"));
    expect(listed.hosts.map((h) => h.host)).not.toContain("ret-mix-a");
  });
});

describe("POST /metrics/validate", () => {
  it("validates like POST /metrics and stores nothing", async () => {
    const points = series(20, Date.now() - 1000, 60_000, "validate-1");
    const ok = await call("/metrics/validate", { body: { points } });
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ valid: true, points: 20, hosts: 1 });
    const bad = await call("/metrics/validate", { body: { points: [...points, { cpu_usage: -5 }] } });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.issues![0]!.path).toBe("points.20.cpu_usage");
    expect((await call("/hosts/validate-1/prediction")).status).toBe(404);
    expect((await call("/metrics/validate", { body: points[0], key: "acmeRead" })).status).toBe(403);
  });
});
