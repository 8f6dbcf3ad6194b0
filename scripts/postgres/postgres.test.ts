/**
 * A real PostgreSQL 15 cluster on 127.0.0.1: initialised, started, connected to with the generated
 * password, TimescaleDB created where npm test's set-up built it, restarted on the same data directory,
 * stopped with nothing of it left and its temporary directory gone. Skipped, loudly, where PostgreSQL
 * is not installed.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { groupProcesses } from "../lib/process-group.ts";
import {
  PostgresError,
  TIMESCALE_VERSION,
  postgresMissing,
  startPostgres,
  timescaleInstalled,
  type RunningPostgres,
} from "./postgres.ts";

const missing = postgresMissing();
if (missing) console.warn(`\n[postgres.test] SKIPPED: ${missing}\n`);
const timescale = missing === null && timescaleInstalled();
if (missing === null && !timescale) {
  console.warn(
    `\n[postgres.test] TimescaleDB ${TIMESCALE_VERSION} is not installed: its check is SKIPPED (npm test's set-up builds it from ../shared/vendor)\n`,
  );
}

describe.skipIf(missing !== null)("PostgreSQL on 127.0.0.1", () => {
  const started: RunningPostgres[] = [];
  afterAll(async () => {
    for (const pg of started) await pg.stop();
  }, 60_000);

  it("starts a fresh cluster with the downtime database, survives a restart, stops leaving nothing", async () => {
    const lines: string[] = [];
    const pg = await startPostgres({ log: (l) => lines.push(l) });
    started.push(pg);
    expect(pg.host).toBe("127.0.0.1");
    expect(pg.url).toBe(`postgres://postgres:${pg.password}@127.0.0.1:${pg.port}/downtime`);
    expect(lines.at(-1)).toMatch(/^PostgreSQL 15.* ready on 127\.0\.0\.1:\d+/);
    const pgid = pg.pgid();
    expect(groupProcesses(pgid).length).toBeGreaterThan(0);

    const sql = postgres(pg.url, { max: 1, onnotice: () => undefined });
    try {
      const [row] =
        await sql`SELECT current_database() AS db, current_setting('server_version_num')::int AS v,
        current_setting('listen_addresses') AS listen, current_setting('server_encoding') AS enc`;
      expect(row).toMatchObject({ db: "downtime", listen: "127.0.0.1", enc: "UTF8" });
      expect(Math.floor(Number(row?.v) / 10000)).toBe(15);
      await sql`CREATE TABLE survives (x int)`;
      await sql`INSERT INTO survives VALUES (42)`;
    } finally {
      await sql.end({ timeout: 5 });
    }

    // A wrong password is refused: readiness can only have come from this cluster.
    const wrong = postgres(pg.url.replace(pg.password, "not-the-password"), { max: 1, connect_timeout: 5 });
    await expect(wrong`SELECT 1`).rejects.toThrow(/password authentication failed/);
    await wrong.end({ timeout: 1 });

    await pg.restart();
    expect(groupProcesses(pgid)).toEqual([]);
    const again = postgres(pg.url, { max: 1 });
    try {
      expect(await again`SELECT x FROM survives`).toEqual([{ x: 42 }]);
    } finally {
      await again.end({ timeout: 5 });
    }

    const newPgid = pg.pgid();
    const r = await pg.stop();
    expect(r).toEqual({ forced: false, leftovers: [] });
    expect(groupProcesses(newPgid)).toEqual([]);
    expect(existsSync(pg.dataDir)).toBe(false);
  }, 120_000);

  it.skipIf(process.getuid?.() !== 0)(
    "as root, names the directory the postgres user cannot enter instead of initdb's bare 'Permission denied'",
    async () => {
      const parent = mkdtempSync(join(tmpdir(), "pg-closed-")); // 0700, root's
      try {
        const err = await startPostgres({ dataDir: join(parent, "a", "cluster"), timescale: false }).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(PostgresError);
        expect((err as Error).message).toContain(`cannot enter ${parent} on the way to`);
        expect((err as Error).message).toContain(`chmod o+x ${parent}`);
        expect(existsSync(join(parent, "a"))).toBe(false); // nothing half-made
      } finally {
        rmSync(parent, { recursive: true, force: true });
      }
    },
  );

  it("keeps a given data directory: a later start finds the cluster, its password and its data", async () => {
    // The parent must be traversable by the postgres user when this runs as root.
    const parent = mkdtempSync(join(tmpdir(), "pg-given-"));
    chmodSync(parent, 0o755);
    try {
      const dataDir = join(parent, "cluster");
      const first = await startPostgres({ dataDir, timescale: false });
      started.push(first);
      const a = postgres(first.url, { max: 1 });
      await a`CREATE TABLE kept (x int)`;
      await a`INSERT INTO kept VALUES (7)`;
      await a.end({ timeout: 5 });
      await first.stop();
      expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);

      const second = await startPostgres({ dataDir, timescale: false });
      started.push(second);
      expect(second.password).toBe(first.password);
      const b = postgres(second.url, { max: 1 });
      try {
        expect(await b`SELECT x FROM kept`).toEqual([{ x: 7 }]);
      } finally {
        await b.end({ timeout: 5 });
      }
      expect((await second.stop()).leftovers).toEqual([]);
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 120_000);

  it.skipIf(!timescale)(
    "preloads TimescaleDB: CREATE EXTENSION timescaledb works",
    async () => {
      const pg = await startPostgres({ timescale: true });
      started.push(pg);
      expect(pg.timescale).toBe(true);
      const sql = postgres(pg.url, { max: 1, onnotice: () => undefined });
      try {
        await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`;
        const [ext] = await sql`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`;
        console.log(`[postgres.test] TimescaleDB ${String(ext?.extversion)} created`);
        expect(ext?.extversion).toBe(TIMESCALE_VERSION);
        await sql`CREATE TABLE t (time timestamptz NOT NULL, v double precision)`;
        const [h] = await sql`SELECT created FROM create_hypertable('t', by_range('time'))`;
        expect(h?.created).toBe(true);
      } finally {
        await sql.end({ timeout: 5 });
      }
      expect((await pg.stop()).leftovers).toEqual([]);
    },
    120_000,
  );

  it("refuses timescale: true where the extension is not installed, and a taken fixed port", async () => {
    if (!timescale) {
      await expect(startPostgres({ timescale: true })).rejects.toMatchObject({ code: "TIMESCALE_MISSING" });
    }
    const pg = await startPostgres({ timescale: false });
    started.push(pg);
    expect(pg.timescale).toBe(false);
    const err = await startPostgres({ timescale: false, port: pg.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresError);
    expect(err).toMatchObject({ code: "PORT_TAKEN" });
    await pg.stop();
  }, 120_000);
});
