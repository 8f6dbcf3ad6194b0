/**
 * Naming rules every side shares: hosts, tenants, extra metric and label names, and the two names
 * built from a (tenant, host) pair — the Durable Object's name and the Kafka key.
 */
import { z } from "zod";

/** Host names: 1–128 chars, letters, digits and `. _ : -`, starting with a letter or digit. */
export const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Tenant names (from API_KEYS): same alphabet, at most 64 chars. */
export const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Extra metric and label names. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
export const NAME_RULE = "1–64 letters, digits and _ . : -, starting with a letter or _";

export const HostName = z.string().regex(HOST_RE, {
  message: "must be 1–128 characters of letters, digits and . _ : -, starting with a letter or digit",
});
export const TenantName = z.string().regex(TENANT_RE, {
  message: "must be 1–64 characters of letters, digits and . _ : -, starting with a letter or digit",
});

/**
 * `<tenant>/<host>`: the HostMonitor object's name and the Kafka key of the host's events (one
 * partition per host keeps its events in order). Unambiguous: neither name contains `/`.
 */
export function hostKey(tenant: string, host: string): string {
  return `${tenant}/${host}`;
}

/** The (tenant, host) of a {@link hostKey}, or null when `key` is not one. */
export function parseHostKey(key: string): { tenant: string; host: string } | null {
  const i = key.indexOf("/");
  if (i < 0) return null;
  const tenant = key.slice(0, i);
  const host = key.slice(i + 1);
  return TENANT_RE.test(tenant) && HOST_RE.test(host) ? { tenant, host } : null;
}
