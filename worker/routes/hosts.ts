/**
 * GET /hosts — the tenant's hosts ranked by severity then warning-horizon risk, merged from every shard
 * of the host index (`?limit=` 1..1000, default 100; `?level=warning` for warning and critical only).
 * GET /hosts/:host/prediction — the last prediction (404 for a host with no data).
 * GET /hosts/:host/history?from=&to=&limit= — points, predictions and alert transitions kept in the
 * host's object (bounded retention; `from`/`to` ISO-8601 or epoch ms, default the last 24 h).
 */
import type { Hono } from "hono";
import { z } from "zod";
import type { HostsListing } from "../../contracts/api.ts";
import { LevelSchema, PredictionSchema, severity } from "../../contracts/prediction.ts";
import { HistoryResponseSchema, parseRpc, ShardListingSchema } from "../../contracts/rpc.ts";
import { isoToEpochMs } from "../../contracts/time.ts";
import { guard, type AppContext, type AppEnv } from "../context.ts";
import { ApiError, validate } from "../errors.ts";
import { hostIndexShard, hostMonitor } from "../objects.ts";
import { checkHost } from "./host-param.ts";

const Instant = z.union(
  [
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
    // isoToEpochMs, not Date.parse: the same exact reading as the points' timestamps get.
    z.iso.datetime({ offset: true }).transform((s, ctx) => {
      const ms = isoToEpochMs(s);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: "must be ISO-8601 with a time zone, or epoch milliseconds" });
        return z.NEVER;
      }
      return ms;
    }),
  ],
  { error: "must be ISO-8601 with a time zone, or epoch milliseconds" },
);

/** `?limit=`: an integer in min..max (a query value is a string; "abc", "1.5" and "0" all fail here). */
const Limit = (max: number, def: number) => {
  const error = `must be an integer 1..${max}`;
  return z.coerce.number({ error }).int({ error }).min(1, { error }).max(max, { error }).default(def);
};

const HistoryQuery = z
  .object({ from: Instant.optional(), to: Instant.optional(), limit: Limit(10_000, 1000) })
  .transform((q, ctx) => {
    const to = q.to ?? Date.now() + 1;
    const from = q.from ?? to - 86_400_000;
    if (from >= to) ctx.addIssue({ code: "custom", path: ["from"], message: "must be before to" });
    return { fromMs: from, toMs: to, limit: q.limit };
  });

const ListQuery = z.object({
  limit: Limit(1000, 100),
  level: LevelSchema.default("ok"),
});

function query<T extends z.ZodType>(c: AppContext, schema: T): z.output<T> {
  return validate(schema, c.req.query(), "query");
}

export function hostsRoutes(app: Hono<AppEnv>): void {
  app.get("/hosts", async (c) => {
    const { tenant } = await guard(c, "read");
    const q = query(c, ListQuery);
    const shards = c.get("config").hostIndexShards;
    const parts = await Promise.all(
      Array.from({ length: shards }, async (_, s) =>
        parseRpc(
          ShardListingSchema,
          await hostIndexShard(c.env, tenant, s).list({ limit: q.limit, minLevel: q.level }),
          "index listing",
        ),
      ),
    );
    const hosts = parts
      .flatMap((p) => p.hosts)
      .sort(
        (a, b) => severity(b.level) - severity(a.level) || b.risk - a.risk || a.host.localeCompare(b.host),
      )
      .slice(0, q.limit);
    const body: HostsListing = { hosts, total: parts.reduce((s, p) => s + p.total, 0), shards };
    return c.json(body);
  });

  app.get("/hosts/:host/prediction", async (c) => {
    const { tenant } = await guard(c, "read");
    const host = checkHost(c.req.param("host"), "path.host");
    const p = parseRpc(
      PredictionSchema.nullable(),
      await hostMonitor(c.env, tenant, host).prediction(),
      "prediction",
    );
    if (p === null) throw new ApiError("not_found", `no data for host '${host}'`);
    return c.json(p);
  });

  app.get("/hosts/:host/history", async (c) => {
    const { tenant } = await guard(c, "read");
    const host = checkHost(c.req.param("host"), "path.host");
    const q = query(c, HistoryQuery);
    const h = parseRpc(
      HistoryResponseSchema.nullable(),
      await hostMonitor(c.env, tenant, host).history(q),
      "history",
    );
    if (h === null) throw new ApiError("not_found", `no data for host '${host}'`);
    return c.json(h);
  });
}
