// The one place a dialect is picked: a reference-style connection URL -> Kysely + capabilities.
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import SqliteDatabase from "better-sqlite3";
import { createRequire } from "node:module";
import type PgModule from "pg";
import type * as Mysql2Module from "mysql2";
import { capabilitiesFor, type Capabilities, type Dialect } from "./capabilities.js";
import type { DB } from "./schema.js";
import { isGaleraNode } from "./galera.js";
import { at } from "@berth/client/common";

export interface Store {
  readonly db: Kysely<DB>;
  readonly caps: Capabilities;
  readonly url: string;
  /**
   * SQLite only: the connection under `db`, for bulk reads that take rows as arrays (the
   * candidate search). Use it through `db`'s connection lock, never inside another's transaction.
   */
  readonly sqlite?: SqliteDatabase.Database;
  /**
   * Connections of their own for claims. PostgreSQL: a few, for the claim statements
   * (claim-statement.ts), whose prepared statements always run their generic plan. MySQL: for claim
   * transactions (claimTransaction), whose sessions are at READ COMMITTED.
   */
  readonly claimDb?: Kysely<DB>;
  /**
   * PostgreSQL only: runs a query on a pooled connection and returns its rows as arrays
   * (columns in select order), for the candidate search's bulk reads. Outside any transaction.
   */
  readonly readArrays?: (sql: string, parameters: readonly unknown[]) => Promise<unknown[][]>;
  /**
   * Sends several statements, `;`-separated, in one round trip on a claim connection and returns
   * each statement's rows in order. When one fails the server runs none after it.
   * MySQL: with their parameters, the session at READ COMMITTED; any transaction the script left
   * open is rolled back before the connection goes back to the pool.
   * PostgreSQL: no parameters (the simple query protocol: values written in, claim-statement.ts
   * inlinePg); the statements are one implicit transaction, each with a snapshot of its own.
   */
  readonly runScript?: (sql: string, parameters: readonly unknown[]) => Promise<unknown[]>;
  /**
   * MySQL only: whether the server is a Galera node (galera.ts), asked on first use and remembered;
   * a failed ask is not remembered. NOTE: there runScript is no transaction: when another node's
   * write aborts the script's, MariaDB runs the statements after it outside any transaction, with
   * no error (claim-statement.ts checkedWrites).
   */
  readonly galera?: () => Promise<boolean>;
  /** Told when a transaction is run again (src/db/tx.ts inTransaction), with the reason. */
  onRetry?: (reason: string) => void;
  /** PostgreSQL and MySQL: how busy each connection pool is now (for metrics). SQLite has no pool. */
  readonly poolStats?: () => PoolStats[];
  /**
   * PostgreSQL only: runs `fn` on one pooled connection (held until it settles), whose statements
   * return rows as arrays; for reads that need one transaction of their own (candidate snapshots).
   * `fn` must end any transaction it begins.
   */
  readonly onArrayConnection?: <T>(fn: (read: (sql: string, parameters?: readonly unknown[]) => Promise<unknown[][]>) => Promise<T>) => Promise<T>;
  close(): Promise<void>;
}

