/**
 * HostIndex — one shard of a tenant's host ranking behind `GET /hosts`. A tenant's hosts are spread
 * over N shards by a hash of the host name, so no single object sees all traffic: a HostMonitor's
 * prediction reaches its shard only when the level changes, the warning risk moves by ≥ 0.01, or the
 * entry is a minute old; a listing reads every shard in parallel and merges their top entries.
 *
 * An entry whose newest point (`as_of`) or whose last write is older than the retention period
 * (RETENTION_HOURS, the same that bounds each host's history) is left out of listings and deleted by the
 * shard's alarm: a host that stopped reporting stays visible, with a growing `silent_s`, for as long as
 * its points are kept, then disappears — `silent_s` never exceeds the retention.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { severity } from "../contracts/prediction.ts";
import { IndexEntrySchema, ListRequest, parseRpc, type ShardListing } from "../contracts/rpc.ts";
import { objectSettings } from "./env.ts";

/**
 * SQL condition of an entry still within the retention: written since `?1` (epoch ms) and its newest
 * point at or after `?2` (ISO-8601; `as_of` is always `toISOString()`, so text order is time order).
 */
const LIVE = `updated_ms >= ?1 AND json_extract(body, '$.as_of') >= ?2`;

/** How often a shard's alarm deletes expired entries, ms (while it holds any). */
export const PRUNE_EVERY_MS = 3_600_000;

export class HostIndex extends DurableObject<Cloudflare.Env> {
  private readonly retentionMs: number;
  /** Pending alarm time (read from storage once per instance), or null for none. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.retentionMs = objectSettings(env).retentionMs;
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, severity INTEGER NOT NULL, risk REAL NOT NULL,
        body TEXT NOT NULL, updated_ms INTEGER NOT NULL)`,
    );
    ctx.storage.sql.exec(`CREATE INDEX IF NOT EXISTS hosts_rank ON hosts (severity DESC, risk DESC)`);
  }

  async upsert(input: unknown): Promise<void> {
    const entries = parseRpc(z.array(IndexEntrySchema).max(1000), input, "index entries");
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const e of entries) {
        this.ctx.storage.sql.exec(
          `INSERT INTO hosts (host, severity, risk, body, updated_ms) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (host) DO UPDATE SET severity = excluded.severity, risk = excluded.risk,
             body = excluded.body, updated_ms = excluded.updated_ms
           WHERE excluded.body IS NOT hosts.body`,
          e.host,
          severity(e.level),
          e.risk,
          JSON.stringify(e),
          now,
        );
      }
    });
    this.alarmAt ??= await this.ctx.storage.getAlarm();
    if (this.alarmAt === null) await this.armPrune(now);
  }

  private async armPrune(nowMs: number): Promise<void> {
    this.alarmAt = nowMs + PRUNE_EVERY_MS;
    await this.ctx.storage.setAlarm(this.alarmAt);
  }

  /** Deletes entries older than the retention; comes back while any entry is left. */
  override async alarm(): Promise<void> {
    this.alarmAt = null; // the runtime cleared it by running it
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    const since = now - this.retentionMs;
    sql.exec(`DELETE FROM hosts WHERE NOT (${LIVE})`, since, new Date(since).toISOString());
    if (sql.exec<{ n: number }>(`SELECT count(*) AS n FROM hosts`).one().n > 0) await this.armPrune(now);
  }

  /** This shard's hosts at or above `minLevel`, most severe and riskiest first. */
  async list(input: unknown): Promise<ShardListing> {
    const q = parseRpc(ListRequest, input, "list request");
    const sev = severity(q.minLevel);
    const now = Date.now();
    // Expired entries not yet deleted by the alarm are left out already.
    const since = now - this.retentionMs;
    const sinceIso = new Date(since).toISOString();
    const rows = this.ctx.storage.sql
      .exec<{ body: string; updated_ms: number }>(
        `SELECT body, updated_ms FROM hosts WHERE ${LIVE} AND severity >= ?3
         ORDER BY severity DESC, risk DESC, host LIMIT ?4`,
        since,
        sinceIso,
        sev,
        q.limit,
      )
      .toArray();
    const total = this.ctx.storage.sql
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM hosts WHERE ${LIVE} AND severity >= ?3`,
        since,
        sinceIso,
        sev,
      )
      .one().n;
    return {
      hosts: rows.map((r) => {
        const e = IndexEntrySchema.parse(JSON.parse(r.body));
        return {
          ...e,
          updated_at: new Date(r.updated_ms).toISOString(),
          silent_s: Math.max(0, Math.round((now - Date.parse(e.as_of)) / 1000)),
        };
      }),
      total,
    };
  }
}

/** FNV-1a 32-bit: a stable, cheap shard choice for a host name. */
export function shardOf(host: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    h ^= host.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export function indexObjectName(tenant: string, shard: number): string {
  return `${tenant}#index/${shard}`;
}
