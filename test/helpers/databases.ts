// Real databases for tests: SQLite always; PostgreSQL and MariaDB when reachable (required when CI=true).
// Each test file gets its own fresh database, dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import mysql from "mysql2/promise";
import { describe } from "vitest";
import type { Dialect } from "../../src/db/capabilities.js";

export const PG_ADMIN = process.env.BERTH_TEST_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const MYSQL_ADMIN = process.env.BERTH_TEST_MYSQL ?? "mysql+pymysql://root@127.0.0.1:3306/test";

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN.replace(/\+\w+/, ""), connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function mysqlReachable(): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ uri: MYSQL_ADMIN.replace(/\+\w+/, ""), connectTimeout: 2000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const ci = process.env.CI === "true";
const only = process.env.BERTH_TEST_DBS?.split(",");

async function available(): Promise<Dialect[]> {
  const out: Dialect[] = ["sqlite"];
  for (const [d, probe, name] of [
    ["postgres", pgReachable, "PostgreSQL"],
    ["mysql", mysqlReachable, "MariaDB/MySQL"],
  ] as const) {
    if (await probe()) out.push(d);
    else if (ci) throw new Error(`${name} is required under CI=true but is not reachable (${d === "postgres" ? PG_ADMIN : MYSQL_ADMIN})`);
    else console.warn(`NOTE: ${name} is not reachable; its test suites are skipped`);
  }
  return only ? out.filter((d) => only.includes(d)) : out;
}

export const DIALECTS: Dialect[] = await available();

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createDatabase(dialect: Dialect): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `berth_t_${randomBytes(6).toString("hex")}`;
  if (dialect === "sqlite") return { url: "sqlite://", drop: async () => {} };
  if (dialect === "postgres") {
    const admin = new pg.Client({ connectionString: PG_ADMIN.replace(/\+\w+/, "") });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(PG_ADMIN.replace(/\+\w+/, ""));
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      drop: async () => {
        const a = new pg.Client({ connectionString: PG_ADMIN.replace(/\+\w+/, "") });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const admin = await mysql.createConnection({ uri: MYSQL_ADMIN.replace(/\+\w+/, "") });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(MYSQL_ADMIN.replace(/\+\w+/, ""));
  u.pathname = `/${name}`;
  return {
    url: `mysql+pymysql://${u.host ? `${u.username}${u.password ? `:${u.password}` : ""}@${u.host}` : ""}/${name}?charset=utf8`,
    drop: async () => {
      const a = await mysql.createConnection({ uri: MYSQL_ADMIN.replace(/\+\w+/, "") });
      await a.query(`DROP DATABASE IF EXISTS ${name}`);
      await a.end();
    },
  };
}

/** describe() once per available database. */
export function describeEachDb(title: string, fn: (dialect: Dialect) => void): void {
  for (const d of DIALECTS) describe(`${title} [${d}]`, () => fn(d));
}
