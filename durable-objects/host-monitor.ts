/**
 * HostMonitor — one Durable Object per (tenant, host). Keeps the host's scorer (resampler, normaliser,
 * LSTM state, anomaly detectors, alert hysteresis) in SQLite-backed storage, scores every batch of
 * points in one model call, and writes accepted points, the prediction and alert transitions to its
 * outbox in the same transaction as the state that produced them. A sink, when configured, drains the
 * outbox from alarms with backoff (at-least-once, stable event ids).
 */
import { DurableObject } from "cloudflare:workers";
import { MetricsEventBody, type Topic } from "../contracts/events.ts";
import { hostKey } from "../contracts/names.ts";
import type { StoredPoint } from "../contracts/points.ts";
import {
  AlertTransitionSchema,
  PredictionSchema,
  type AlertTransition,
  type Level,
  type Prediction,
} from "../contracts/prediction.ts";
import {
  HistoryRequest,
  parseIngestRequest,
  parseRpc,
  type HistoryResponse,
  type IndexEntry,
  type IngestRequest,
  type IngestResponse,
} from "../contracts/rpc.ts";
import { HostScorer, type ScorerOptions, type ScorerState } from "../model/core/scorer.ts";
import { objectSettings } from "./env.ts";
import { HostMeta, HostStore, SCHEMA_VERSION, type EventRow } from "./host-store.ts";
import { edgeModel, modelUnavailable, type EdgeModel } from "../model/runtime/workerd.ts";
import { nextRetryDelayMs } from "./sink/backoff.ts";
import { sinkFromEnv } from "./sinks.ts";
import { SinkError, type EventSink, type OutboxEvent } from "./sink/types.ts";

export interface SinkStatus {
  kind: EventSink["kind"] | "misconfigured";
  pending: number;
  attempts: number;
  last_error: string | null;
  dropped_undelivered: number;
}

/** Events per sink call, and calls per alarm run. */
const FLUSH_BATCH = 500;
const FLUSH_BATCHES_PER_ALARM = 20;
/** Most events a host keeps (history + undelivered outbox). */
const MAX_EVENTS = 200_000;
/** Retention runs at most this often, ms. */
const RETENTION_EVERY_MS = 3_600_000;
/** The index is refreshed when the warning risk moves this much, the level changes, or this old. */
const INDEX_RISK_DELTA = 0.01;
const INDEX_MAX_AGE_MS = 60_000;

export class HostMonitor extends DurableObject<Cloudflare.Env> {
  private readonly store: HostStore;
  private readonly sink: EventSink | { kind: "misconfigured"; error: string };
  private readonly retentionMs: number;
  /**
   * First retry delay after a failed flush, ms: the delay is half of it plus a jitter whose ceiling
   * doubles per failure, capped at `retryMaxMs` (default 150 s: at most about 2.5 min + half the base).
   */
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private scorer: HostScorer | undefined;
  private meta: HostMeta | undefined;
  /**
   * Timestamp of the newest stored point, epoch ms (−Infinity: none), read once per load and advanced by
   * each ingest. Retention may delete that point later; the value then only errs high, which costs a
   * duplicate lookup (`hasPointAt`), never a wrong answer.
   */
  private newestMs = -Infinity;
  /** Pending alarm time, epoch ms (null: none; undefined: not read yet in this instance). */
  private alarmAt: number | null | undefined;
  /** Alert transitions of the ingest in progress (filled by the scorer's step hook). */
  private transitions: AlertTransition[] = [];
  /** Serialises ingests: the scorer is mutated across awaits (model calls). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.store = new HostStore(ctx.storage.sql);
    let sink: HostMonitor["sink"];
    try {
      sink = sinkFromEnv(env);
    } catch (e) {
      sink = { kind: "misconfigured", error: e instanceof Error ? e.message : String(e) };
    }
    this.sink = sink;
    ({
      retentionMs: this.retentionMs,
      retryBaseMs: this.retryBaseMs,
      retryMaxMs: this.retryMaxMs,
    } = objectSettings(env));
  }

  /**
   * Loads the model (once per isolate) and this host's state (once per object instance) inside
   * `blockConcurrencyWhile`, so no request sees a half-initialised object. A failure is caught inside
   * and rethrown outside (as partyserver does), so the object is not reset and nothing half-loaded is
   * cached: the next request simply tries again.
   */
  private async ready(tenant?: string, host?: string): Promise<EdgeModel> {
    if (edgeModel.ready && this.meta !== undefined) return edgeModel.get();
    let failure: unknown;
    const model = await this.ctx.blockConcurrencyWhile(async (): Promise<EdgeModel | undefined> => {
      try {
        const m = await edgeModel.get();
        if (this.meta === undefined) this.load(m, tenant, host);
        return m;
      } catch (e) {
        failure = e;
        return undefined;
      }
    });
    if (model === undefined) throw modelUnavailable(failure);
    return model;
  }

