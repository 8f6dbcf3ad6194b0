/**
 * The database schema as numbered, checksummed migrations (`timescale/migrations/`), applied by
 * `npm run db:migrate` (this file's CLI) and by the connector at start.
 *
 * - Files: `NNNN_name.sql` runs on both paths; `NNNN_name.timescaledb.sql` only with TimescaleDB and
 *   `NNNN_name.postgres.sql` only on plain PostgreSQL (after the common file of the same number). A
 *   migration is its number and name; its checksum covers the files that run on the database's path.
 * - The path is decided once per database and recorded (`schema_path`): TimescaleDB when the extension
 *   is created already or is available and preloaded (`shared_preload_libraries`), else plain
 *   PostgreSQL; `path` forces one (an error where TimescaleDB cannot be created, or when the database was
 *   set up on the other path).
 * - Each migration runs in its own transaction, which first takes `pg_advisory_xact_lock(LOCK_KEY)`, so
 *   two connectors starting at once apply each migration exactly once (the second waits, then sees it
 *   applied). `schema_migrations(version, name, applied_at, checksum)` records what ran; an applied
 *   migration whose files changed since is an error naming it, before anything new is applied.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import postgres, { type Sql } from "postgres";

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");
/** The advisory lock every migration transaction takes (any constant no other code uses). */
export const LOCK_KEY = 7_246_311_010n;

export type SchemaPath = "timescaledb" | "postgres";

export type MigrationErrorCode =
  "NO_DATABASE_URL" | "BAD_MIGRATION_FILE" | "CHANGED" | "PATH_UNAVAILABLE" | "PATH_MISMATCH" | "FAILED";

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/** One numbered migration: its SQL per path (common text first, then the path's own). */
export interface Migration {
  version: number;
  name: string;
  /** File names, for messages. */
  files: string[];
  common: string;
  timescaledb: string;
  postgres: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)(?:\.(timescaledb|postgres))?\.sql$/;

/** Reads `dir` into migrations ordered by version; a stray or inconsistent file name is an error. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const byVersion = new Map<number, Migration>();
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) {
      throw new MigrationError(
        "BAD_MIGRATION_FILE",
        `${join(dir, file)}: not a migration file name (NNNN_name.sql, NNNN_name.timescaledb.sql or NNNN_name.postgres.sql)`,
      );
    }
    const version = Number(m[1]);
    const name = m[2]!;
    const part = (m[3] as SchemaPath | undefined) ?? "common";
    const entry = byVersion.get(version) ?? {
      version,
      name,
      files: [],
      common: "",
      timescaledb: "",
      postgres: "",
    };
    if (entry.name !== name) {
      throw new MigrationError(
        "BAD_MIGRATION_FILE",
        `${join(dir, file)}: migration ${version} is named '${entry.name}' by ${entry.files[0]}`,
      );
    }
    // CRLF checkouts must not count as a change.
    entry[part] = readFileSync(join(dir, file), "utf8").replace(/\r\n/g, "\n");
    entry.files.push(file);
    byVersion.set(version, entry);
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/** The SQL a migration runs on `path`. */
export function migrationSql(m: Migration, path: SchemaPath): string {
  return [m.common, m[path]].filter((s) => s.trim() !== "").join("\n");
}

/** sha256 (hex) of the SQL a migration runs on `path`. */
export function checksum(m: Migration, path: SchemaPath): string {
  return createHash("sha256").update(migrationSql(m, path)).digest("hex");
}

export interface MigrateOptions {
  /** "auto" (default): decided from the server on first run, then as recorded. */
  path?: SchemaPath | "auto";
  migrations?: Migration[];
  log?: (line: string) => void;
}

export interface MigrateResult {
  path: SchemaPath;
  /** Migrations this run applied, in order. */
  applied: { version: number; name: string }[];
  /** Versions recorded in the database that this code does not know (a newer schema). */
  unknown: number[];
}

const label = (m: { version: number; name: string }): string =>
  `${String(m.version).padStart(4, "0")}_${m.name}`;

/** The path recorded for this database, or null before the first migration. */
export async function recordedPath(sql: Sql): Promise<SchemaPath | null> {
  const [t] = await sql`SELECT to_regclass('schema_path') IS NOT NULL AS present`;
  if (!t?.present) return null;
  const [row] = await sql`SELECT path FROM schema_path`;
  return row ? (row.path as SchemaPath) : null;
}

