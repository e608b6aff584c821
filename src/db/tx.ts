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

/** A transaction that kept failing for a reason worth retrying (attemptsFor); nothing of it was kept. */
export class RetriesExhausted extends Error {
  constructor(
    readonly reason: RetryReason,
    readonly last: unknown,
  ) {
    super(`gave up after ${attemptsFor(reason)} attempts (${reason}): ${(last as Error)?.message ?? last}`);
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
      if (attempt >= attemptsFor(reason)) {
        if (reason === "duplicate") throw e;
        throw new RetriesExhausted(reason, e);
      }
      store.onRetry?.(reason);
      await pause(attempt);
    }
  }
}

/**
 * How many attempts a reason is worth. NOTE: a lock wait timeout or SQLite busy already waited long
 * (innodb_lock_wait_timeout, busy_timeout): one more attempt, then the request is answered (503: the
 * database is too busy), so a stuck lock cannot hold a request for many timeouts in a row.
 */
export function attemptsFor(reason: RetryReason): number {
  return reason === "duplicate" ? DUPLICATE_ATTEMPTS : reason === "lock_timeout" || reason === "busy" ? 2 : TRANSACTION_ATTEMPTS;
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
export async function insertId<T extends keyof DB & string>(store: Store, trx: Tx, table: T, values: Record<string, unknown>): Promise<number> {
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

// PostgreSQL SQLSTATEs of a lost or refused connection: class 08, and 57P01-57P03 (the server shuts
// down, crashed, or is starting).
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;
// MySQL/MariaDB: server gone away (2006), lost during query (2013), shutdown in progress (1053),
// connection killed (1927), too many connections (1040), can't connect (2002, 2003).
const MYSQL_UNAVAILABLE = new Set([2002, 2003, 2006, 2013, 1053, 1927, 1040, 1152, 1158, 1159, 1160, 1161]);
const NODE_UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
  "PROTOCOL_ENQUEUE_AFTER_QUIT",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_CON_COUNT_ERROR",
]);
// NOTE: pg reports a connection that ended under a query, or one it could not open in time, by
// message only.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Can't add new command when connection is in closed state|Connection lost|read ECONNRESET|connect ECONNREFUSED/i;

/** Retries that ran out because the database was too busy (lock waits), not because of a race. */
export function isBusy(e: unknown): boolean {
  return e instanceof RetriesExhausted && (e.reason === "lock_timeout" || e.reason === "busy");
}

/**
 * True when the database could not be reached, or the connection broke under the request (a
 * restart, a killed session, a full server): the request is answered 503 and a later one gets a
 * fresh connection. Nothing was written: a transaction that lost its connection is rolled back.
 */
export function isUnavailable(e: unknown): boolean {
  const err = e as { code?: unknown; errno?: unknown; message?: unknown; errors?: unknown } | null;
  if (!err || typeof err !== "object") return false;
  if (typeof err.code === "string" && (NODE_UNAVAILABLE.has(err.code) || PG_UNAVAILABLE.test(err.code))) return true;
  if (typeof err.errno === "number" && MYSQL_UNAVAILABLE.has(err.errno)) return true;
  // NOTE: node's net.connect to a host with several addresses fails with an AggregateError.
  if (Array.isArray(err.errors) && err.errors.length > 0 && err.errors.every(isUnavailable)) return true;
  return typeof err.message === "string" && UNAVAILABLE_MESSAGE.test(err.message);
}
