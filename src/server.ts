// Starting Berth: config -> store (sync) -> app. Used by main.ts and by the SDK's known-good server.
import type { Logger } from "pino";
import type { Hono } from "hono";
import type { Config } from "./config.js";
import { openStore, type Store } from "./db/open.js";
import { currentRevision, syncSchema, syncStandardNames } from "./db/sync.js";
import { ALEMBIC_HEAD } from "./db/schema.js";
import { createApp } from "./app.js";
import { keystoneConfigProblem } from "./http/keystone.js";

export class StartupError extends Error {}

/** Opens the database, creates or checks the schema, syncs standard names, builds the app. */
export async function prepare(config: Config, logger?: Logger): Promise<{ app: Hono; store: Store }> {
  if (config.api.authStrategy === "keystone") {
    const problem = keystoneConfigProblem(config.keystone);
    if (problem) throw new StartupError(`[api] auth_strategy = keystone: ${problem}`);
  }
  const store = openStore(config.database.connection, {
    poolSize: config.database.maxPoolSize,
    sqliteSynchronous: config.database.sqliteSynchronous,
    onIdleError: (err) => logger?.warn({ err }, "an idle database connection failed; it is replaced on next use"),
  });
  try {
    if (config.database.syncOnStartup) await syncSchema(store);
    else {
      const rev = await currentRevision(store);
      if (rev !== ALEMBIC_HEAD)
        throw new StartupError(
          `The database has ${rev ? `schema revision ${rev}` : "no schema"}; run \`berth db sync\` or set [placement_database] sync_on_startup = True`,
        );
    }
    await syncStandardNames(store);
    const app = createApp({ store, config, logger });
    return { app, store };
  } catch (e) {
    await store.close();
    throw e;
  }
}
