// How a candidate snapshot is read on each database: a change token (one cheap statement every
// candidates request runs) and the copy (every statement read in one consistent read, with a token
// it is exact at). The snapshot itself (snapshot.ts) knows nothing of dialects.
import { sql, type Kysely } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Store } from "../../db/open.js";
import { isGaleraNode } from "../../db/galera.js";
import { statement, type Row } from "./rows.js";
import { first } from "@berth/client/common";

/**
 * A database's change token and consistent copy. NOTE: the contract every reader keeps: if
 * `token()`, read after a request began, equals the token a copy was returned with, then every
 * transaction committed before the request began (by any connection, process or program) is in
 * the copy. A token may change without a change to the tables (that only costs a rebuild).
 */
export interface CopyReader {
  token(): Promise<string>;
  /**
   * The statements' rows, read in one consistent read, and the token they are exact at; with
   * `withToken` false (a database whose token() throws NoToken) no token is read ("").
   */
  copy(statements: readonly string[], withToken?: boolean): Promise<{ token: string; rows: Row[][] }>;
  /**
   * One statement whose single row and column is a digest of `tables` (the given columns of every
   * row, as a multiset), computed in the database: equal digests mean equal rows, up to the chance
   * of a 64-bit coincidence; undefined where the database has no cheap row hash.
   * NOTE: for tokens that move without a change to the placement tables (PostgreSQL's and
   * MariaDB's are server-wide: any commit to any database moves them), a moved token is first
   * checked against the digest (milliseconds of the database's time, none of the event loop)
   * before a copy is rebuilt. SQLite's token moves only with its own file: no digest.
   */
  digest?(tables: readonly DigestTable[]): Promise<string | undefined>;
}

/** A table a digest covers, and which of its columns. */
export interface DigestTable {
  readonly table: string;
  readonly cols: readonly string[];
}

/**
 * The database cannot give a change token: its snapshots are checked by digest alone (when the
 * reader gives one), else its requests read the database.
 */
export class NoToken extends Error {}

/** The reader for a store, or undefined where snapshots cannot be exact (none so far). */
export function copyReader(store: Store): CopyReader | undefined {
  if (store.sqlite) return sqliteReader(store.db, store.sqlite);
  if (store.caps.dialect === "postgres" && store.onArrayConnection) return postgresReader(store.onArrayConnection);
  if (store.caps.dialect === "mysql") return mysqlReader(store.db);
  return undefined;
}

/**
 * SQLite: total_changes() counts the rows this connection has written, data_version moves when any
 * other connection (another process) commits.
 * NOTE: both run under Kysely's connection lock, like every query: no other request's transaction
 * is open on the connection meanwhile, so the token and the copy see only committed rows. The
 * token is read before the copy's read transaction, so a commit by another process between the two
 * makes the next token differ and the copy is rebuilt (never kept stale).
 */
function sqliteReader(db: Kysely<DB>, sqlite: NonNullable<Store["sqlite"]>): CopyReader {
  const token = () => {
    const [row] = statement(sqlite, "SELECT total_changes(), (SELECT data_version FROM pragma_data_version)").all() as Row[];
    return `${row![0]}:${row![1]}`;
  };
  const locked = <T>(fn: () => T): Promise<T> => db.getExecutor().provideConnection(async () => fn());
  return {
    token: () => locked(token),
    copy: (statements) =>
      locked(() => {
        const t = token();
        const rows = sqlite.transaction(() => statements.map((s) => statement(sqlite, s).all() as Row[])).deferred();
        return { token: t, rows };
      }),
  };
}

/**
 * PostgreSQL: the token is the text of the snapshot a statement sees (pg_current_snapshot(),
 * xmin:xmax:in-progress xids; txid_current_snapshot() before PostgreSQL 13), and the copy is read
 * in a REPEATABLE READ transaction whose first statement reads it, so token and copy are one
 * snapshot.
 * NOTE: why equal snapshot texts mean equal data. A snapshot sees a transaction T iff T's xid <
 * xmax and T is not listed as in progress (and T committed). Say the copy's snapshot S0 and a later
 * statement's S1 have the same text, and T committed between them. If T's xid < S0.xmax, T was
 * still in progress at S0 (it had not completed), so it is listed in S0; at S1 it has completed, so
 * it is not listed there: the texts differ. If T's xid >= S0.xmax, then at S1 the latest completed
 * xid is at least T's, so S1.xmax > T's xid >= S0.xmax: the texts differ. Every write gets an xid
 * (a read-only transaction, like the token statement itself, gets none), xids and their epoch are
 * cluster-wide and never reused (the 64-bit form), and a transaction is taken out of the in-progress
 * list only after its commit record is written, so a commit is never visible to one snapshot and
 * unlisted in an equal one. The list is sorted, so equal states give equal texts. Any commit in any
 * database of the server (autovacuum's analyze too) moves the token: that costs rebuilds, never a
 * missed write. The statement's snapshot is taken when it starts, after the request began.
 */
