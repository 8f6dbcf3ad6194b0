/**
 * The migration runner against a real PostgreSQL 15 (scripts/postgres): a cluster WITHOUT TimescaleDB
 * preloaded (the plain path chosen by itself, TimescaleDB refused) and, where it is built, one WITH it
 * (the TimescaleDB path chosen by itself). Applying twice is a no-op, a changed applied migration is
 * refused by name, concurrent runs apply each migration once, and the CLI. Skipped, loudly, without
 * PostgreSQL.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  postgresMissing,
  startPostgres,
  timescaleInstalled,
  type RunningPostgres,
} from "../scripts/postgres/postgres.ts";
import { MIGRATIONS_DIR, MigrationError, loadMigrations, migrate, recordedPath } from "./migrate.ts";

const execFileAsync = promisify(execFile);
const missing = postgresMissing();
if (missing) console.warn(`\n[migrate.test] SKIPPED: ${missing}\n`);
const timescale = missing === null && timescaleInstalled();
if (missing === null && !timescale) {
  console.warn("\n[migrate.test] TimescaleDB is not installed: its automatic-path case is SKIPPED\n");
}

describe.skipIf(missing !== null)("migrate() on a real PostgreSQL", () => {
  let plain: RunningPostgres;
  let withTimescale: RunningPostgres | undefined;
  const clients: Sql[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "migrate-test-"));
  const connect = (url: string, max = 2): Sql => {
    const sql = postgres(url, { max, onnotice: () => undefined });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    [plain, withTimescale] = await Promise.all([
      startPostgres({ timescale: false }),
      timescale ? startPostgres({ timescale: true }) : Promise.resolve(undefined),
    ]);
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.end({ timeout: 5 });
    await plain?.stop();
    await withTimescale?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it("chooses plain PostgreSQL where TimescaleDB is not preloaded, and refuses to force it", async () => {
    const sql = connect(await plain.createDatabase("auto_plain"));
    await expect(migrate(sql, { path: "timescaledb" })).rejects.toMatchObject({ code: "PATH_UNAVAILABLE" });
    expect(await recordedPath(sql)).toBeNull();
    const lines: string[] = [];
    const r = await migrate(sql, { log: (l) => lines.push(l) });
    expect(r).toEqual({
      path: "postgres",
      applied: [
        { version: 1, name: "extension" },
        { version: 2, name: "tables" },
        { version: 3, name: "rollups" },
      ],
      unknown: [],
    });
    expect(lines).toEqual([
      "applied 0001_extension (postgres)",
      "applied 0002_tables (postgres)",
      "applied 0003_rollups (postgres)",
    ]);
    expect(await recordedPath(sql)).toBe("postgres");
    // Twice: nothing to do, nothing changed.
    expect(await migrate(sql)).toEqual({ path: "postgres", applied: [], unknown: [] });
    const rows = await sql`SELECT version, name, length(checksum) AS len FROM schema_migrations ORDER BY 1`;
    expect(rows).toEqual([
      { version: 1, name: "extension", len: 64 },
      { version: 2, name: "tables", len: 64 },
      { version: 3, name: "rollups", len: 64 },
    ]);
    await expect(migrate(sql, { path: "timescaledb" })).rejects.toMatchObject({ code: "PATH_MISMATCH" });
  });

  it.skipIf(!timescale)("chooses TimescaleDB where it is preloaded", async () => {
    const sql = connect(await withTimescale!.createDatabase("auto_timescale"));
    const r = await migrate(sql);
    expect(r.path).toBe("timescaledb");
    expect(r.applied).toHaveLength(3);
    expect(await migrate(sql)).toEqual({ path: "timescaledb", applied: [], unknown: [] });
    await expect(migrate(sql, { path: "postgres" })).rejects.toMatchObject({ code: "PATH_MISMATCH" });
  });

  it("refuses an applied migration that was changed, naming it, and applies nothing", async () => {
    const sql = connect(await plain.createDatabase("changed"));
    await migrate(sql);
    const dir = join(tmp, "changed");
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const file = join(dir, "0002_tables.sql");
    const original = readFileSync(file, "utf8");
    const edited = original.replace(/cpu_usage\s+double precision,/, "cpu_usage real,");
    expect(edited).not.toBe(original);
    writeFileSync(file, edited);
    writeFileSync(join(dir, "0004_more.sql"), "CREATE TABLE must_not_exist (x int);\n");
    const err = await migrate(sql, { migrations: loadMigrations(dir) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err).toMatchObject({
      code: "CHANGED",
      message: expect.stringMatching(/migration 0002_tables was applied/),
    });
    const [t] = await sql`SELECT to_regclass('must_not_exist') IS NULL AS absent`;
    expect(t?.absent).toBe(true);

    // A new migration alone is applied; a failing one is rolled back whole and names itself.
    const ok = join(tmp, "added");
    cpSync(MIGRATIONS_DIR, ok, { recursive: true });
    writeFileSync(join(ok, "0004_more.sql"), "CREATE TABLE more_a (x int);\n");
    expect((await migrate(sql, { migrations: loadMigrations(ok) })).applied).toEqual([
      { version: 4, name: "more" },
    ]);
    writeFileSync(join(ok, "0005_broken.sql"), "CREATE TABLE more_b (x int);\nSELECT no_such_function();\n");
    await expect(migrate(sql, { migrations: loadMigrations(ok) })).rejects.toMatchObject({
      code: "FAILED",
      message: expect.stringMatching(/migration 0005_broken \(postgres\) failed: .*no_such_function/),
    });
    const [b] = await sql`SELECT to_regclass('more_b') IS NULL AS absent,
      (SELECT count(*)::int FROM schema_migrations WHERE version = 5) AS recorded`;
    expect(b).toEqual({ absent: true, recorded: 0 });
  });

  it("rejects a stray file name in the migrations folder", () => {
    const dir = join(tmp, "stray");
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, "5_oops.sql"), "");
    expect(() => loadMigrations(dir)).toThrow(/5_oops\.sql: not a migration file name/);
  });

  it("concurrent runs (connectors starting at once) apply each migration exactly once", async () => {
    const url = await plain.createDatabase("concurrent");
    const runners = Array.from({ length: 4 }, () => connect(url, 1));
    const results = await Promise.all(runners.map((sql) => migrate(sql)));
    const applied = results.flatMap((r) => r.applied.map((m) => m.version)).sort();
    expect(applied).toEqual([1, 2, 3]);
    const [n] = await runners[0]!`SELECT count(*)::int AS n FROM schema_migrations`;
    expect(n?.n).toBe(3);
  });

  it("CLI: a clear error without DATABASE_URL; applies, then says the schema is up to date", async () => {
    const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
    const cli = join(process.cwd(), "timescale", "migrate.ts");
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const none = await execFileAsync(tsx, [cli], { env, timeout: 60_000 }).catch(
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(none).toMatchObject({ code: 2, stderr: expect.stringMatching(/DATABASE_URL is not set/) });

    const url = await plain.createDatabase("cli");
    const first = await execFileAsync(tsx, [cli], { env: { ...env, DATABASE_URL: url }, timeout: 60_000 });
    expect(first.stdout.trim().split("\n")).toEqual([
      "db:migrate: applied 0001_extension (postgres)",
      "db:migrate: applied 0002_tables (postgres)",
      "db:migrate: applied 0003_rollups (postgres)",
      "db:migrate: 3 migration(s) applied (postgres)",
    ]);
    const second = await execFileAsync(tsx, [cli], { env: { ...env, DATABASE_URL: url }, timeout: 60_000 });
    expect(second.stdout.trim()).toBe("db:migrate: schema up to date (postgres)");
  }, 120_000);
});
