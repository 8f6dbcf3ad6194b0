/**
 * Refreshes the tenant's sharded host index (GET /hosts) after an ingest, in the background
 * (`waitUntil`): only hosts whose object said their ranking changed, one call per touched shard.
 */
import type { IndexEntry, IngestResponse } from "../contracts/rpc.ts";
import { shardOf } from "../durable-objects/host-index.ts";
import type { AppContext } from "./context.ts";
import { hostIndexShard } from "./objects.ts";

export function updateIndex(c: AppContext, tenant: string, results: readonly IngestResponse[]): void {
  const shards = c.get("config").hostIndexShards;
  const byShard = new Map<number, IndexEntry[]>();
  for (const r of results) {
    if (r.index === null) continue;
    const s = shardOf(r.host, shards);
    const list = byShard.get(s);
    if (list) list.push(r.index);
    else byShard.set(s, [r.index]);
  }
  if (byShard.size === 0) return;
  c.executionCtx.waitUntil(
    Promise.all([...byShard].map(([s, entries]) => hostIndexShard(c.env, tenant, s).upsert(entries))).catch(
      (e: unknown) => console.error("host index update failed", e),
    ),
  );
}
