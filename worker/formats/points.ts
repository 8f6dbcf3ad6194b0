/**
 * What remote_write and OTLP share once their bodies are decoded: samples (host, timestamp, metric
 * name, value) merged into one point per host and timestamp, then put through exactly the validation
 * of `POST /metrics` — contracts/api.ts `PointBody` and worker/schemas.ts `toStoredPoints` — so ranges,
 * names and caps are identical. Unlike `POST /metrics`, one bad sample does not fail the request: a
 * Prometheus or an OTel SDK would drop or endlessly retry the whole batch, so the sample (or, when the
 * point cannot stand without it, the point) is dropped and counted by reason.
 */
import { z } from "zod";
import { PointBody } from "../../contracts/api.ts";
import { METRICS, type MetricName } from "../../contracts/metrics.ts";
import { MAX_EXTRA_METRICS, type StoredPoint } from "../../contracts/points.ts";
import { toStoredPoints } from "../schemas.ts";
import { apiMessage, truncate } from "../zod-messages.ts";

const CANONICAL: ReadonlySet<string> = new Set(METRICS);

/** One host's point at one timestamp (epoch ms) while samples are merged into it. */
interface Draft {
  host: string;
  timestamp: number;
  canonical: Partial<Record<MetricName, number>>;
  extra: Map<string, number>;
  samples: number;
}

/** How many samples were dropped, by reason, and a few examples for the answer and the logs. */
export interface Receipt {
  points: number;
  hosts: number;
  samplesAccepted: number;
  samplesDropped: number;
  /** reason → samples dropped for it. */
  dropped: Record<string, number>;
  /** Up to MAX_EXAMPLES `host@timestamp field: message` lines. */
  examples: string[];
}

const MAX_EXAMPLES = 5;

const PointBatch = z.array(PointBody);

/** A draft as `POST /metrics` would receive it. */
function draftBody(d: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = { host: d.host, timestamp: d.timestamp, ...d.canonical };
  if (d.extra.size > 0) body.metrics = Object.fromEntries(d.extra);
  return body;
}

export class PointBuilder {
  private readonly drafts = new Map<string, Map<number, Draft>>();
  private readonly droppedBy = new Map<string, number>();
  private readonly exampleLines: string[] = [];

  /**
   * Counts `n` samples dropped for `reason` (a short, fixed phrase: it is a key of the answer). An
   * example names where (host, metric) with every client string cut to 64 characters, as the API's
   * other messages echo them: never a body's raw content.
   */
  drop(reason: string, n = 1, example?: string): void {
    if (n <= 0) return;
    this.droppedBy.set(reason, (this.droppedBy.get(reason) ?? 0) + n);
    if (example !== undefined && this.exampleLines.length < MAX_EXAMPLES) {
      this.exampleLines.push(example.slice(0, 200));
    }
  }

  /**
   * Adds one sample to the point of (host, timestampMs). One of the four canonical names feeds the
   * model; any other name is an extra metric of the point (at most MAX_EXTRA_METRICS; the first
   * sample of a name wins, a second one for the same point is dropped as a duplicate series).
   */
  add(host: string, timestampMs: number, name: string, value: number): void {
    let byTs = this.drafts.get(host);
    if (byTs === undefined) {
      byTs = new Map();
      this.drafts.set(host, byTs);
    }
    let d = byTs.get(timestampMs);
    if (d === undefined) {
      d = { host, timestamp: timestampMs, canonical: {}, extra: new Map(), samples: 0 };
      byTs.set(timestampMs, d);
    }
    if (CANONICAL.has(name)) {
      const m = name as MetricName;
      if (d.canonical[m] !== undefined)
        return this.drop("duplicate series", 1, `${truncate(host)} ${truncate(name)}`);
      d.canonical[m] = value;
    } else {
      if (d.extra.has(name)) return this.drop("duplicate series", 1, `${truncate(host)} ${truncate(name)}`);
      if (d.extra.size >= MAX_EXTRA_METRICS) {
        return this.drop(
          `over ${MAX_EXTRA_METRICS} extra metrics per point`,
          1,
          `${truncate(host)} ${truncate(name)}`,
        );
      }
      d.extra.set(name, value);
    }
    d.samples += 1;
  }

  /** Points with at least one sample, in insertion order of hosts and timestamps. */
  private allDrafts(): Draft[] {
    const out: Draft[] = [];
    for (const byTs of this.drafts.values()) for (const d of byTs.values()) out.push(d);
    return out;
  }