/** Applies the pending migrations (see the module comment). */
export async function migrate(sql: Sql, o: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = o.migrations ?? loadMigrations();
  const want = o.path ?? "auto";
  const { path, applied } = await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    await tx.unsafe(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        checksum   text        NOT NULL
      );
      CREATE TABLE IF NOT EXISTS schema_path (
        only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
        path       text        NOT NULL CHECK (path IN ('timescaledb', 'postgres')),
        decided_at timestamptz NOT NULL DEFAULT now()
      );`);
    const [recorded] = await tx`SELECT path FROM schema_path`;
    let path: SchemaPath;
    if (recorded) {
      path = recorded.path as SchemaPath;
      if (want !== "auto" && want !== path) {
        throw new MigrationError(
          "PATH_MISMATCH",
          `this database was set up for ${path}; it cannot be migrated as ${want}`,
        );
      }
    } else {
      const [r] = await tx`
        SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
            OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
                AND current_setting('shared_preload_libraries') ~ '(^|[\\s,])timescaledb($|[\\s,])')
            AS usable`;
      const usable = r?.usable === true;
      if (want === "timescaledb" && !usable) {
        throw new MigrationError(
          "PATH_UNAVAILABLE",
          "TimescaleDB is not available in this server (installed and in shared_preload_libraries)",
        );
      }
      path = want === "auto" ? (usable ? "timescaledb" : "postgres") : want;
      await tx`INSERT INTO schema_path (path) VALUES (${path})`;
    }
    const rows = await tx`SELECT version, name, checksum FROM schema_migrations ORDER BY version`;
    return {
      path,
      applied: rows.map((r) => ({
        version: Number(r.version),
        name: String(r.name),
        checksum: String(r.checksum),
      })),
    };
  });

  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const a of applied) {
    const m = known.get(a.version);
    if (m) assertUnchanged(m, path, a);
  }
  const unknown = applied.filter((a) => !known.has(a.version)).map((a) => a.version);
  if (unknown.length > 0) {
    o.log?.(
      `the database has migrations this code does not know (${unknown.join(", ")}): a newer schema; left as it is`,
    );
  }

  const done: MigrateResult["applied"] = [];
  for (const m of migrations) {
    if (applied.some((a) => a.version === m.version)) continue;
    const ran = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
      // Another runner may have applied it while this one waited for the lock.
      const [row] = await tx`SELECT name, checksum FROM schema_migrations WHERE version = ${m.version}`;
      if (row) {
        assertUnchanged(m, path, {
          version: m.version,
          name: String(row.name),
          checksum: String(row.checksum),
        });
        return false;
      }
      const text = migrationSql(m, path);
      try {
        if (text.trim() !== "") await tx.unsafe(text);
      } catch (e) {
        throw new MigrationError(
          "FAILED",
          `migration ${label(m)} (${path}) failed: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
      }
      await tx`INSERT INTO schema_migrations (version, name, checksum)
               VALUES (${m.version}, ${m.name}, ${checksum(m, path)})`;
      return true;
    });
    if (ran) {
      done.push({ version: m.version, name: m.name });
      o.log?.(`applied ${label(m)} (${path})`);
    }
  }
  return { path, applied: done, unknown };
}

function assertUnchanged(
  m: Migration,
  path: SchemaPath,
  a: { version: number; name: string; checksum: string },
): void {
  if (a.name !== m.name || a.checksum !== checksum(m, path)) {
    throw new MigrationError(
      "CHANGED",
      `migration ${label(a)} was applied to this database and has changed since (${m.files.join(", ")} ` +
        `now ${label(m)}, checksum ${checksum(m, path).slice(0, 12)} ≠ applied ${a.checksum.slice(0, 12)}); ` +
        "an applied migration must never be edited: add a new one",
    );
  }
}

/** CLI: `npx tsx timescale/migrate.ts [--path timescaledb|postgres]`, database from DATABASE_URL. */
async function main(argv: string[]): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      "db:migrate: DATABASE_URL is not set (e.g. DATABASE_URL=postgres://user:password@127.0.0.1:5432/downtime)",
    );
    return 2;
  }
  const i = argv.indexOf("--path");
  const path = i >= 0 ? argv[i + 1] : "auto";
  if (path !== "auto" && path !== "timescaledb" && path !== "postgres") {
    console.error(`db:migrate: --path must be timescaledb or postgres, not '${path ?? ""}'`);
    return 2;
  }
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => undefined });
  try {
    const r = await migrate(sql, { path, log: (l) => console.log(`db:migrate: ${l}`) });
    console.log(
      r.applied.length === 0
        ? `db:migrate: schema up to date (${r.path})`
        : `db:migrate: ${r.applied.length} migration(s) applied (${r.path})`,
    );
    return 0;
  } catch (e) {
    console.error(`db:migrate: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