  /** Restores the host's state from storage, or starts a new host when `tenant`/`host` are given. */
  private load(model: EdgeModel, tenant?: string, host?: string): void {
    const meta = this.store.getMeta();
    if (meta) {
      const saved = this.store.getScorerState();
      this.scorer =
        saved === null ? undefined : HostScorer.restore(saved as ScorerState, this.scorerOptions(model));
      this.newestMs = this.store.newestPointMs();
      this.meta = meta;
    } else if (tenant !== undefined && host !== undefined) {
      this.meta = {
        schema: SCHEMA_VERSION,
        tenant,
        host,
        incarnation: crypto.randomUUID(),
        nextSeq: 1,
        deliveredSeq: 0,
        sinkAttempts: 0,
        sinkLastError: null,
        droppedUndelivered: 0,
        indexed: null,
      };
      this.newestMs = -Infinity;
    }
  }

  /**
   * The scorer's options for this object: the model's, plus a step hook that records alert level
   * transitions as they happen (a batch can hold several — warning, then critical, then ok).
   */
  private scorerOptions(model: EdgeModel): ScorerOptions {
    const keys = model.meta.horizons_minutes.map((m) => `${m}m`);
    let level: Level | undefined;
    return {
      ...model.options,
      onStep: (step) => {
        const from = level ?? this.scorer?.level ?? "ok";
        level = step.level;
        if (step.level === from) return;
        this.transitions.push({
          host: this.meta?.host ?? "",
          from,
          to: step.level,
          at: new Date(step.bucketStartMs + model.meta.step_seconds * 1000).toISOString(),
          risk: Object.fromEntries(keys.map((k, i) => [k, Math.round(step.risk[i]! * 1e4) / 1e4])),
        });
      },
    };
  }

