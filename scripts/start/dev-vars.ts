/**
 * The local API key and `.dev.vars`. wrangler dev reads `API_KEYS` from that file: a JSON list of
 * `{tenant, sha256, scopes}` holding the SHA-256 of each key, never the key. On first run `npm start`
 * creates a random key and writes the file; it also keeps the plain key in a comment line so later runs
 * can print it again and stream the demo with it. A file written by anyone else is left exactly as it is.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { parseEnv } from "node:util";
import { ApiKeys, type ApiKeyEntry } from "../../worker/auth.ts";
import { StartError } from "./errors.ts";

/** Tenant the generated key belongs to. */
export const LOCAL_TENANT = "local";
/** Prefix of generated keys, so a leaked one is recognisable as a local development key. */
export const KEY_PREFIX = "edp_local_";
/** The comment line that carries the plain key in a file written by `npm start`. */
const KEY_LINE = /^#\s*local-api-key:\s*(\S+)\s*$/m;

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** A new random key: prefix + 32 bytes, base64url (safe inside shell single quotes and HTTP headers). */
export function generateKey(random: (bytes: number) => Uint8Array = randomBytes): string {
  return KEY_PREFIX + Buffer.from(random(32)).toString("base64url");
}

/** The file `npm start` writes on first run. */
export function renderDevVars(key: string): string {
  const entries: ApiKeyEntry[] = [
    { tenant: LOCAL_TENANT, sha256: sha256Hex(key), scopes: ["write", "read"] },
  ];
  return [
    "# Written by `npm start` for local development only; git-ignored. Delete it to get a new key.",
    "# wrangler dev reads API_KEYS (SHA-256 of each key, never the key itself). The plain key is kept in",
    "# the next comment only so `npm start` can print it again and stream its demo fleet with it.",
    `# local-api-key: ${key}`,
    `API_KEYS='${JSON.stringify(entries)}'`,
    "",
  ].join("\n");
}

export interface DevVarsContent {
  /** Entries of API_KEYS, or why they are unusable. */
  apiKeys: { ok: true; entries: ApiKeyEntry[] } | { ok: false; reason: string };
  /** The key from the `# local-api-key:` comment, when the file has one. */
  storedKey: string | null;
}

/** Reads a dev vars file's text (dotenv syntax, as wrangler parses it). */
export function parseDevVars(text: string): DevVarsContent {
  const storedKey = KEY_LINE.exec(text)?.[1] ?? null;
  const raw = parseEnv(text).API_KEYS;
  if (raw === undefined) return { apiKeys: { ok: false, reason: "it has no API_KEYS line" }, storedKey };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { apiKeys: { ok: false, reason: "its API_KEYS is not valid JSON" }, storedKey };
  }
  const r = ApiKeys.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    return {
      apiKeys: {
        ok: false,
        reason: `its API_KEYS entry ${i?.path.join(".") ?? ""}: ${i?.message ?? "invalid"}`,
      },
      storedKey,
    };
  }
  return { apiKeys: { ok: true, entries: r.data }, storedKey };
}

export type KeySource = "created" | "dev-vars" | "env";

export interface LocalKey {
  key: string;
  source: KeySource;
  tenant: string;
}

/**
 * Which key the demo streams with. `existing` is the file's text (null when there is none); `envKey`
 * the API_KEY variable. Throws StartError with a hint when the demo has no usable key.
 */
export function chooseKey(
  existing: string | null,
  envKey: string | undefined,
  file: string,
  newKey: () => string,
): LocalKey {
  if (existing === null) {
    const key = envKey ?? newKey();
    return { key, source: envKey === undefined ? "created" : "env", tenant: LOCAL_TENANT };
  }
  const content = parseDevVars(existing);
  if (!content.apiKeys.ok) {
    throw new StartError(
      "DEV_VARS_INVALID",
      `${file} exists but ${content.apiKeys.reason}; the Worker needs API_KEYS to accept any request.`,
      `Fix it (API_KEYS='[{"tenant":"local","sha256":"<hex sha256 of your key>","scopes":["write","read"]}]'), ` +
        `or move it away so npm start writes a new one with a fresh key.`,
    );
  }
  const key = envKey ?? content.storedKey;
  if (key === null) {
    throw new StartError(
      "DEV_VARS_NO_KEY",
      `${file} exists and was not written by npm start, so the demo does not know a key to stream with.`,
      `Run with the key whose SHA-256 is in its API_KEYS: API_KEY=<your key> npm start\n` +
        `or move ${file} away so npm start writes a new one with a fresh key.`,
    );
  }
  const hash = sha256Hex(key);
  const entry = content.apiKeys.entries.find((e) => e.sha256 === hash);
  const source: KeySource = envKey === undefined ? "dev-vars" : "env";
  const from = source === "env" ? "API_KEY" : `the key in ${file}'s local-api-key comment`;
  if (!entry) {
    throw new StartError(
      "KEY_NOT_ACCEPTED",
      `${from} does not match any API_KEYS entry in ${file} (its SHA-256 ${hash.slice(0, 12)}… is not listed).`,
      `Use a key listed there, or move ${file} away so npm start writes a new one.`,
    );
  }
  const missing = (["write", "read"] as const).filter((s) => !entry.scopes.includes(s));
  if (missing.length > 0) {
    throw new StartError(
      "KEY_NOT_ACCEPTED",
      `${from} lacks the ${missing.join(" and ")} scope${missing.length > 1 ? "s" : ""} the demo needs (tenant '${entry.tenant}').`,
      `Give it "scopes":["write","read"] in ${file}.`,
    );
  }
  return { key, source, tenant: entry.tenant };
}

/**
 * Returns the demo's key, creating `file` (mode 0600, never overwriting) when it does not exist.
 */
export async function ensureDevVars(
  file: string,
  envKey: string | undefined,
): Promise<LocalKey & { file: string; fileCreated: boolean }> {
  let existing: string | null;
  try {
    existing = await readFile(file, "utf8");
  } catch (e) {
    if (!(e instanceof Error && "code" in e && e.code === "ENOENT")) throw e;
    existing = null;
  }
  const chosen = chooseKey(existing, envKey, file, () => generateKey());
  if (existing === null) {
    // "wx": if another process created the file meanwhile, fail instead of replacing its key.
    await writeFile(file, renderDevVars(chosen.key), { encoding: "utf8", mode: 0o600, flag: "wx" });
  }
  return { ...chosen, file, fileCreated: existing === null };
}