export interface PoolStats {
  /** main: the requests' pool; claims: the claim connections (claimDb). */
  readonly pool: "main" | "claims";
  /** Open connections, busy or idle. */
  readonly total: number;
  /** Connections handed out now. */
  readonly inUse: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

export class ConnectionUrlError extends Error {}

export interface ParsedUrl {
  dialect: Dialect;
  /** SQLite: file path, or ":memory:". */
  file?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  params: Record<string, string>;
}

/** Accepts sqlite:////abs, sqlite:///rel, sqlite://, postgresql[+driver]://, mysql[+driver]://. */
export function parseConnectionUrl(url: string): ParsedUrl {
  const m = /^([a-z0-9]+)(?:\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(url.trim());
  if (!m)
    throw new ConnectionUrlError(
      `Cannot parse database connection URL ${JSON.stringify(url)}: expected sqlite:////path, postgresql://... or mysql+pymysql://...`,
    );
  const scheme = at(m, 1).toLowerCase();
  const rest = at(m, 2);
  if (scheme === "sqlite") {
    if (rest === "" || rest === "/" || rest === "/:memory:") return { dialect: "sqlite", file: ":memory:", params: {} };
    // sqlite:///relative and sqlite:////absolute: everything after the third slash is the path.
    const [path] = rest.slice(1).split("?");
    return { dialect: "sqlite", file: path!, params: {} };
  }
  const dialect: Dialect | undefined =
    scheme === "postgresql" || scheme === "postgres" ? "postgres" : scheme === "mysql" || scheme === "mariadb" ? "mysql" : undefined;
  if (!dialect) throw new ConnectionUrlError(`Unsupported database in connection URL: ${scheme} (use sqlite, postgresql or mysql)`);
  const u = new URL(`x://${rest}`);
  const params: Record<string, string> = {};
  u.searchParams.forEach((v, k) => (params[k] = v));
  return {
    dialect,
    host: u.hostname ? decodeURIComponent(u.hostname) : undefined,
    port: u.port ? Number(u.port) : undefined,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined,
    params,
  };
}

// NOTE: the drivers of the databases not in use are never loaded: start-up time matters.
const require = createRequire(import.meta.url);
function loadPg(): typeof PgModule {
  const pg = require("pg") as typeof PgModule;
  // Timestamps are stored as naive UTC, as the reference does; read them back as UTC.
  pg.types.setTypeParser(1114, (s: string) => new Date(s.replace(" ", "T") + "Z"));
  return pg;
}

export interface StoreOptions {
  poolSize?: number;
  /** How long getting a connection may take, opening one or waiting for a free one (default 10 s). */
  connectTimeoutMs?: number;
  /** PostgreSQL: connections older than this are replaced; MySQL: connections idle this long are closed. */
  recycleSeconds?: number;
  /** MySQL: the sessions' sql_mode ([placement_database] mysql_sql_mode; "" keeps the server's). */
  mysqlSqlMode?: string;
  sqliteSynchronous?: boolean;
  /** Told when an idle pooled connection fails (the database restarted, or ended the session). */
  onIdleError?(err: Error): void;
  /** Told when a transaction is run again, with the reason (deadlock, duplicate, ...). */
  onRetry?(reason: string): void;
}

/** How long opening a connection may take before the request fails (503). */
const CONNECT_TIMEOUT_MS = 10_000;

/** Connections of the claim pool: as many as the claim queue runs batches at once. */
const CLAIM_CONNECTIONS = 4;

export function openStore(url: string, opts: StoreOptions = {}): Store {
  const p = parseConnectionUrl(url);
  const caps = capabilitiesFor(p.dialect);
  const poolSize = opts.poolSize ?? 10;
  let db: Kysely<DB>;
  let sqlite: SqliteDatabase.Database | undefined;
  let claimDb: Kysely<DB> | undefined;
  let readArrays: Store["readArrays"];
  let poolStats: Store["poolStats"];
  let onArrayConnection: Store["onArrayConnection"];
  let runScript: Store["runScript"];
  let galera: Store["galera"];
  if (p.dialect === "sqlite") {
    sqlite = cachingPrepare(new SqliteDatabase(p.file!));
    sqlite.pragma("busy_timeout = 10000");
    if (p.file !== ":memory:") {
      sqlite.pragma("journal_mode = WAL");
      // NOTE: in WAL mode NORMAL syncs at checkpoints, not at every commit: the database stays
      // consistent on power loss but may lose the last commits. A claim then costs no fsync.
      // [placement_database] sqlite_synchronous = False turns syncing off, as oslo.db does.
      sqlite.pragma(opts.sqliteSynchronous === false ? "synchronous = OFF" : "synchronous = NORMAL");
    }
    // NOTE: the reference's schema declares foreign keys; enforce them as PostgreSQL and MySQL do.
    sqlite.pragma("foreign_keys = ON");
    db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
  } else if (p.dialect === "postgres") {
    const pg = loadPg();
    const newPool = (max: number, setup?: string) => {
      const pool = new pg.Pool({
        host: p.params.host ?? p.host,
        port: p.port,
        user: p.user,
        password: p.password,
        database: p.database,
        max,
        // NOTE: bounded: a server that accepts and never answers must not hold requests forever.
        connectionTimeoutMillis: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        maxLifetimeSeconds: opts.recycleSeconds,
        keepAlive: true,
      });
      // NOTE: an idle connection that the server ends (a restart, pg_terminate_backend) is dropped
      // from the pool and the next query opens a new one; without a listener its error would end
      // the process.
      pool.on("error", (err) => opts.onIdleError?.(err));
      pool.on("connect", (client) => {
        // NOTE: a connection that breaks while a request holds it (between the statements of a
        // transaction) reports on the client, not the pool; unheard, that would end the process. The
        // statement in flight fails on its own, and the pool drops the connection when released.
        client.on("error", (err) => opts.onIdleError?.(err));
        // NOTE: queued ahead of the connection's first query; a server that does not know the
        // setting (before PostgreSQL 12) keeps its default.
        if (setup) client.query(setup).catch(() => {});
        namedStatements(client);
      });
      return { pool, db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }) };
    };
    const main = newPool(poolSize);
    db = main.db;
    // NOTE: asked for arrays, pg builds no object per row (measured: nested candidates CPU -10-24%).
    // Small statements are named as namedStatements names them (pg prepares a name on each
    // connection the first time it runs there), under names of their own.
    const arrayNames = new Map<string, string>();
    readArrays = async (text, parameters) => {
      let name: string | undefined;
      if (parameters.length > 0 && parameters.length <= MAX_NAMED_PARAMETERS && text.length <= 8192) {
        name = arrayNames.get(text);
        if (name === undefined && arrayNames.size < STATEMENTS_PER_CONNECTION) arrayNames.set(text, (name = `berth_rows_${arrayNames.size}`));
      }
      return (await main.pool.query({ name, text, values: [...parameters], rowMode: "array" })).rows as unknown[][];
    };
    onArrayConnection = async (fn) => {
      const client = await main.pool.connect();
      let failed: Error | undefined;
      try {
        return await fn(async (text, parameters = []) => (await client.query({ text, values: [...parameters], rowMode: "array" })).rows as unknown[][]);
      } catch (e) {
        // NOTE: a connection left inside a failed transaction must not go back to the pool.
        failed = e as Error;
        throw e;
      } finally {
        client.release(failed);
      }
    };
    // NOTE: PostgreSQL plans a prepared statement afresh at each execution while it judges a
    // custom plan better; for the claim read (a UNION ALL of seven parts) that choice cost 0.4 ms
    // per claim and bought nothing. The setting is per session, and unnamed statements (the
    // candidate search's, with long IN lists) must keep their custom plans: hence a pool of its own.
    const claims = newPool(CLAIM_CONNECTIONS, "SET plan_cache_mode = force_generic_plan");
    claimDb = claims.db;
    runScript = async (text, parameters) => {
      if (parameters.length) throw new Error("a PostgreSQL script takes no parameters: write the values in (inlinePg)");
      const client = await claims.pool.connect();
      let failed: Error | undefined;
      try {
        const r = (await client.query(text)) as unknown as PgModule.QueryResult | PgModule.QueryResult[];
        return (Array.isArray(r) ? r : [r]).map((x) => x.rows);
      } catch (e) {
        // NOTE: the server rolled the implicit transaction back; the connection is dropped all the same.
        failed = e as Error;
        throw e;
      } finally {
        client.release(failed);
      }
    };
    poolStats = () => [pgStats("main", main.pool), pgStats("claims", claims.pool)];
  } else {
    const charset = (p.params.charset ?? "utf8mb4").toUpperCase();
    const { createPool } = require("mysql2") as typeof Mysql2Module;
    const newPool = (connectionLimit: number, multipleStatements = false) =>
      withAcquireTimeout(
        opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        createPool({
          host: p.host,
          port: p.port,
          user: p.user,
          password: p.password,
          database: p.database,
          socketPath: p.params.unix_socket,
          charset: charset === "UTF8" ? "UTF8MB4" : charset,
          timezone: "Z",
          connectionLimit,
          connectTimeout: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
          // NOTE: mysql2 has no age limit; closing idle connections keeps them under the server's
          // wait_timeout, which is what connection_recycle_time is for with MySQL.
          ...(opts.recycleSeconds ? { maxIdle: connectionLimit, idleTimeout: opts.recycleSeconds * 1000 } : {}),
          enableKeepAlive: true,
          supportBigNumbers: true,
          multipleStatements,
        }),
      );
    const main = newPool(poolSize);
    // NOTE: as oslo.db, every session runs in [placement_database] mysql_sql_mode (TRADITIONAL:
    // strict, so a value a column cannot hold is an error, never silently cut), whatever the
    // server's default. An empty setting keeps the server's. Queued before the first query.
    const sqlMode = opts.mysqlSqlMode ?? "TRADITIONAL";
    const setMode = (c: Mysql2Module.PoolConnection) => {
      if (sqlMode) c.query(`SET SESSION sql_mode = ${c.escape(sqlMode)}`, (err) => err && c.destroy());
    };
    main.on("connection", setMode);
    db = new Kysely<DB>({ dialect: new MysqlDialect({ pool: main }) });
    // NOTE: claims run at READ COMMITTED (see claimTransaction); connections of their own that are
    // set so once save a SET TRANSACTION round trip per claim. The SET is queued on a new
    // connection before the pool hands it out.
    // NOTE: several statements per query on these connections only (runScript). Every statement
    // Berth sends binds its values as parameters (mysql2 escapes them), so none can add a statement.
    const claims = newPool(CLAIM_CONNECTIONS, true);
    // A connection whose SET failed must not run claims at another level: it is closed.
    claims.on("connection", (c) => {
      setMode(c);
      c.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", (err) => err && c.destroy());
    });
    claimDb = new Kysely<DB>({ dialect: new MysqlDialect({ pool: claims }) });
    const promised = claims.promise();
    runScript = async (text, parameters) => {
      const c = await promised.getConnection();
      try {
        const [results] = await c.query(text, [...parameters]);
        c.release();
        return results as unknown as unknown[];
      } catch (e) {
        // NOTE: the statements after a failed one never ran, but those before did, inside the
        // script's transaction: roll it back, or drop the connection if even that fails.
        await c.query("ROLLBACK").then(
          () => c.release(),
          () => c.destroy(),
        );
        throw e;
      }
    };
    let isGalera: Promise<boolean> | undefined;
    galera = () =>
      (isGalera ??= isGaleraNode(db).catch((e: unknown) => {
        isGalera = undefined;
        throw e;
      }));
    poolStats = () => [mysqlStats("main", main), mysqlStats("claims", claims)];
    // NOTE: mysql2's array rows measured no faster than its objects here: the generic reader stays.
  }
  return {
    db,
    caps,
    url,
    sqlite,
    claimDb,
    readArrays,
    onRetry: opts.onRetry,
    poolStats,
    onArrayConnection,
    runScript,
    galera,
    close: async () => {
      await Promise.all([db.destroy(), claimDb?.destroy()]);
    },
  };
}