  /** Scores and stores a host's points (already validated by the Worker; checked again here). */
  async ingest(input: unknown): Promise<IngestResponse> {
    const req = parseIngestRequest(input);
    const run = this.queue.then(() => this.ingestNow(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ingestNow(req: IngestRequest): Promise<IngestResponse> {
    const model = await this.ready(req.tenant, req.host);
    const meta = this.meta;
    if (meta === undefined) throw new Error("host state missing after initialisation");
    if (meta.tenant !== req.tenant || meta.host !== req.host) {
      throw new Error(`object belongs to ${meta.tenant}/${meta.host}, not ${req.tenant}/${req.host}`);
    }
    const scorer = this.scorer ?? HostScorer.create(req.host, this.scorerOptions(model));

    // Duplicates: same timestamp as a point already accepted (stored) or earlier in this request.
    const seen = new Set<number>();
    const newest = this.newestMs;
    const fresh: StoredPoint[] = [];
    let duplicates = 0;
    for (const p of req.points) {
      if (seen.has(p.timestamp) || (p.timestamp <= newest && this.store.hasPointAt(p.timestamp))) {
        duplicates++;
        continue;
      }
      seen.add(p.timestamp);
      fresh.push(p);
    }

    this.transitions = [];
    let result;
    try {
      result =
        fresh.length > 0
          ? await scorer.ingest(fresh)
          : { prediction: await scorer.predict(), accepted: 0, acceptedMask: [], committedSteps: 0 };
    } catch (e) {
      this.scorer = undefined; // in-memory state may be half-advanced: reload from storage next time
      this.meta = undefined;
      throw e;
    }
    const nowMs = Date.now();
    const accepted = fresh.filter((_, i) => result.acceptedMask[i]).sort((a, b) => a.timestamp - b.timestamp);
    const prediction = result.prediction;
    const transitions = this.transitions;
    // Stored twice (event and latest value): serialised once.
    const predictionJson = prediction && accepted.length > 0 ? JSON.stringify(prediction) : null;

    let next: HostMeta = meta;
    let indexChanged = false;
    try {
      this.ctx.storage.transactionSync(() => {
        // The current meta, not the one read before the model ran: an alarm may have advanced the sink
        // fields meanwhile (patchMeta keeps this.meta equal to the stored row); this write owns only
        // nextSeq and indexed.
        next = { ...(this.meta ?? this.store.getMeta() ?? meta) };
        let seq = next.nextSeq;
        if (accepted.length > 0) {
          const body: MetricsEventBody = { host: req.host, points: accepted };
          this.store.append(
            seq++,
            "metrics",
            accepted[0]!.timestamp,
            body,
            accepted[accepted.length - 1]!.timestamp,
          );
        }
        if (prediction && predictionJson !== null) {
          this.store.appendRaw(seq++, "predictions", Date.parse(prediction.as_of), predictionJson);
        }
        for (const t of transitions) this.store.append(seq++, "alerts", Date.parse(t.at), t);
        next.nextSeq = seq;
        if (accepted.length > 0) {
          this.store.putScorerState(scorer.toJSON());
          if (predictionJson !== null) this.store.putRaw("prediction", predictionJson);
        }
        const risk = prediction?.risk[model.warningKey] ?? 0;
        if (prediction && this.indexDue(next, risk, prediction.level, nowMs)) {
          next.indexed = { risk, level: prediction.level, atMs: nowMs };
          indexChanged = true;
        }
        this.store.put("meta", next);
      });
    } catch (e) {
      this.scorer = undefined;
      this.meta = undefined;
      throw e;
    }
    this.scorer = scorer;
    this.meta = next;
    if (accepted.length > 0)
      this.newestMs = Math.max(this.newestMs, accepted[accepted.length - 1]!.timestamp);
    await this.scheduleAlarm(nowMs);
    return {
      host: req.host,
      accepted: accepted.length,
      duplicates,
      dropped_late: fresh.length - accepted.length,
      prediction,
      index: indexChanged && prediction ? indexEntry(prediction, model) : null,
    };
  }

  private indexDue(m: HostMeta, risk: number, level: Level, nowMs: number): boolean {
    const last = m.indexed;
    return (
      last === null ||
      last.level !== level ||
      Math.abs(last.risk - risk) >= INDEX_RISK_DELTA ||
      nowMs - last.atMs >= INDEX_MAX_AGE_MS
    );
  }

  /** The last stored prediction (null: this host never sent an accepted point). */
  async prediction(): Promise<Prediction | null> {
    const raw = this.store.getRaw("prediction");
    return raw === null ? null : PredictionSchema.parse(JSON.parse(raw));
  }

  async history(input: unknown): Promise<HistoryResponse | null> {
    const q = parseRpc(HistoryRequest, input, "history request");
    const m = this.store.getMeta();
    if (m === null) return null;
    const rows = (topic: Topic): EventRow[] => this.store.range(topic, q.fromMs, q.toMs, q.limit);
    // Metrics rows hold one call's points each: expand, keep those in range, cap at `limit` points.
    const points: StoredPoint[] = [];
    let truncated = false;
    const metricRows = rows("metrics");
    if (metricRows.length >= q.limit) truncated = true;
    for (const r of metricRows) {
      for (const p of MetricsEventBody.parse(JSON.parse(r.body)).points) {
        if (p.timestamp < q.fromMs || p.timestamp >= q.toMs) continue;
        if (points.length >= q.limit) truncated = true;
        else points.push(p);
      }
    }
    const preds = rows("predictions");
    const alerts = rows("alerts");
    return {
      host: m.host,
      from: new Date(q.fromMs).toISOString(),
      to: new Date(q.toMs).toISOString(),
      points: points.map((p) => ({ time: new Date(p.timestamp).toISOString(), ...p })),
      predictions: preds.map((r) => PredictionSchema.parse(JSON.parse(r.body))),
      alerts: alerts.map((r) => AlertTransitionSchema.parse(JSON.parse(r.body))),
      truncated: truncated || [preds, alerts].some((l) => l.length >= q.limit),
    };
  }

  /** Outbox state (GET /health of a host, tests, benchmarks). */
  async sinkStatus(): Promise<SinkStatus> {
    const m = this.store.getMeta();
    return {
      kind: this.sink.kind,
      pending: this.sink.kind === "upstash" && m ? this.store.countAfter(m.deliveredSeq) : 0,
      attempts: m?.sinkAttempts ?? 0,
      last_error: this.sink.kind === "misconfigured" ? this.sink.error : (m?.sinkLastError ?? null),
      dropped_undelivered: m?.droppedUndelivered ?? 0,
    };
  }

  /** Ensures an alarm is pending: soon when there is something to flush, else for retention. */
  private async scheduleAlarm(nowMs: number): Promise<void> {
    // The pending alarm time is cached in memory (read from storage once per instance): this runs on
    // every ingest.
    this.alarmAt ??= await this.ctx.storage.getAlarm();
    const current = this.alarmAt;
    const m = this.meta;
    const wantFlush = this.sink.kind === "upstash" && m !== undefined && m.sinkAttempts === 0;
    const at = wantFlush ? nowMs : nowMs + RETENTION_EVERY_MS;
    if (current === null || current > at) await this.setAlarm(at);
  }

  private async setAlarm(atMs: number): Promise<void> {
    await this.ctx.storage.setAlarm(atMs);
    this.alarmAt = atMs;
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null; // the runtime cleared it by running it
    if (this.store.getMeta() === null) return;
    const nowMs = Date.now();
    if (this.sink.kind === "upstash") await this.flush();
    // Retention: embedded mode keeps events only as history, so everything counts as "delivered".
    const m = this.store.getMeta()!;
    const delivered = this.sink.kind === "upstash" ? m.deliveredSeq : m.nextSeq;
    const t = this.store.trim(nowMs - this.retentionMs, delivered, MAX_EVENTS);
    const meta =
      t.droppedUndelivered > 0
        ? this.patchMeta((x) => ({ droppedUndelivered: x.droppedUndelivered + t.droppedUndelivered }))
        : m;
    if (this.sink.kind === "upstash" && meta.sinkAttempts > 0) {
      // Exponential backoff with jitter, never below half the base delay.
      const delay =
        this.retryBaseMs / 2 +
        nextRetryDelayMs(meta.sinkAttempts, { baseMs: this.retryBaseMs / 2, maxMs: this.retryMaxMs });
      await this.setAlarm(nowMs + delay);
    } else if (this.sink.kind === "upstash" && this.store.countAfter(meta.deliveredSeq) > 0) {
      await this.setAlarm(nowMs);
    } else {
      await this.setAlarm(nowMs + RETENTION_EVERY_MS);
    }
  }

  /**
   * Applies a change to the stored meta. Synchronous read-modify-write, so an ingest that ran while
   * this object awaited the sink keeps its own fields (nextSeq, indexed).
   */
  private patchMeta(change: (m: HostMeta) => Partial<HostMeta>): HostMeta {
    const current = this.store.getMeta();
    if (current === null) throw new Error("host meta missing");
    const next = { ...current, ...change(current) };
    this.store.put("meta", next);
    if (this.meta !== undefined) this.meta = next;
    return next;
  }

  /** Delivers pending events in seq order; advances the watermark after each acknowledged batch. */
  private async flush(): Promise<void> {
    if (this.sink.kind !== "upstash") return;
    for (let i = 0; i < FLUSH_BATCHES_PER_ALARM; i++) {
      const meta = this.store.getMeta()!;
      const rows = this.store.pending(meta.deliveredSeq, FLUSH_BATCH);
      if (rows.length === 0) break;
      const events = rows.map((r) => toOutboxEvent(meta, r));
      try {
        await this.sink.deliver(events);
        this.patchMeta(() => ({
          deliveredSeq: rows[rows.length - 1]!.seq,
          sinkAttempts: 0,
          sinkLastError: null,
        }));
      } catch (e) {
        const delivered = e instanceof SinkError ? Math.min(e.delivered, rows.length) : 0;
        this.patchMeta((x) => ({
          deliveredSeq: delivered > 0 ? rows[delivered - 1]!.seq : x.deliveredSeq,
          sinkAttempts: x.sinkAttempts + 1,
          sinkLastError: e instanceof Error ? e.message : String(e),
        }));
        break;
      }
    }
  }
}

function toOutboxEvent(m: HostMeta, r: EventRow): OutboxEvent {
  return {
    id: `${m.incarnation}:${r.seq}`,
    topic: r.topic,
    key: hostKey(m.tenant, m.host),
    timestampMs: r.ts,
    payload: JSON.parse(r.body) as unknown,
  };
}

function indexEntry(p: Prediction, model: EdgeModel): IndexEntry {
  const ttb = Object.values(p.time_to_breach);
  return {
    host: p.host,
    level: p.level,
    risk: p.risk[model.warningKey] ?? 0,
    risks: p.risk,
    downtime_within_minutes: p.downtime_within_minutes,
    time_to_breach_s: ttb.length > 0 ? Math.min(...ttb) : null,
    as_of: p.as_of,
  };
}