  /**
   * Validates every point as `POST /metrics` would (`PointBody`, then `toStoredPoints` with the
   * retention), dropping what fails, and groups the rest by host.
   */
  finish(
    receivedMs: number,
    retentionHours: number,
  ): { byHost: Map<string, StoredPoint[]>; receipt: Receipt } {
    const drafts = this.allDrafts();
    let valid: PointBody[] = [];
    let sampleCounts: number[] = [];
    // The common case in one parse of the whole list (one zod run over an array costs a fraction of
    // one run per point); only when something fails is every point taken apart on its own.
    const all = PointBatch.safeParse(drafts.map(draftBody), { error: apiMessage });
    if (all.success) {
      valid = all.data;
      sampleCounts = drafts.map((d) => d.samples);
    } else {
      for (const d of drafts) {
        const r = this.validateDraft(d);
        if (r !== null) {
          valid.push(r.point);
          sampleCounts.push(r.samples);
        }
      }
    }
    const stored = toStoredPoints(valid, receivedMs, { pathOf: (i) => String(i), retentionHours });
    const rejected = new Set<number>();
    for (const issue of stored.issues) {
      const i = Number(issue.path);
      if (rejected.has(i)) continue;
      rejected.add(i);
      const p = valid[i]!;
      this.drop(
        issue.message.startsWith("older") ? "timestamp older than the retention" : "timestamp in the future",
        sampleCounts[i]!,
        `${truncate(p.host ?? "")}@${String(p.timestamp)} timestamp: ${issue.message}`,
      );
    }
    const byHost = new Map<string, StoredPoint[]>();
    let samplesAccepted = 0;
    stored.points.forEach((p, i) => {
      if (rejected.has(i)) return;
      samplesAccepted += sampleCounts[i]!;
      const host = valid[i]!.host!;
      const list = byHost.get(host);
      if (list) list.push(p);
      else byHost.set(host, [p]);
    });
    let points = 0;
    for (const l of byHost.values()) points += l.length;
    const dropped = Object.fromEntries(this.droppedBy);
    let samplesDropped = 0;
    for (const n of this.droppedBy.values()) samplesDropped += n;
    return {
      byHost,
      receipt: {
        points,
        hosts: byHost.size,
        samplesAccepted,
        samplesDropped,
        dropped,
        examples: [...this.exampleLines],
      },
    };
  }

  /**
   * `PointBody` on the draft; a field that fails is removed (its sample counted as dropped) and the
   * point tried once more; a point that still fails (e.g. a bad host name) is dropped whole.
   */
  private validateDraft(d: Draft): { point: PointBody; samples: number } | null {
    const body = draftBody(d);
    let samples = d.samples;
    const first = PointBody.safeParse(body, { error: apiMessage });
    if (first.success) return { point: first.data, samples };
    const where = `${truncate(d.host)}@${d.timestamp}`;
    let removable = true;
    for (const issue of first.error.issues) {
      const [top, key] = issue.path.map(String);
      const metrics = body.metrics as Record<string, unknown> | undefined;
      if (top !== undefined && CANONICAL.has(top) && top in body) {
        delete body[top];
        samples -= 1;
        this.drop(`invalid ${top}`, 1, `${where} ${top}: ${issue.message}`);
      } else if (top === "metrics" && key !== undefined && metrics && Object.hasOwn(metrics, key)) {
        delete metrics[key];
        samples -= 1;
        this.drop("invalid extra metric", 1, `${where} metrics.${truncate(key)}: ${issue.message}`);
      } else {
        removable = false;
      }
    }
    if (removable && samples > 0) {
      if (body.metrics !== undefined && Object.keys(body.metrics as object).length === 0) delete body.metrics;
      const second = PointBody.safeParse(body, { error: apiMessage });
      if (second.success) return { point: second.data, samples };
    }
    if (samples > 0) {
      const issue = first.error.issues.find(
        (i) => !CANONICAL.has(String(i.path[0])) && i.path[0] !== "metrics",
      );
      const path = issue ? issue.path.map(String).join(".") || "(point)" : "(point)";
      this.drop(
        path === "host" ? "invalid host name" : "invalid point",
        samples,
        `${where} ${path}: ${issue?.message ?? "invalid"}`,
      );
    }
    return null;
  }
}

/** A short human summary of a receipt's drops: "3 samples dropped (2 invalid cpu_usage, 1 …)". */
export function describeDrops(r: Receipt): string {
  if (r.samplesDropped === 0) return "";
  const reasons = Object.entries(r.dropped)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  const ex = r.examples.length > 0 ? `; e.g. ${r.examples.join("; ")}` : "";
  return `${r.samplesDropped} sample(s) dropped (${reasons})${ex}`;
}
