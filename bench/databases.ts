// Databases on the local MariaDB and PostgreSQL servers for benchmarks that compare Berth and the
// reference on them (BENCH_DB=mysql|postgres): Berth's connection URL and the reference's.
import { sql } from "kysely";
import type { Store } from "../src/db/open.js";
/** The URLs of database `name` on the local `db` server, created empty first when `fresh`. */
export async function serverDatabase(db: string, name: string, fresh: boolean): Promise<{ berth: string; ref: string }> {
  if (db === "mysql") {
    if (fresh) {
      const mysql = await import("mysql2/promise");
      const c = await mysql.createConnection({ host: "127.0.0.1", user: "root" });
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
      await c.end();
    }
    const url = `mysql+pymysql://root@127.0.0.1/${name}?charset=utf8mb4`;
    return { berth: url, ref: url };
  }
  if (db === "postgres") {
    if (fresh) {
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1/postgres" });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
    }
    return { berth: `postgresql://postgres@127.0.0.1/${name}`, ref: `postgresql+psycopg2://postgres@127.0.0.1/${name}` };
  }
  throw new Error(`BENCH_DB=${db}: use sqlite, mysql or postgres`);
}

/** Drops database `name` on the local `db` server (mysql or postgres). */
export async function dropServerDatabase(db: string, name: string): Promise<void> {
  if (db === "mysql") {
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection({ host: "127.0.0.1", user: "root" });
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.end();
  } else if (db === "postgres") {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1/postgres" });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}

/** A random database name with `prefix`, so runs by several engineers never collide. */
export const randomName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/**
 * Gathers the planner statistics a live database would have after bulk loading (PostgreSQL's
 * autovacuum and InnoDB's automatic recalculation would take them within a minute).
 */
export async function analyze(store: Store): Promise<void> {
  if (store.caps.dialect === "postgres") await sql`VACUUM ANALYZE`.execute(store.db);
  if (store.caps.dialect === "mysql")
    await sql`ANALYZE TABLE resource_providers, inventories, allocations, resource_provider_traits, resource_provider_aggregates, consumers`.execute(store.db);
}

/**
 * Watches the server-wide change token Berth's candidate snapshots read (pg_current_snapshot() on
 * PostgreSQL, the InnoDB LSN on MariaDB) 20 times a second until stopped: how many times it moved.
 * NOTE: any commit in any database of the server moves it, the other engineers' tests on the shared
 * servers too, and every move makes Berth's snapshot stale.
 */
export async function watchToken(db: string): Promise<() => Promise<{ moves: number; polls: number }>> {
  let read: () => Promise<string>;
  let end: () => Promise<void>;
  if (db === "mysql") {
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection({ host: "127.0.0.1", user: "root" });
    read = async () => String(((await c.query("SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'")) as any)[0][0].Value);
    end = () => c.end();
  } else {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1/postgres" });
    await c.connect();
    read = async () => String((await c.query("SELECT pg_current_snapshot()::text AS t")).rows[0].t);
    end = () => c.end();
  }
  let last = await read();
  let moves = 0;
  let polls = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 50));
      const t = await read();
      polls++;
      if (t !== last) moves++;
      last = t;
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await end();
    return { moves, polls };
  };
}

/**
 * Commits `perSecond` tiny transactions a second into a scratch database of its own on the same
 * server until stopped: another application's writes, which move the server-wide change token.
 */
export async function sideWriter(db: string, perSecond: number): Promise<() => Promise<number>> {
  const name = randomName("berth_side");
  await serverDatabase(db, name, true);
  let write: () => Promise<unknown>;
  let end: () => Promise<void>;
  if (db === "mysql") {
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection({ host: "127.0.0.1", user: "root", database: name });
    await c.query("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    write = () => c.query("INSERT INTO t (v) VALUES (1)");
    end = () => c.end();
  } else {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1/${name}` });
    await c.connect();
    await c.query("CREATE TABLE t (id SERIAL PRIMARY KEY, v INT)");
    write = () => c.query("INSERT INTO t (v) VALUES (1)");
    end = () => c.end();
  }
  let stopped = false;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      await write();
      n++;
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await end();
    await dropServerDatabase(db, name);
    return n;
  };
}
