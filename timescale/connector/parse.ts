/**
 * The connector's record parser: {@link parseEvent} (the contracts' zod schemas) with a hand-written
 * fast path in front. zod costs ~15 µs per record here, more than the database spends on its row, so
 * the connector could not keep up with a COPY of the same rows; the fast path checks the same rules
 * directly on the `JSON.parse` result in ~1 µs.
 *
 * The fast path only ever *accepts*: anything it is not sure of — a failed rule, an unknown key (zod
 * would strip it, so its output would differ), a `__proto__` key, an unusual shape — goes to
 * `parseEvent`, which then accepts it or throws the {@link EventError} with zod's reason. So the result
 * equals `parseEvent`'s whenever the fast path is sound, and parse.test.ts checks that on valid records
 * and on thousands of mutated ones (every accepted record must be one zod accepts, with the same value).
 */
import { parseEvent, type Event } from "../../contracts/events.ts";
import { METRIC_RANGES, METRICS } from "../../contracts/metrics.ts";
import { NAME_RE, parseHostKey } from "../../contracts/names.ts";
import { MAX_EXTRA_METRICS, MAX_LABEL_VALUE_CHARS, MAX_LABELS } from "../../contracts/points.ts";
import { AlertTransitionSchema, LEVELS, PredictionSchema } from "../../contracts/prediction.ts";

export type ParsedEvent = Event & { tenant: string };

/** Parses a record value like {@link parseEvent} (same result, same errors), faster for valid records. */
export function parseRecord(
  value: string,
  record: { topic?: string; key?: string | null } = {},
): ParsedEvent {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return parseEvent(value, record); // throws the "not JSON" EventError
  }
  return fastEvent(json, record) ?? parseEvent(value, record);
}

// The contracts' own datetime patterns (z.iso.datetime({ offset: true })), so the two cannot drift.
const AS_OF = pattern(PredictionSchema.shape.as_of.def.pattern);
const LEVEL_SINCE = pattern(PredictionSchema.shape.level_since.def.innerType.def.pattern);
const ALERT_AT = pattern(AlertTransitionSchema.shape.at.def.pattern);

function pattern(re: RegExp | undefined): RegExp {
  if (!re) throw new Error("parse.ts: a contracts datetime schema has no pattern (zod changed?)");
  return re;
}

const ENVELOPE_KEYS = 5; // id, topic, key, ts, payload
const PREDICTION_KEYS = 11;
const CONTRIBUTOR_KEYS = 5;
const ALERT_KEYS = 5;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isNumOrNull = (v: unknown): boolean => v === null || isNum(v);
const isLevel = (v: unknown): boolean => v === "ok" || v === "warning" || v === "critical";
const isMetric = (k: string): boolean => (METRICS as readonly string[]).includes(k);

/** parseHostKey, remembered: a partition's records come from a few thousand hosts at most. */
const hostKeys = new Map<string, { tenant: string; host: string } | null>();
function hostKeyOf(key: string): { tenant: string; host: string } | null {
  let k = hostKeys.get(key);
  if (k === undefined) {
    k = parseHostKey(key);
    if (hostKeys.size >= 10_000) hostKeys.clear();
    hostKeys.set(key, k);
  }
  return k;
}

/** Own keys, or -1 when one of them is `__proto__` (left to zod). */
function keyCount(o: Obj): number {
  let n = 0;
  for (const k in o) {
    if (k === "__proto__") return -1;
    n++;
  }
  return n;
}

/**
 * The envelope and its payload when certainly valid, else null (zod decides). Exported for
 * parse.test.ts, which checks that it never accepts what zod rejects.
 */
export function fastEvent(
  json: unknown,
  record: { topic?: string; key?: string | null },
): ParsedEvent | null {
  if (!isObj(json) || keyCount(json) !== ENVELOPE_KEYS) return null;
  const { id, topic, key, ts, payload } = json;
  if (typeof id !== "string" || id.length === 0 || typeof key !== "string" || !isNum(ts)) return null;
  if (record.topic !== undefined && topic !== record.topic) return null;
  if (record.key !== undefined && key !== record.key) return null;
  const k = hostKeyOf(key);
  if (!k || !isObj(payload) || payload.host !== k.host) return null;
  let ok: boolean;
  switch (topic) {
    case "metrics":
      ok = metricsBody(payload);
      break;
    case "predictions":
      ok = prediction(payload);
      break;
    case "alerts":
      ok = alert(payload);
      break;
    default:
      return null;
  }
  // Valid as far as every schema goes: the parsed JSON is the event zod would return.
  if (!ok) return null;
  json.tenant = k.tenant; // json is this call's own object
  return json as ParsedEvent;
}