function postgresReader(onConnection: NonNullable<Store["onArrayConnection"]>): CopyReader {
  let version: number | undefined;
  const versionOf = async (read: (s: string) => Promise<unknown[][]>) => {
    if (version === undefined) {
      const [[v]] = (await read("SELECT current_setting('server_version_num')::int")) as [[number]];
      version = v;
    }
    return version;
  };
  const tokenSql = async (read: (s: string) => Promise<unknown[][]>) =>
    `SELECT ${(await versionOf(read)) >= 130000 ? "pg_current_snapshot()" : "txid_current_snapshot()"}::text`;
  return {
    digest: (tables) => onConnection(async (read) => postgresDigest(tables, await versionOf(read))),
    token: () =>
      onConnection(async (read) => {
        const [[t]] = (await read(await tokenSql(read))) as [[string]];
        return t;
      }),
    copy: (statements) =>
      onConnection(async (read) => {
        const text = await tokenSql(read);
        await read("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          const [[token]] = (await read(text)) as [[string]];
          const rows: Row[][] = [];
          for (const s of statements) rows.push(await read(s));
          await read("COMMIT");
          return { token, rows };
        } catch (e) {
          await read("ROLLBACK").catch(() => {});
          throw e;
        }
      }),
  };
}

/** The tables a copy reads (MariaDB locks them for a moment before reading its token). */
export const COPY_TABLES = [
  "resource_providers",
  "resource_classes",
  "traits",
  "placement_aggregates",
  "inventories",
  "allocations",
  "resource_provider_traits",
  "resource_provider_aggregates",
] as const;

/**
 * How long a MariaDB copy waits for the writers in flight on its tables (s): not at all.
 * NOTE: LOCK TABLES takes the tables' locks one by one; waiting for a writer while holding some of
 * them could close a cycle with that writer (which waits for one we hold) and make either a
 * deadlock victim. Without waiting it is never in a cycle; a copy that finds a writer in flight
 * fails at once and its request reads the database (snapshot.ts), and a later request tries again.
 * (MySQL's minimum is 1 s, which it then uses.)
 */
const LOCK_WAIT_S = 0;

/**
 * MariaDB/MySQL (InnoDB): the token is the redo log's current LSN (SHOW GLOBAL STATUS LIKE
 * 'Innodb_lsn_current', no privilege needed): every committing write transaction writes redo, so
 * the LSN moves on every commit; reads write none. The copy is read in a transaction WITH
 * CONSISTENT SNAPSHOT at REPEATABLE READ.
 * NOTE: why the token is read under LOCK TABLES ... READ. InnoDB commits by writing the commit's
 * redo first (the LSN moves) and only then takes the transaction out of the list new read views
 * treat as in progress (trx_t::commit_low: mtr commit, then commit_in_memory). A commit whose redo
 * was written before the token was read could still be invisible to a snapshot created just after,
 * and no later token would tell. Taking the tables' read lock waits for every transaction that
 * wrote to them to end (a writer holds its metadata lock until its commit is complete) and keeps
 * new writers out while the token is read. So a commit to these tables either completed before the
 * token was read (the snapshot, created after, sees it) or wrote its redo after (the LSN then
 * differs from the copy's token by the time the commit returns). Writes to other tables or
 * databases move the LSN too (rebuilds only). Needs the LOCK TABLES privilege on the database (the
 * reference's `GRANT ALL ON placement.*` has it); writers that start meanwhile wait one round trip.
 * Not for Galera: its nodes do not honour LOCK TABLES for writesets applied from other nodes. A
 * Galera node gives no token (NoToken); its snapshots are checked by digest alone, read in a
 * consistent snapshot of the node (what the node has applied, as any read of it; with
 * wsrep_sync_wait set, what the cluster had committed when the read began).
 */
