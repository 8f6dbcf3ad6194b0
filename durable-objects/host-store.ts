/**
 * A HostMonitor's SQLite storage: one key/value table for state and one `events` table that is both
 * the host's bounded history and its outbox. Each ingest call writes one `metrics` event holding all
 * its accepted points (one row per call, not per point: row inserts are the dominant storage cost),
 * one `predictions` event and one `alerts` event per level transition, in the same transaction as the
 * scorer state that produced them; a sink (when configured) delivers rows in `seq` order and advances
 * a single watermark (`deliveredSeq`). `ts`..`ts_end` is the time span an event covers (epoch ms).
 *
 * The scorer state (~2000 numbers, rewritten on every call) lives in its own one-row table `scorer`:
 * its long number arrays as one Float64Array BLOB, the small rest as JSON (see `encodeState`). Turning
 * thousands of doubles into decimal text was the dominant cost of the old form (the whole state as
 * JSON in `kv`); an object whose state is still in that old form restores from it, and its next write
 * moves it to the new table.
 */
import { z } from "zod";
import { MetricsEventBody, type Topic } from "../contracts/events.ts";
import type { StoredPoint } from "../contracts/points.ts";

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
  /** True once this instance knows the tables exist (created them, or found them). */
  private schemaReady = false;

  /**
   * Creates nothing: the tables are created by the first write (`ensureSchema`), so a read of a host
   * that never sent a point (GET /hosts/<typo>/prediction) leaves no storage behind.
   */
  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables (and any a newer version added) once per instance, before a write. */
  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, ts INTEGER NOT NULL,
        ts_end INTEGER NOT NULL, body TEXT NOT NULL)`,
    );
    this.sql.exec(`CREATE INDEX IF NOT EXISTS events_topic_end ON events (topic, ts_end)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS scorer (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, nums BLOB NOT NULL)`,
    );
    this.schemaReady = true;
  }

  /**
   * True when this host has storage (its `kv` table exists); reads of a host without it answer empty
   * instead of creating tables. A host with storage gets any table a newer version added.
   */
  private hasStorage(): boolean {
    if (this.schemaReady) return true;
    const found =
      this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'`).toArray().length > 0;
    if (found) this.ensureSchema();
    return found;
  }

  /** True while the scorer state read last came from the old form (`kv` row "scorer", all JSON). */
  private legacyScorer = false;

  /** The stored scorer state (new form, else the old all-JSON form), or null when none. */
  getScorerState(): unknown {
    if (!this.hasStorage()) return null;
    const row = this.sql
      .exec<{ json: string; nums: ArrayBuffer }>(`SELECT json, nums FROM scorer WHERE id = 1`)
      .toArray()[0];
    if (row) return decodeState(row.json, row.nums);
    const old = this.getRaw("scorer");
    this.legacyScorer = old !== null;
    return old === null ? null : (JSON.parse(old) as unknown);
  }

  /** Writes the scorer state (new form); removes an old-form row read earlier. */
  putScorerState(state: unknown): void {
    this.ensureSchema();
    const { json, nums } = encodeState(state);
    this.sql.exec(`INSERT OR REPLACE INTO scorer (id, json, nums) VALUES (1, ?, ?)`, json, nums);
    if (this.legacyScorer) {
      this.sql.exec(`DELETE FROM kv WHERE k = 'scorer'`);
      this.legacyScorer = false;
    }
  }

  getRaw(key: string): string | null {
    if (!this.hasStorage()) return null;
    const row = this.sql.exec<{ v: string }>(`SELECT v FROM kv WHERE k = ?`, key).toArray()[0];
    return row ? row.v : null;
  }

  put(key: string, value: unknown): void {
    this.putRaw(key, JSON.stringify(value));
  }

  /** `put` of a value already turned into JSON. */
  putRaw(key: string, json: string): void {
    this.ensureSchema();
    this.sql.exec(`INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)`, key, json);
  }

  getMeta(): HostMeta | null {
    const raw = this.getRaw("meta");
    return raw === null ? null : HostMeta.parse(JSON.parse(raw));
  }

  append(seq: number, topic: Topic, ts: number, body: unknown, tsEnd: number = ts): void {
    this.appendRaw(seq, topic, ts, JSON.stringify(body), tsEnd);
  }

  /** `append` of a body already turned into JSON. */
  appendRaw(seq: number, topic: Topic, ts: number, body: string, tsEnd: number = ts): void {
    this.ensureSchema();
    this.sql.exec(
      `INSERT INTO events (seq, topic, ts, ts_end, body) VALUES (?, ?, ?, ?, ?)`,
      seq,
      topic,
      ts,
      tsEnd,
      body,
    );
  }

  /** Timestamp of the newest stored point, epoch ms (−Infinity when none): one index lookup. */
  newestPointMs(): number {
    if (!this.hasStorage()) return -Infinity;
    const row = this.sql
      .exec<{ t: number | null }>(`SELECT max(ts_end) AS t FROM events WHERE topic = 'metrics'`)
      .one();
    return row.t ?? -Infinity;
  }

  /** True when a stored point has exactly this timestamp (duplicate detection; rare: out-of-order only). */
  hasPointAt(ts: number): boolean {
    if (!this.hasStorage()) return false;
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
    if (!this.hasStorage()) return [];
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
    if (!this.hasStorage()) return [];
    return this.sql
      .exec<{ seq: number; topic: Topic; ts: number; body: string }>(
        `SELECT seq, topic, ts, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
        afterSeq,
        limit,
      )
      .toArray();
  }

  countAfter(afterSeq: number): number {
    if (!this.hasStorage()) return 0;
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
    if (!this.hasStorage()) return { deleted: 0, droppedUndelivered: 0 };
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

function pointsOf(body: string): StoredPoint[] {
  return MetricsEventBody.parse(JSON.parse(body)).points;
}

/** Arrays of at least this many finite numbers go to the BLOB; shorter ones stay in the JSON. */
const MIN_BLOB_ARRAY = 8;
/** Key of the placeholder object that stands for a moved array: `{"#f64": length}`. */
const BLOB_MARK = "#f64";

function isNumberArray(v: readonly unknown[]): v is number[] {
  if (v.length < MIN_BLOB_ARRAY) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== "number" || !Number.isFinite(x)) return false;
  }
  return true;
}

/**
 * Splits a JSON-like value (plain objects, arrays, strings, numbers, booleans, null) into JSON and a
 * BLOB: every array of ≥ MIN_BLOB_ARRAY finite numbers is replaced by `{"#f64": length}` and its values
 * are appended, in walk order, to one Float64Array (exact for any double, −0 included). Arrays holding
 * anything else (null, NaN, objects) stay JSON, so they keep JSON's meaning. Keys and key order are
 * kept, so `decodeState` walks the same order. An object whose only key is "#f64" cannot be encoded
 * (it would read back as a placeholder): that throws.
 */
export function encodeState(state: unknown): { json: string; nums: ArrayBuffer } {
  const arrays: number[][] = [];
  let total = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (isNumberArray(v)) {
        arrays.push(v);
        total += v.length;
        return { [BLOB_MARK]: v.length };
      }
      return v.map(walk);
    }
    if (v !== null && typeof v === "object") {
      const src = v as Record<string, unknown>;
      // As JSON.stringify does: an object with a toJSON method is written as what that returns.
      if (typeof src.toJSON === "function") return walk((src.toJSON as () => unknown)());
      const out: Record<string, unknown> = {};
      let keys = 0;
      for (const k in src) {
        keys++;
        out[k] = walk(src[k]);
      }
      if (keys === 1 && BLOB_MARK in out)
        throw new Error(`state holds an object with only the key ${BLOB_MARK}`);
      return out;
    }
    return v;
  };
  const skeleton = walk(state);
  const nums = new Float64Array(total);
  let o = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) nums[o + i] = a[i]!;
    o += a.length;
  }
  return { json: JSON.stringify(skeleton), nums: nums.buffer };
}

/** The inverse of `encodeState`: plain number arrays back in their places. */
export function decodeState(json: string, nums: ArrayBuffer): unknown {
  if (nums.byteLength % 8 !== 0) throw new Error(`scorer state BLOB of ${nums.byteLength} bytes`);
  const f = new Float64Array(nums);
  let o = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
      return v;
    }
    if (v !== null && typeof v === "object") {
      const obj = v as Record<string, unknown>;
      const n = obj[BLOB_MARK];
      if (typeof n === "number" && Object.keys(obj).length === 1) {
        if (!Number.isInteger(n) || n < 0 || o + n > f.length) throw new Error("scorer state BLOB too short");
        const a = new Array<number>(n);
        for (let i = 0; i < n; i++) a[i] = f[o + i]!;
        o += n;
        return a;
      }
      for (const k in obj) obj[k] = walk(obj[k]);
      return obj;
    }
    return v;
  };
  const out = walk(JSON.parse(json));
  if (o !== f.length) throw new Error(`scorer state BLOB has ${f.length - o} values left over`);
  return out;
}
