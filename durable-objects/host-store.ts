/**
 * A HostMonitor's SQLite storage: one key/value table for state and one `events` table that is both
 * the host's bounded history and its outbox. Each ingest call writes one `metrics` event holding all
 * its accepted points (one row per call, not per point: row inserts are the dominant storage cost),
 * one `predictions` event and one `alerts` event per level transition, in the same transaction as the
 * scorer state that produced them; a sink (when configured) delivers rows in `seq` order and advances
 * a single watermark (`deliveredSeq`). `ts`..`ts_end` is the time span an event covers (epoch ms).
 */
import { z } from "zod";
import { StoredPoint } from "./protocol.ts";
import type { Topic } from "./sink/types.ts";

export const SCHEMA_VERSION = 1;

/** Small, frequently rewritten facts about the host (the scorer state is stored separately). */
export const HostMeta = z.object({
  schema: z.literal(SCHEMA_VERSION),
  tenant: z.string(),
  host: z.string(),
  /** Random per storage incarnation, so event ids stay unique even if the storage is ever wiped. */
  incarnation: z.string(),
  nextSeq: z.number().int(),
  /** Highest seq the sink has acknowledged (events ≤ this may be deleted by retention). */
  deliveredSeq: z.number().int(),
  /** Consecutive failed deliveries (drives the backoff); 0 when healthy. */
  sinkAttempts: z.number().int(),
  sinkLastError: z.string().nullable(),
  /** Events dropped because the outbox overflowed while the sink was failing. */
  droppedUndelivered: z.number().int(),
  /** Last index update (for GET /hosts): warning risk, level, receive time ms. */
  indexed: z.object({ risk: z.number(), level: z.string(), atMs: z.number() }).nullable(),
});
export type HostMeta = z.infer<typeof HostMeta>;

export interface EventRow {
  seq: number;
  topic: Topic;
  ts: number;
  body: string;
}

export class HostStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, ts INTEGER NOT NULL,
        ts_end INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    sql.exec(`CREATE INDEX IF NOT EXISTS events_topic_end ON events (topic, ts_end)`);
  }

  getRaw(key: string): string | null {
    const row = this.sql.exec<{ v: string }>(`SELECT v FROM kv WHERE k = ?`, key).toArray()[0];
    return row ? row.v : null;
  }

  put(key: string, value: unknown): void {
    this.sql.exec(`INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)`, key, JSON.stringify(value));
  }

  getMeta(): HostMeta | null {
    const raw = this.getRaw("meta");
    return raw === null ? null : HostMeta.parse(JSON.parse(raw));
  }

  append(seq: number, topic: Topic, ts: number, body: unknown, tsEnd: number = ts): void {
    this.sql.exec(
      `INSERT INTO events (seq, topic, ts, ts_end, body) VALUES (?, ?, ?, ?, ?)`,
      seq,
      topic,
      ts,
      tsEnd,
      JSON.stringify(body),
    );
  }

  /** Timestamp of the newest stored point, epoch ms (−Infinity when none): one index lookup. */
  newestPointMs(): number {
    const row = this.sql
      .exec<{ t: number | null }>(`SELECT max(ts_end) AS t FROM events WHERE topic = 'metrics'`)
      .one();
    return row.t ?? -Infinity;
  }

  /** True when a stored point has exactly this timestamp (duplicate detection; rare: out-of-order only). */
  hasPointAt(ts: number): boolean {
    const rows = this.sql
      .exec<{ body: string }>(
        `SELECT body FROM events WHERE topic = 'metrics' AND ts_end >= ? AND ts <= ?`,
        ts,
        ts,
      )
      .toArray();
    return rows.some((r) => pointsOf(r.body).some((p) => p.timestamp === ts));
  }

  /** Events of a topic overlapping [fromMs, toMs), oldest first. */
  range(topic: Topic, fromMs: number, toMs: number, limit: number): EventRow[] {
    return this.sql
      .exec<{ seq: number; topic: Topic; ts: number; body: string }>(
        `SELECT seq, topic, ts, body FROM events WHERE topic = ? AND ts_end >= ? AND ts < ? ORDER BY ts, seq LIMIT ?`,
        topic,
        fromMs,
        toMs,
        limit,
      )
      .toArray();
  }

  /** Undelivered events after `afterSeq`, oldest first. */
  pending(afterSeq: number, limit: number): EventRow[] {
    return this.sql
      .exec<{ seq: number; topic: Topic; ts: number; body: string }>(
        `SELECT seq, topic, ts, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
        afterSeq,
        limit,
      )
      .toArray();
  }

  countAfter(afterSeq: number): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM events WHERE seq > ?`, afterSeq).one().n;
  }

  /**
   * Retention: deletes events older than `beforeMs` that are delivered (≤ `deliveredSeq`), then trims
   * to at most `maxRows` rows, oldest first. Returns how many undelivered rows the cap removed.
   */
  trim(
    beforeMs: number,
    deliveredSeq: number,
    maxRows: number,
  ): { deleted: number; droppedUndelivered: number } {
    let deleted = this.sql.exec(
      `DELETE FROM events WHERE ts < ? AND seq <= ?`,
      beforeMs,
      deliveredSeq,
    ).rowsWritten;
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM events`).one().n;
    let droppedUndelivered = 0;
    if (total > maxRows) {
      const cut = this.sql
        .exec<{ seq: number }>(`SELECT seq FROM events ORDER BY seq LIMIT 1 OFFSET ?`, total - maxRows)
        .one().seq;
      droppedUndelivered = this.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM events WHERE seq < ? AND seq > ?`, cut, deliveredSeq)
        .one().n;
      deleted += this.sql.exec(`DELETE FROM events WHERE seq < ?`, cut).rowsWritten;
    }
    return { deleted, droppedUndelivered };
  }
}

/** The body of a `metrics` event: one ingest call's accepted points, oldest first. */
export const MetricsEventBody = z.object({ host: z.string(), points: z.array(StoredPoint) });
export type MetricsEventBody = z.infer<typeof MetricsEventBody>;

function pointsOf(body: string): StoredPoint[] {
  return MetricsEventBody.parse(JSON.parse(body)).points;
}
