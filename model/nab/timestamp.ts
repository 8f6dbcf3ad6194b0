/**
 * NAB timestamps: `YYYY-MM-DD HH:MM:SS` in data files, `YYYY-MM-DD HH:MM:SS.ffffff` in label files.
 * NAB (pandas) compares them as instants, so both forms must map to the same key. Timestamps carry no
 * zone; we read them as UTC, which keeps the ordering and the spacing of rows.
 */

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

/** A parsed timestamp: `key` in whole microseconds since the epoch (exact, comparable), `ms` for detectors. */
export interface NabInstant {
  key: number;
  ms: number;
}

/** Parses a NAB timestamp; returns null when the text is not one (callers name the file and row). */
export function parseNabTimestamp(text: string): NabInstant | null {
  const m = TIMESTAMP.exec(text.trim());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March; a real calendar date survives the round trip.
  if (new Date(ms).getUTCDate() !== day) return null;
  const micros = frac === undefined ? 0 : Number(frac.padEnd(6, "0"));
  return { key: ms * 1000 + micros, ms: ms + Math.floor(micros / 1000) };
}
