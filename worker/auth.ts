/**
 * Bearer-key authentication. Keys are never stored: `API_KEYS` holds the hex SHA-256 of each key with
 * its tenant and scopes, e.g.
 * `[{"tenant": "acme", "sha256": "9f86d0…", "scopes": ["write", "read"]}]`.
 * The presented key is hashed and compared with every entry in constant time (no early exit on the
 * first match either), so timing reveals neither which entry matched nor how much of a hash did.
 */
import { z } from "zod";
import { TENANT_RE } from "../contracts/names.ts";
import { ApiError } from "./errors.ts";

export type Scope = "write" | "read";

export const ApiKeyEntry = z.strictObject({
  tenant: z.string().regex(TENANT_RE, { message: "tenant: 1–64 letters, digits, . _ : -" }),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: "sha256 must be 64 hex digits" })
    .transform((s) => s.toLowerCase()),
  scopes: z.array(z.enum(["write", "read"])).min(1),
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

export const ApiKeys = z.array(ApiKeyEntry);

export interface Principal {
  tenant: string;
  scopes: readonly Scope[];
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function equalConstantTime(a: string, b: string): boolean {
  // Both are 64-char lowercase hex by construction; compare every byte regardless.
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.byteLength !== y.byteLength) return false;
  // workerd has crypto.subtle.timingSafeEqual (non-standard); fall back to an XOR fold elsewhere.
  const subtle = crypto.subtle as typeof crypto.subtle & {
    timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean;
  };
  if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(x, y);
  let diff = 0;
  for (let i = 0; i < x.byteLength; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** Resolves the `Authorization` header to a principal, or throws 401. */
export async function authenticate(
  header: string | undefined,
  keys: readonly ApiKeyEntry[],
): Promise<Principal> {
  const challenge = { "WWW-Authenticate": 'Bearer realm="edge-downtime"' };
  if (!header)
    throw new ApiError("unauthorized", "missing Authorization: Bearer <key>", { headers: challenge });
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  if (!m) throw new ApiError("unauthorized", "Authorization must be 'Bearer <key>'", { headers: challenge });
  const hash = await sha256Hex(m[1]!);
  let found: ApiKeyEntry | undefined;
  for (const k of keys) {
    if (equalConstantTime(hash, k.sha256) && found === undefined) found = k;
  }
  if (!found) throw new ApiError("unauthorized", "unknown API key", { headers: challenge });
  return { tenant: found.tenant, scopes: found.scopes };
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.includes(scope)) {
    throw new ApiError("forbidden", `this key lacks the '${scope}' scope`);
  }
}
