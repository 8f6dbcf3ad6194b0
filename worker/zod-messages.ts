/**
 * Zod's issues in the API's words. `apiMessage` is a zod error map passed to every parse of request
 * input (see `validate` in errors.ts): a message written into a schema wins, and this map words every
 * other issue as a short phrase naming what is expected — "must be a number, not a string", "must be one
 * of ok, warning, critical", "is required" — never zod's "Invalid input: expected number, received NaN".
 * The field itself is named by the issue's path, not in the message.
 */
import type { z } from "zod";

type RawIssue = z.core.$ZodRawIssue;
type Issue = z.core.$ZodIssue;

/** At most this many characters of a client's key or value are echoed in a message. */
const MAX_ECHO_CHARS = 64;

/** The error map: an API phrase for each zod issue code (for issues whose schema gives no message). */
export const apiMessage: z.core.$ZodErrorMap = (iss: RawIssue): string => {
  switch (iss.code) {
    case "invalid_type":
      return typeMessage(iss.expected, iss.input);
    case "too_small":
      return sizeMessage("small", iss.origin, iss.minimum, iss.inclusive ?? true, iss.exact ?? false);
    case "too_big":
      return sizeMessage("big", iss.origin, iss.maximum, iss.inclusive ?? true, iss.exact ?? false);
    case "invalid_format":
      return formatMessage(iss);
    case "not_multiple_of":
      return `must be a multiple of ${iss.divisor}`;
    case "unrecognized_keys":
      return iss.keys.length === 1
        ? unknownField(iss.keys[0]!)
        : `unknown fields ${iss.keys.map((k) => quote(k)).join(", ")}`;
    case "invalid_union":
      return unionMessage(iss);
    case "invalid_key":
      return iss.issues[0]?.message ?? "is not a valid name";
    case "invalid_element":
      return iss.issues[0]?.message ?? "has an invalid element";
    case "invalid_value":
      return iss.values.length === 1
        ? `must be ${String(iss.values[0])}`
        : `must be one of ${iss.values.map(String).join(", ")}`;
    case "custom":
      return "is invalid";
  }
};

/** The message for a key a strict object does not know. */
export function unknownField(key: string): string {
  return `unknown field ${quote(key)}`;
}

/** A client's string as echoed in a message or path: cut after MAX_ECHO_CHARS characters. */
export function truncate(s: string): string {
  return s.length > MAX_ECHO_CHARS ? `${s.slice(0, MAX_ECHO_CHARS)}…` : s;
}

function quote(s: string): string {
  return `'${truncate(s)}'`;
}

function typeMessage(expected: string, input: unknown): string {
  if (input === undefined) return "is required";
  if (expected === "number" && typeof input === "number") return "must be a finite number";
  if (expected === "int") return "must be an integer";
  return `must be ${typeNoun(expected)}, not ${describe(input)}`;
}

const TYPE_NOUNS: Record<string, string> = {
  object: "a JSON object",
  record: "an object",
  array: "an array",
  int: "an integer",
  null: "null",
};

/** Whether a JSON value is of zod's `expected` type (whatever checks it then failed). */
function hasType(v: unknown, expected: string): boolean {
  switch (expected) {
    case "number":
    case "int":
    case "nan":
      return typeof v === "number";
    case "object":
    case "record":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
    case "null":
      return v === null;
    default:
      return typeof v === expected;
  }
}

function typeNoun(expected: string): string {
  return TYPE_NOUNS[expected] ?? `a ${expected}`;
}

/** What a JSON value is, in words ("a string", "null", "an array"). */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return `a ${typeof v}`;
}

function sizeMessage(
  side: "small" | "big",
  origin: string,
  bound: number | bigint,
  inclusive: boolean,
  exact: boolean,
): string {
  const n = String(bound);
  const unit =
    origin === "string"
      ? "characters"
      : origin === "array" || origin === "set"
        ? "items"
        : origin === "map" || origin === "record"
          ? "entries"
          : null;
  if (unit === null) {
    // A number (or bigint, or date): the bound itself.
    if (side === "small") return inclusive ? `must be at least ${n}` : `must be greater than ${n}`;
    return inclusive ? `must be at most ${n}` : `must be less than ${n}`;
  }
  const one = unit === "characters" ? "character" : unit === "items" ? "item" : "entry";
  const count = (k: string) => `${k} ${k === "1" ? one : unit}`;
  // A string "is" its characters; an array or record "has" its items.
  const verb = unit === "characters" ? "be" : "have";
  if (exact) return `must ${verb} exactly ${count(n)}`;
  if (side === "small") {
    if (n === "1" && inclusive) return "must not be empty";
    return inclusive ? `must ${verb} at least ${count(n)}` : `must ${verb} more than ${count(n)}`;
  }
  return inclusive ? `must ${verb} at most ${count(n)}` : `must ${verb} fewer than ${count(n)}`;
}

const FORMAT_NOUNS: Record<string, string> = {
  datetime: "an ISO-8601 date-time",
  date: "an ISO-8601 date (YYYY-MM-DD)",
  time: "an ISO-8601 time",
  duration: "an ISO-8601 duration",
  url: "a URL",
  email: "an email address",
  uuid: "a UUID",
  base64: "base64",
  base64url: "base64url",
};

function formatMessage(iss: Extract<RawIssue, { code: "invalid_format" }>): string {
  switch (iss.format) {
    case "regex":
      return "is not in the expected format";
    case "starts_with":
      return typeof iss.prefix === "string" ? `must start with ${quote(iss.prefix)}` : "has a wrong start";
    case "ends_with":
      return typeof iss.suffix === "string" ? `must end with ${quote(iss.suffix)}` : "has a wrong end";
    case "includes":
      return typeof iss.includes === "string" ? `must contain ${quote(iss.includes)}` : "is invalid";
    default:
      return `must be ${FORMAT_NOUNS[iss.format] ?? `a valid ${iss.format}`}`;
  }
}

/**
 * A value no option of a union accepts. When the value has the type of some option (a number given to
 * "epoch ms or ISO string"), that option's own complaint says most ("must be an integer"). When it has
 * the type of none, a message written into one of the options wins; otherwise the expected types are
 * listed ("must be a number or a string, not a boolean").
 */
function unionMessage(iss: Extract<RawIssue, { code: "invalid_union" }>): string {
  if (iss.errors.length === 0) return "matches more than one of the accepted forms";
  const wrongType = (i: Issue) =>
    i.code === "invalid_type" && i.path.length === 0 && !hasType(iss.input, i.expected);
  const matched = iss.errors.find((issues) => !issues.every(wrongType));
  const first = matched?.[0];
  if (first !== undefined) {
    return first.path.length > 0 ? `${first.path.map(String).join(".")}: ${first.message}` : first.message;
  }
  const wrong = iss.errors.flatMap((issues) =>
    issues.filter((i): i is z.core.$ZodIssueInvalidType => i.code === "invalid_type"),
  );
  const written = wrong.find((i) => i.message !== typeMessage(i.expected, iss.input));
  if (written !== undefined) return written.message;
  const nouns = [...new Set(wrong.map((i) => typeNoun(i.expected)))];
  return `must be ${nouns.join(" or ")}, not ${describe(iss.input)}`;
}
