/**
 * API keys used only by the tests (never deployed): the vitest config turns them into the `API_KEYS`
 * binding (SHA-256 hashes), the tests send them as bearer keys.
 */
export const TEST_KEYS = {
  /** tenant acme, read + write */
  acme: "test-acme-rw-3f1c9a7e",
  /** tenant acme, read only */
  acmeRead: "test-acme-ro-8b2d4f60",
  /** tenant acme, write only */
  acmeWrite: "test-acme-wo-51e0c3aa",
  /** tenant globex, read + write (cross-tenant checks) */
  globex: "test-globex-rw-9d7a21b4",
  /** tenants for the property-based tests (their own rate-limit buckets) */
  fuzz1: "test-fuzz1-rw-0c4e8f12",
  fuzz2: "test-fuzz2-rw-6a9b3d75",
  fuzz3: "test-fuzz3-rw-47c1e9d3",
  fuzz4: "test-fuzz4-rw-b85d2a61",
  /** tenant flood: exhausts its rate limit */
  flood: "test-flood-rw-2e7f5c08",
} as const;

export const TEST_TENANTS: Record<keyof typeof TEST_KEYS, { tenant: string; scopes: ("write" | "read")[] }> =
  {
    acme: { tenant: "acme", scopes: ["write", "read"] },
    acmeRead: { tenant: "acme", scopes: ["read"] },
    acmeWrite: { tenant: "acme", scopes: ["write"] },
    globex: { tenant: "globex", scopes: ["write", "read"] },
    fuzz1: { tenant: "fuzz1", scopes: ["write", "read"] },
    fuzz2: { tenant: "fuzz2", scopes: ["write", "read"] },
    fuzz3: { tenant: "fuzz3", scopes: ["write", "read"] },
    fuzz4: { tenant: "fuzz4", scopes: ["write", "read"] },
    flood: { tenant: "flood", scopes: ["write", "read"] },
  };