function pgStats(pool: PoolStats["pool"], p: PgModule.Pool): PoolStats {
  return { pool, total: p.totalCount, inUse: p.totalCount - p.idleCount, waiting: p.waitingCount };
}

// NOTE: mysql2 does not publish its pool's counts; these fields are its internals (3.x), read
// defensively: a later mysql2 that renames them reports zeros rather than failing a scrape.
function mysqlStats(pool: PoolStats["pool"], p: unknown): PoolStats {
  const q = p as { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } };
  const total = q._allConnections?.length ?? 0;
  return { pool, total, inUse: total - (q._freeConnections?.length ?? 0), waiting: q._connectionQueue?.length ?? 0 };
}

/**
 * mysql2's pool waits for a free connection for ever; pg's gives up after connectionTimeoutMillis.
 * The same bound here ([placement_database] pool_timeout): past it the request fails (503), and a
 * connection that frees up later goes back to the pool.
 */
function withAcquireTimeout<P extends Mysql2Module.Pool>(ms: number, pool: P): P {
  const get = pool.getConnection.bind(pool);
  (pool as { getConnection: unknown }).getConnection = (cb: (err: NodeJS.ErrnoException | null, conn?: Mysql2Module.PoolConnection) => void) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      cb(
        Object.assign(new Error(`timeout exceeded when trying to connect (no free connection within ${ms} ms: [placement_database] pool_timeout)`), {
          code: "POOL_TIMEOUT",
        }),
      );
    }, ms);
    get((err, conn) => {
      if (late) {
        if (!err) conn.release();
        return;
      }
      clearTimeout(timer);
      cb(err, conn);
    });
  };
  return pool;
}

