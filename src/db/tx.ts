// Transactions and the few helpers every object module shares.
import type { Kysely, Transaction } from "kysely";
import type { DB } from "./schema.js";
import type { Store } from "./open.js";

/** A connection or an open transaction: object functions take it as their first argument. */
export type Tx = Kysely<DB> | Transaction<DB>;

/** Attempts of one transaction that meets deadlocks, serialization failures or lost creation races. */
export const TRANSACTION_ATTEMPTS = 10;
/** Attempts when the failure is a duplicate key: one re-run sees the row the other writer committed. */
const DUPLICATE_ATTEMPTS = 3;

/** A transaction that kept failing on deadlocks or serialization failures; nothing of it was kept. */
export class RetriesExhausted extends Error {
  constructor(
    readonly reason: RetryReason,
    readonly last: unknown,
  ) {
    super(`gave up after ${TRANSACTION_ATTEMPTS} attempts (${reason}): ${(last as Error)?.message ?? last}`);
  }
}

/**
 * Runs fn in one transaction, and runs it again in a fresh one (a bounded number of times, after a
 * short random pause) when the database refused it for a reason another attempt can get past: a
 * deadlock, a serialization failure or a Galera certification failure (both arrive as deadlocks), a
 * lock wait timeout, SQLite busy, or a duplicate key from a row another request created on demand
 * at the same moment (the re-run reads it). fn must read what it decides on inside the transaction
 * (or compare-and-swap a generation read before), so a re-run decides afresh. NOTE: a failed
 * attempt wrote nothing: its transaction rolled back. When deadlocks outlast the attempts,
 * RetriesExhausted (answered 409 concurrent_update); a duplicate key that persists is rethrown as is,
 * for callers that give it a meaning (a name taken).
 */
export async function inTransaction<T>(store: Store, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.db.transaction().execute(fn);
    } catch (e) {
      const reason = retryReason(e);
      if (!reason) throw e;
      if (reason === "duplicate" ? attempt >= DUPLICATE_ATTEMPTS : attempt >= TRANSACTION_ATTEMPTS) {
        if (reason === "duplicate") throw e;
        throw new RetriesExhausted(reason, e);
      }
      store.onRetry?.(reason);
      await pause(attempt);
    }
  }
}

/** A random pause that grows with the attempt (at most ~50 ms), so racing writers spread out. */
export function pause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * 5 * Math.min(attempt, 10)));
}

export type RetryReason = "deadlock" | "serialization" | "lock_timeout" | "busy" | "duplicate";

/** Why another attempt of the transaction may succeed, or undefined when it would not. */
export function retryReason(e: unknown): RetryReason | undefined {
  const err = e as { code?: unknown; errno?: unknown } | null;
  if (!err || typeof err !== "object") return undefined;
  if (err.code === "40P01" || err.errno === 1213) return "deadlock";
  if (err.code === "40001") return "serialization";
  if (err.errno === 1205 || err.code === "55P03") return "lock_timeout";
  if (typeof err.code === "string" && err.code.startsWith("SQLITE_BUSY")) return "busy";
  if (isDuplicateKey(e)) return "duplicate";
  return undefined;
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
  const r = retryReason(e);
  return r !== undefined && r !== "duplicate";
}

/**
 * An insert that skips rows whose unique key exists (another request created them first).
 * NOTE: MySQL spells this INSERT IGNORE; PostgreSQL and SQLite ON CONFLICT DO NOTHING.
 */
export function ignoringDuplicates<Q extends { ignore(): Q; onConflict(f: (oc: any) => any): Q }>(store: Pick<Store, "caps">, q: Q): Q {
  return store.caps.dialect === "mysql" ? q.ignore() : q.onConflict((oc) => oc.doNothing());
}
