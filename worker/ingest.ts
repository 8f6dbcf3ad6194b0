/**
 * The one way points reach host objects, whatever format they arrived in (our JSON, Prometheus
 * remote_write, OTLP): validated points grouped by host → one Durable Object call per host → the
 * fleet index updated → one result per host, in the map's order. Callers validate the whole request
 * first (`toStoredPoints`), so nothing is sent for a request that answers an error.
 */
import type { PointIngest } from "../contracts/api.ts";
import type { StoredPoint } from "../contracts/points.ts";
import { IngestResponseSchema, parseRpc } from "../contracts/rpc.ts";
import type { AppContext } from "./context.ts";
import { updateIndex } from "./index-update.ts";
import { hostMonitor } from "./objects.ts";

export async function ingestByHost(
  c: AppContext,
  tenant: string,
  byHost: ReadonlyMap<string, StoredPoint[]>,
): Promise<PointIngest[]> {
  const results = await Promise.all(
    [...byHost].map(async ([host, points]) =>
      parseRpc(
        IngestResponseSchema,
        await hostMonitor(c.env, tenant, host).ingest({ tenant, host, points }),
        "ingest response",
      ),
    ),
  );
  updateIndex(c, tenant, results);
  return results.map(({ index: _index, ...r }) => r);
}