// NOTE: PostgreSQL parses and plans an unnamed statement on every execution (about half of a lone
// claim's time in the server). The statements a request sends repeat, so each connection names the
// first STATEMENTS_PER_CONNECTION distinct ones and from then on only binds and executes them.
// Only small ones (at most 32 parameters, a lone claim's): statements with long IN lists, and the
// batched claims', vary in shape and measured slower when named.
const STATEMENTS_PER_CONNECTION = 256;
const MAX_NAMED_PARAMETERS = 32;
function namedStatements(client: PgModule.PoolClient): void {
  const names = new Map<string, string>();
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  // NOTE: only the (text, values) form Kysely uses; any other call passes through unchanged.
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (
      args.length === 2 &&
      typeof text === "string" &&
      Array.isArray(values) &&
      values.length > 0 &&
      values.length <= MAX_NAMED_PARAMETERS &&
      text.length <= 8192
    ) {
      let name = names.get(text);
      if (name === undefined && names.size < STATEMENTS_PER_CONNECTION) names.set(text, (name = `berth_${names.size}`));
      if (name !== undefined) return query({ name, text, values });
    }
    return query(...args);
  };
}

// NOTE: Kysely prepares every query afresh; on SQLite that is a measurable share of a claim. The
// queries are few and their text repeats, so keep the prepared statements (bounded).
function cachingPrepare(db: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof db.prepare;
  return db;
}
