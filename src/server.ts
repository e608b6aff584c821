// Starting Berth: config -> store (sync) -> app. Used by main.ts and by the SDK's known-good server.
import type { Logger } from "pino";
import type { Hono } from "hono";
import type { Config } from "./config.js";
import { openStore, type Store } from "./db/open.js";
import { currentRevision, syncSchema, syncStandardNames } from "./db/sync.js";
import { ALEMBIC_HEAD } from "./db/schema.js";
import { createApp, type AppOptions } from "./app.js";
import { isUnavailable } from "./db/tx.js";
import { sql } from "kysely";
import { createMetrics, type Metrics } from "./http/metrics.js";
import { keystoneConfigProblem } from "./http/keystone.js";

export class StartupError extends Error {}

export interface PrepareOptions {
  /** Add prom-client's process metrics (CPU, memory, event loop, GC) to the app's: `berth serve` does. */
  processMetrics?: boolean;
  /**
   * Another process (the primary of `berth serve --workers N`) has just checked the schema and
   * synced the standard names: skip both, so N workers do not race to do it again.
   */
  synced?: boolean;
  /** How the candidate search uses snapshots (tests and benchmarks; "auto" by default). */
  candidateSnapshot?: AppOptions["candidateSnapshot"];
  /** A worker of `berth serve --workers N`: its place, for claim routing (claim-routing.ts). */
  claimRoute?: AppOptions["claimRoute"];
}

/** Opens the database, creates or checks the schema, syncs standard names, builds the app. */
export async function prepare(config: Config, logger?: Logger, opts: PrepareOptions = {}): Promise<{ app: Hono; store: Store; metrics: Metrics }> {
  if (config.api.authStrategy === "keystone") {
    const problem = keystoneConfigProblem(config.keystone);
    if (problem) throw new StartupError(`[api] auth_strategy = keystone: ${problem}`);
  }
  const store = openStore(config.database.connection, {
    poolSize: config.database.maxPoolSize + config.database.maxOverflow,
    connectTimeoutMs: config.database.poolTimeout * 1000,
    recycleSeconds: config.database.connectionRecycleTime,
    mysqlSqlMode: config.database.mysqlSqlMode,
    sqliteSynchronous: config.database.sqliteSynchronous,
    onIdleError: (err) => logger?.warn({ err }, "an idle database connection failed; it is replaced on next use"),
  });
  try {
    await untilReachable(store, config, logger);
    if (opts.synced) {
      const metrics = createMetrics({ store, processMetrics: opts.processMetrics });
      return { app: createApp({ store, config, logger, metrics, candidateSnapshot: opts.candidateSnapshot, claimRoute: opts.claimRoute }), store, metrics };
    }
    if (config.database.syncOnStartup) await syncSchema(store);
    else {
      const rev = await currentRevision(store);
      if (rev !== ALEMBIC_HEAD)
        throw new StartupError(
          `The database has ${rev ? `schema revision ${rev}` : "no schema"}; run \`berth db sync\` or set [placement_database] sync_on_startup = True`,
        );
    }
    await syncStandardNames(store);
    const metrics = createMetrics({ store, processMetrics: opts.processMetrics });
    const app = createApp({ store, config, logger, metrics, candidateSnapshot: opts.candidateSnapshot, claimRoute: opts.claimRoute });
    return { app, store, metrics };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * Waits for the database as oslo.db does at start-up: [placement_database] max_retries more
 * attempts (-1: forever), retry_interval seconds apart, saying each time what it waits for. Any
 * other error (a wrong password, a missing database) stops at once: waiting would not help.
 */
async function untilReachable(store: Store, config: Config, logger?: Logger): Promise<void> {
  const { maxRetries, retryInterval } = config.database;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(store.db);
      if (attempt > 1) logger?.info(`the database at ${redactedUrl(store.url)} answers now`);
      return;
    } catch (e) {
      if (!isUnavailable(e) || (maxRetries >= 0 && attempt > maxRetries)) throw e;
      const of = maxRetries < 0 ? "" : ` of ${maxRetries}`;
      logger?.warn(
        `cannot reach the database at ${redactedUrl(store.url)} (${(e as Error).message}); retry ${attempt}${of} in ${retryInterval} s ([placement_database] max_retries, retry_interval)`,
      );
      await new Promise((r) => setTimeout(r, retryInterval * 1000));
    }
  }
}

/** A connection URL without its password. */
export function redactedUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}
