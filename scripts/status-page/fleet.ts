/**
 * A small simulated fleet for the status page's browser test (and the README's screenshot): a few
 * healthy hosts, one that stopped reporting, and one heading for a memory-leak downtime, shifted so
 * the newest points lie just before now. Deterministic for a given `nowMs` and seeds.
 */
import { hostPoints, planHost, type FleetConfigInput, type MetricPoint } from "../../simulator/fleet.ts";
import { BatchIngestSchema, HostsListingSchema } from "../../contracts/api.ts";

export interface DemoFleet {
  points: MetricPoint[];
  /** The host that fails (its points stop a few minutes before the simulated downtime). */
  failing: string;
  /** Healthy hosts that keep sending. */
  healthy: string[];
  /** A healthy host whose points stop `silentMinutes` before now. */
  silent: string;
}

export interface DemoFleetOptions {
  nowMs: number;
  /** Healthy hosts, the last of which goes silent (default 5). */
  healthyHosts?: number;
  /** History per host, hours (the model's per-host normalisation warms up over hours). */
  hours?: number;
  /** Minutes between the failing host's last point and its simulated downtime. */
  leadMinutes?: number;
  silentMinutes?: number;
  seed?: number;
  /** Seed of the failing host's simulation (one with a plain memory leak late in its first day). */
  failingSeed?: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export function demoFleet(o: DemoFleetOptions): DemoFleet {
  const hours = o.hours ?? 8;
  const n = o.healthyHosts ?? 5;
  const endMs = o.nowMs - 30_000;
  const silentEndMs = endMs - (o.silentMinutes ?? 12) * MINUTE_MS;

  const healthyCfg: FleetConfigInput = {
    seed: o.seed ?? 11,
    hosts: n,
    startMs: endMs - hours * HOUR_MS,
    days: hours / 24,
    failuresPerHostDay: 0,
  };
  const points: MetricPoint[] = [];
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const plan = planHost(healthyCfg, i);
    names.push(plan.host);
    const last = i === n - 1 ? silentEndMs : endMs;
    for (const p of hostPoints(healthyCfg, plan)) if (p.timestamp <= last) points.push(p);
  }

  // The failing host: a plain (not subtle) memory leak, cut `leadMinutes` before its downtime and
  // shifted so the cut is now.
  const failCfg: FleetConfigInput = {
    seed: o.failingSeed ?? 12,
    hosts: 1,
    days: 2,
    failuresPerHostDay: 1,
    families: ["memory_leak"],
    subtleShare: 0,
  };
  const plan = planHost(failCfg, 0);
  const failure = plan.failures.find(
    (f) => f.precursorStartMs !== null && f.startMs - f.precursorStartMs >= HOUR_MS,
  );
  if (!failure) throw new Error("the failing host's simulation has no memory leak with an hour of precursor");
  const cutMs = failure.startMs - (o.leadMinutes ?? 8) * MINUTE_MS;
  const shift = endMs - cutMs;
  const failing = "db-leaky-1";
  for (const p of hostPoints(failCfg, plan)) {
    if (p.timestamp > cutMs) break;
    if (p.timestamp >= cutMs - hours * HOUR_MS)
      points.push({ ...p, host: failing, timestamp: p.timestamp + shift });
  }
  points.sort((a, b) => a.timestamp - b.timestamp);
  return { points, failing, healthy: names.slice(0, -1), silent: names[n - 1]! };
}

export interface SeedOptions {
  url: string;
  key: string;
  fleet: DemoFleet;
  /** The last this many minutes go one request per step, so each step leaves a stored prediction. */
  stepwiseMinutes?: number;
  /** Bound of the live phase, ms. */
  liveTimeoutMs?: number;
}

/**
 * Posts the fleet like agents would have: the history in batches of 1000, except the failing host's
 * recent part, one step per request (a stored prediction per step, so its host view has a risk
 * curve); then — because the host
 * index refreshes an unchanged entry only once a minute of wall time — repeats each live host's last
 * values at the current time until `GET /hosts` lists every live host as fresh (bounded).
 */
export async function seedFleet(o: SeedOptions): Promise<void> {
  const { url, key, fleet } = o;
  const post = async (points: MetricPoint[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${url}/metrics`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ points }),
      });
      const text = await res.text();
      // Rate limited: wait as told, like an agent would (bounded).
      if (res.status === 429 && attempt < 5) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 10) * 1000));
        continue;
      }
      if (!res.ok) throw new Error(`POST /metrics ${res.status}: ${text.slice(0, 500)}`);
      BatchIngestSchema.parse(JSON.parse(text));
      return;
    }
  };
  // Everything but the failing host's recent part in batches (one object call per host per batch).
  const last = fleet.points.at(-1)?.timestamp ?? 0;
  const stepwiseFrom = last - (o.stepwiseMinutes ?? 180) * MINUTE_MS;
  const stepwise = (p: MetricPoint) => p.host === fleet.failing && p.timestamp >= stepwiseFrom;
  const bulk = fleet.points.filter((p) => !stepwise(p));
  for (let i = 0; i < bulk.length; i += 1000) await post(bulk.slice(i, i + 1000));
  // The failing host's recent part one point per request: a stored prediction per step.
  for (const p of fleet.points.filter(stepwise)) await post([p]);

  const live = [...fleet.healthy, fleet.failing];
  const lastOf = new Map<string, MetricPoint>();
  for (const p of fleet.points) if (live.includes(p.host)) lastOf.set(p.host, p);
  const deadline = Date.now() + (o.liveTimeoutMs ?? 120_000);
  for (;;) {
    const now = Date.now();
    await post([...lastOf.values()].map((p) => ({ ...p, timestamp: now })));
    const res = await fetch(`${url}/hosts`, { headers: { authorization: `Bearer ${key}` } });
    const listing = HostsListingSchema.parse(await res.json());
    const fresh = listing.hosts.filter((x) => live.includes(x.host) && x.silent_s < 90).length;
    if (fresh === live.length && listing.hosts.length === live.length + 1) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the index did not list every live host as fresh in time: ${JSON.stringify(listing.hosts)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}
