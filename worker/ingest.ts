/**
 * The one way points reach host objects, whatever format they arrived in (our JSON, Prometheus
 * remote_write, OTLP): validated points grouped by host → the request's bounds (distinct hosts, the
 * object calls charged to the tenant's rate limit, every host's points checked with the objects' own
 * rules) → one Durable Object call per host → the fleet index updated → one result per host, in the
 * map's order. Everything that can refuse the request runs before the first object call, so nothing is
 * stored for a request that answers a 4xx.
 */
import type { PointIngest } from "../contracts/api.ts";
import type { StoredPoint } from "../contracts/points.ts";
import { IngestRequest, IngestResponseSchema, isPlainIngestRequest, parseRpc } from "../contracts/rpc.ts";
import { rateLimited, type AppContext } from "./context.ts";
import { config } from "./env.ts";
import { ApiError } from "./errors.ts";
import { updateIndex } from "./index-update.ts";
import { hostMonitor } from "./objects.ts";
import { apiMessage } from "./zod-messages.ts";

/**
 * A request whose points name more than MAX_HOSTS_PER_REQUEST distinct hosts is a 413 (each host is
 * one object call). `ingestByHost` checks it; a format may call it earlier, as soon as it knows `n`.
 */
export function checkHostCount(c: AppContext, n: number): void {
  const max = config(c.env).maxHostsPerRequest;
  if (n > max) {
    throw new ApiError(
      "payload_too_large",
      `at most ${max} distinct hosts per request (MAX_HOSTS_PER_REQUEST); got ${n}`,
      { issues: [{ path: "points", message: `at most ${max} distinct hosts (MAX_HOSTS_PER_REQUEST)` }] },
    );
  }
}

/**
 * Charges the tenant's rate limit one unit per object call beyond the first (`guard` charged the
 * request itself), so a request fanning out to n hosts costs n units. All units are asked for before
 * any object is called; a refusal is a 429 and nothing is called.
 */
async function chargeObjectCalls(c: AppContext, tenant: string, calls: number): Promise<void> {
  const limiter = c.env.RATE_LIMITER;
  if (!limiter || calls <= 1) return;
  const answers = await Promise.all(Array.from({ length: calls - 1 }, () => limiter.limit({ key: tenant })));
  if (answers.some((a) => !a.success)) throw rateLimited(tenant);
}

/**
 * A host's points checked with the rules its object applies (`IngestRequest`), here, before any object
 * is called: a format whose mapping let a bad point through gets a 400 naming it, not a 500 after
 * other hosts stored theirs. Paths are `hosts.<host>.points.<i>.<field>`.
 */
function checkIngest(req: { tenant: string; host: string; points: StoredPoint[] }): IngestRequest {
  // `unknown` first: StoredPoint's type and IngestRequest's are the same shape, so the type guard
  // would narrow `req` to never below.
  const input: unknown = req;
  if (isPlainIngestRequest(input)) return input;
  const r = IngestRequest.safeParse(input, { error: apiMessage });
  if (!r.success) throw ApiError.fromZod(r.error, `hosts.${req.host}`);
  return r.data;
}

export async function ingestByHost(
  c: AppContext,
  tenant: string,
  byHost: ReadonlyMap<string, StoredPoint[]>,
): Promise<PointIngest[]> {
  checkHostCount(c, byHost.size);
  const requests = [...byHost].map(([host, points]) => checkIngest({ tenant, host, points }));
  await chargeObjectCalls(c, tenant, requests.length);
  const results = await Promise.all(
    requests.map(async (req) =>
      parseRpc(
        IngestResponseSchema,
        await hostMonitor(c.env, tenant, req.host).ingest(req),
        "ingest response",
      ),
    ),
  );
  updateIndex(c, tenant, results);
  return results.map(({ index: _index, ...r }) => r);
}
