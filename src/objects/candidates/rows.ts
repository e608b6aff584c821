// Rows as arrays (columns in select order) for the candidate search's bulk reads. On SQLite the
// compiled query runs on the better-sqlite3 connection directly, in raw mode; on PostgreSQL through
// the store's array reader (pg's array row mode); else through Kysely, with each row object turned
// into its values.
import type { CompiledQuery, Compilable } from "kysely";
import type SqliteDatabase from "better-sqlite3";
import type { Store } from "../../db/open.js";
import type { Tx } from "../../db/tx.js";

export type Row = unknown[];

/** Runs a compiled query and returns its rows as arrays. */
export type RowReader = (q: Compilable<unknown> | CompiledQuery<unknown>) => Promise<Row[]>;

const compiled = (q: Compilable<unknown> | CompiledQuery<unknown>): CompiledQuery<unknown> => ("compile" in q ? q.compile() : q);

/** The generic reader: any database, through Kysely. */
export function kyselyReader(db: Tx): RowReader {
  return async (q) => (await db.executeQuery(compiled(q))).rows.map((r) => Object.values(r as object));
}

/**
 * A reader for `db`: the store's array reader when given (only for `db` outside a transaction),
 * raw better-sqlite3 rows when `sqlite` (the store's SQLite connection) is given, else Kysely's.
 * NOTE: better-sqlite3 builds one object per row with a property per column; raw arrays cost about
 * half as much for the thousands of inventory, trait and provider rows a large search reads, and
 * the garbage collector has less to copy.
 */
export function rowReader(db: Tx, sqlite: SqliteDatabase.Database | undefined, readArrays?: Store["readArrays"]): RowReader {
  if (readArrays) {
    // NOTE: pg builds an object per row with a property per column, which the generic reader then
    // turns into an array; asked for arrays, it builds those alone.
    return async (q) => {
      const { sql, parameters } = compiled(q);
      return readArrays(sql, parameters);
    };
  }
  if (!sqlite) return kyselyReader(db);
  const executor = db.getExecutor();
  return async (q) => {
    const { sql, parameters } = compiled(q);
    // NOTE: the read takes Kysely's connection (its mutex on SQLite) like any other query, so it
    // never runs inside another request's open transaction and sees only committed data (or, on
    // a transaction, that transaction's view). It is synchronous, so the lock is held only for it.
    return await executor.provideConnection(async () => statement(sqlite, sql).all(...(parameters as unknown[])) as Row[]);
  };
}

/** Our own prepared statements in raw mode, per connection (Kysely's cached ones stay untouched). */
const statements = new WeakMap<SqliteDatabase.Database, Map<string, SqliteDatabase.Statement>>();
const MAX_STATEMENTS = 200;

export function statement(sqlite: SqliteDatabase.Database, sql: string): SqliteDatabase.Statement {
  let cache = statements.get(sqlite);
  if (!cache) statements.set(sqlite, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    // NOTE: the prototype's prepare, not the connection's own caching wrapper (src/db/open.ts):
    // a raw-mode statement must not be shared with Kysely, which expects row objects.
    stmt = Object.getPrototypeOf(sqlite).prepare.call(sqlite, sql) as SqliteDatabase.Statement;
    stmt.raw(true);
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    cache.set(sql, stmt);
  }
  return stmt;
}