function mysqlReader(db: Kysely<DB>): CopyReader {
  // NOTE: MariaDB reports Innodb_lsn_current; MySQL 8.0.30 and later Innodb_redo_log_current_lsn
  // (MySQL was not tried here). A server reporting neither gets no snapshots.
  let name: string | undefined;
  const lsn = async (conn: Kysely<DB>) => {
    if (name === undefined) {
      // NOTE: a Galera node applies other nodes' writesets without our table locks: no exact token.
      if (await isGaleraNode(conn)) throw new NoToken("a Galera node cannot give an exact change token");
      const { rows } = await sql<{
        Variable_name: string;
      }>`SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', 'Innodb_redo_log_current_lsn')`.execute(conn);
      name = rows.map((r) => r.Variable_name).sort()[0];
      if (name === undefined) throw new NoToken("the server reports no InnoDB redo log LSN");
    }
    const { rows } = await sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE ${sql.lit(name)}`.execute(conn);
    return String(first(rows).Value);
  };
  return {
    digest: async (tables) => {
      const { rows } = await sql<{ v: string }>`SELECT VERSION() AS v`.execute(db);
      return mysqlDigest(tables, String(rows[0]?.v ?? ""));
    },
    token: () => lsn(db),
    copy: (statements, withToken = true) =>
      db.connection().execute(async (conn) => {
        let token = "";
        if (withToken) {
          await sql`SET SESSION lock_wait_timeout = ${sql.lit(LOCK_WAIT_S)}`.execute(conn);
          try {
            await sql.raw(`LOCK TABLES ${COPY_TABLES.map((t) => `${t} READ`).join(", ")}`).execute(conn);
            try {
              token = await lsn(conn);
            } finally {
              await sql`UNLOCK TABLES`.execute(conn);
            }
          } finally {
            await sql`SET SESSION lock_wait_timeout = DEFAULT`.execute(conn);
          }
        }
        await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(conn);
        await sql`START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`.execute(conn);
        try {
          const rows: Row[][] = [];
          for (const s of statements) rows.push((await sql.raw(s).execute(conn)).rows.map((r) => Object.values(r as object)));
          await sql`COMMIT`.execute(conn);
          return { token, rows };
        } catch (e) {
          await sql`ROLLBACK`.execute(conn).catch(() => {});
          throw e;
        }
      }),
  };
}

/**
 * Per table `count:sum of 64-bit row hashes` (a multiset hash: the rows' order does not matter, and
 * numeric sums do not wrap), the tables' parts joined with "/".
 * NOTE: PostgreSQL 14 and later hash each row's columns with their types' own hash functions
 * (hash_record_extended, a quarter of the cost of hashing the row's text); 11 to 13 hash the text.
 */
function postgresDigest(tables: readonly DigestTable[], version: number): string | undefined {
  if (version < 110000) return undefined;
  const hash = (t: DigestTable) =>
    version >= 140000 ? `hash_record_extended(row(${t.cols.join(", ")}), 0)` : `hashtextextended(row(${t.cols.join(", ")})::text, 0)`;
  const part = (t: DigestTable) => `(SELECT count(*)::text || ':' || coalesce(sum(${hash(t)}), 0)::text FROM ${t.table})`;
  return `SELECT ${tables.map(part).join(" || '/' || ")}`;
}

/**
 * MariaDB/MySQL: each row's columns joined with "," (NULL as "~", which no column here holds: ids,
 * uuids, names and numbers), hashed with CRC32 and CRC32C (two different polynomials, 64 bits in
 * all; MariaDB 10.8 and later), else with MD5's first 64 bits (four times the cost).
 */
function mysqlDigest(tables: readonly DigestTable[], version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const crc32c = /mariadb/i.test(version) && m !== null && Number(m[1]) * 100 + Number(m[2]) >= 1008;
  const part = (t: DigestTable) => {
    const row = `CONCAT_WS(',', ${t.cols.map((c) => `COALESCE(${c}, '~')`).join(", ")})`;
    const sums = crc32c
      ? `COALESCE(SUM(CRC32(${row})), 0), ':', COALESCE(SUM(CRC32C(${row})), 0)`
      : `COALESCE(SUM(CAST(CONV(LEFT(MD5(${row}), 16), 16, 10) AS DECIMAL(20))), 0)`;
    return `(SELECT CONCAT(COUNT(*), ':', ${sums}) FROM ${t.table})`;
  };
  return `SELECT CONCAT_WS('/', ${tables.map(part).join(", ")})`;
}
