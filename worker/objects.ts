/**
 * The Durable Objects the Worker talks to, named in one place: a tenant's host (`<tenant>/<host>`) and a
 * shard of its host index.
 */
import { indexObjectName } from "../durable-objects/host-index.ts";
import { hostKey } from "../contracts/names.ts";
import type { Env } from "./env.ts";

export function hostMonitor(env: Env, tenant: string, host: string) {
  return env.HOST_MONITOR.get(env.HOST_MONITOR.idFromName(hostKey(tenant, host)));
}

export function hostIndexShard(env: Env, tenant: string, shard: number) {
  return env.HOST_INDEX.get(env.HOST_INDEX.idFromName(indexObjectName(tenant, shard)));
}