function metricsBody(p: Obj): boolean {
  // host: equal to the key's host, which parseHostKey matched against HOST_RE.
  if (keyCount(p) !== 2 || typeof p.host !== "string") return false;
  const points = p.points;
  if (!Array.isArray(points) || points.length === 0) return false;
  for (const pt of points) if (!storedPoint(pt)) return false;
  return true;
}

/** StoredPoint is a strict object: every key must be one of these. */
function storedPoint(pt: unknown): boolean {
  if (!isObj(pt)) return false;
  let sawTimestamp = false;
  for (const k in pt) {
    const v = pt[k];
    switch (k) {
      case "timestamp":
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) return false;
        sawTimestamp = true;
        break;
      case "cpu_usage":
      case "memory_usage":
      case "network_latency":
      case "error_rate": {
        if (v === null) break;
        const r = METRIC_RANGES[k];
        if (!isNum(v) || v < r.min || v > r.max) return false;
        break;
      }
      case "metrics":
        if (!extraMetrics(v)) return false;
        break;
      case "labels":
        if (!labels(v)) return false;
        break;
      default:
        return false;
    }
  }
  return sawTimestamp;
}

function extraMetrics(v: unknown): boolean {
  if (!isObj(v)) return false;
  let n = 0;
  for (const k in v) {
    if (k === "__proto__" || !NAME_RE.test(k) || !isNum(v[k])) return false;
    n++;
  }
  return n <= MAX_EXTRA_METRICS;
}

function labels(v: unknown): boolean {
  if (!isObj(v)) return false;
  let n = 0;
  for (const k in v) {
    const s = v[k];
    if (k === "__proto__" || !NAME_RE.test(k) || typeof s !== "string" || s.length > MAX_LABEL_VALUE_CHARS)
      return false;
    n++;
  }
  return n <= MAX_LABELS;
}

/** `Record<string, number>` (risk). */
function numberRecord(v: unknown): boolean {
  if (!isObj(v)) return false;
  for (const k in v) if (k === "__proto__" || !isNum(v[k])) return false;
  return true;
}

function prediction(p: Obj): boolean {
  if (keyCount(p) !== PREDICTION_KEYS) return false;
  if (typeof p.host !== "string" || typeof p.model_version !== "string" || !isNum(p.steps_seen)) return false;
  if (typeof p.as_of !== "string" || !AS_OF.test(p.as_of)) return false;
  if (p.level_since !== null && (typeof p.level_since !== "string" || !LEVEL_SINCE.test(p.level_since)))
    return false;
  if (!isLevel(p.level) || !isNumOrNull(p.downtime_within_minutes) || !numberRecord(p.risk)) return false;
  // time_to_breach: some of the four metrics; anomaly: all four (a record keyed by an enum is exhaustive).
  const ttb = p.time_to_breach;
  if (!isObj(ttb)) return false;
  for (const k in ttb) if (!isMetric(k) || !isNum(ttb[k])) return false;
  const an = p.anomaly;
  if (!isObj(an) || keyCount(an) !== METRICS.length) return false;
  for (const m of METRICS) if (!isNum(an[m])) return false;
  const cs = p.contributors;
  if (!Array.isArray(cs)) return false;
  for (const c of cs) {
    if (!isObj(c) || keyCount(c) !== CONTRIBUTOR_KEYS) return false;
    if (typeof c.metric !== "string" || !isMetric(c.metric) || !isNum(c.anomaly)) return false;
    if (!isNumOrNull(c.risk_delta) || !isNumOrNull(c.value) || !isNumOrNull(c.z)) return false;
  }
  return true;
}

function alert(a: Obj): boolean {
  if (keyCount(a) !== ALERT_KEYS || typeof a.host !== "string") return false;
  if (!isLevel(a.from) || !isLevel(a.to) || !numberRecord(a.risk)) return false;
  return typeof a.at === "string" && ALERT_AT.test(a.at);
}

/** What the fast path knows of each schema's keys (parse.test.ts compares them with the contracts). */
export const FAST_PATH_KEYS = {
  envelope: ["id", "topic", "key", "ts", "payload"],
  metrics: ["host", "points"],
  point: ["timestamp", "cpu_usage", "memory_usage", "network_latency", "error_rate", "metrics", "labels"],
  prediction: [
    "host",
    "as_of",
    "risk",
    "level",
    "level_since",
    "downtime_within_minutes",
    "time_to_breach",
    "anomaly",
    "contributors",
    "model_version",
    "steps_seen",
  ],
  contributor: ["metric", "risk_delta", "value", "z", "anomaly"],
  alert: ["host", "from", "to", "at", "risk"],
  levels: LEVELS,
} as const;
