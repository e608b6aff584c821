// Transactions and the few helpers every object module shares.
import type { Kysely, Transaction } from "kysely";
import type { DB } from "./schema.js";
import type { Store } from "./open.js";

/** A connection or an open transaction: object functions take it as their first argument. */
export type Tx = Kysely<DB> | Transaction<DB>;

/** Runs fn in one transaction. */
export function inTransaction<T>(store: Store, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(fn);
}

/** Inserts one row and returns its generated id, on every dialect. */
export async function insertId<T extends keyof DB & string>(
  store: Store,
  trx: Tx,
  table: T,
  values: Record<string, unknown>,
): Promise<number> {
  if (store.caps.supportsReturning) {
    const row = await (trx as Kysely<any>).insertInto(table).values(values).returning("id").executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const r = await (trx as Kysely<any>).insertInto(table).values(values).executeTakeFirstOrThrow();
  return Number(r.insertId);
}

/** True for a unique-constraint violation on any of the three databases. */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: string; errno?: number; message?: string };
  return (
    err?.code === "23505" || // PostgreSQL
    err?.code === "ER_DUP_ENTRY" ||
    err?.errno === 1062 || // MySQL/MariaDB
    err?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    err?.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  );
}

/** True for a deadlock or serialization failure worth retrying the whole transaction for. */
export function isRetryable(e: unknown): boolean {
  const err = e as { code?: string; errno?: number };
  return err?.code === "40001" || err?.code === "40P01" || err?.errno === 1213 || err?.errno === 1205 || err?.code === "SQLITE_BUSY";
}
