// The only file that reads argv and env, opens sockets and exits.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import pino from "pino";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { prepare, StartupError } from "./server.js";
import { SNAPSHOT_MODES, type SnapshotMode } from "./objects/candidates/snapshot.js";
import { openStore } from "./db/open.js";
import { currentRevision, SchemaVersionError, syncSchema, syncStandardNames } from "./db/sync.js";

function configFileFrom(opt: string | undefined): string | undefined {
  if (opt) return opt;
  const dir = process.env.OS_PLACEMENT_CONFIG_DIR;
  if (dir && existsSync(join(dir, "placement.conf"))) return join(dir, "placement.conf");
  return undefined;
}

function load(configFile: string | undefined, warn: (m: string) => void): Config {
  return loadConfig({ configFile, defaultConnection: `sqlite:///${resolve("berth.sqlite")}`, warn });
}

/** How long a stop waits for the requests in flight. */
const STOP_GRACE_MS = 10_000;

/** What went wrong with the configured database, and what to check. */
function databaseProblem(config: Config, file: string | undefined, e: unknown): string {
  return (
    `could not use the database at ${redacted(config.database.connection)} (${(e as Error).message}). ` +
    `Check [placement_database] connection${file ? ` in ${file}` : ""}, that the database server is running and that the database exists.`
  );
}

/** A connection URL without its password. */
function redacted(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}

function fail(message: string): never {
  process.stderr.write(`berth: ${message}\n`);
  process.exit(1);
}

const program = new Command("berth").description("Berth: an OpenStack Placement-compatible resource placement service");

program
  .command("serve")
  .description("serve the Placement API")
  .option("--config-file <path>", "placement.conf to read (default: $OS_PLACEMENT_CONFIG_DIR/placement.conf)")
  .option("--host <host>", "address to listen on", "0.0.0.0")
  .option("--port <port>", "port to listen on", "8000")
  .action(async (opts: { configFile?: string; host: string; port: string }) => {
    const started = Date.now();
    const file = configFileFrom(opts.configFile);
    const early: string[] = [];
    let config: Config;
    try {
      config = load(file, (m) => early.push(m));
    } catch (e) {
      if (e instanceof ConfigError) fail(e.message);
      throw e;
    }
    const logger = pino({ level: config.debug ? "debug" : "info" });
    for (const m of early) logger.warn(m);
    if (!file) logger.info(`no config file given: serving SQLite at ${config.database.connection} with auth_strategy = noauth2`);
    try {
      // NOTE: BERTH_CANDIDATE_SNAPSHOT (auto, always, never) is for tests and benchmarks that
      // compare the snapshot with the database reads; operators keep the default, auto.
      const mode = process.env.BERTH_CANDIDATE_SNAPSHOT;
      if (mode !== undefined && !SNAPSHOT_MODES.includes(mode as SnapshotMode)) fail(`BERTH_CANDIDATE_SNAPSHOT=${mode}: use ${SNAPSHOT_MODES.join(", ")}`);
      const [{ app, store }, { serve }] = await Promise.all([prepare(config, logger, { candidateSnapshot: mode as SnapshotMode | undefined }), import("@hono/node-server")]);
      const port = Number(opts.port);
      const server = serve({ fetch: app.fetch, hostname: opts.host, port }, (info) => {
        logger.info(`Berth listening on http://${opts.host}:${info.port} (ready in ${Date.now() - started} ms)`);
      });
      server.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE") fail(`${opts.host}:${port} is in use (another server?): stop it, or choose another port with --port`);
        if (e.code === "EACCES") fail(`not allowed to listen on ${opts.host}:${port}: choose a port above 1023 with --port`);
        fail(`cannot listen on ${opts.host}:${port}: ${e.message}`);
      });
      // SIGTERM or SIGINT: stop accepting, let the requests in flight finish (their claims commit or
      // roll back as usual), close the database, exit.
      const stop = (signal: string) => {
        logger.info(`${signal}: finishing the requests in flight, then stopping`);
        setTimeout(() => {
          logger.warn(`requests still in flight after ${STOP_GRACE_MS / 1000} s; stopping anyway`);
          process.exit(1);
        }, STOP_GRACE_MS).unref();
        server.close(() => {
          void store.close().finally(() => {
            logger.info("stopped");
            logger.flush();
            process.exit(0);
          });
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    } catch (e) {
      if (e instanceof StartupError || e instanceof ConfigError || e instanceof SchemaVersionError) fail(e.message);
      // Anything else came from the database.
      fail(`cannot start: ${databaseProblem(config, file, e)}`);
    }
  });

const db = program.command("db").description("database commands (as placement-manage db)");
db.command("sync")
  .description("create the schema at the reference's head revision and sync standard names")
  .option("--config-file <path>", "placement.conf to read")
  .action(async (opts: { configFile?: string }) => {
    const file = configFileFrom(opts.configFile);
    const config = load(file, (m) => process.stderr.write(`warning: ${m}\n`));
    const store = openStore(config.database.connection);
    try {
      const r = await syncSchema(store);
      await syncStandardNames(store);
      process.stdout.write(r.created ? `created schema at ${r.revision}\n` : `schema already at ${r.revision}\n`);
    } catch (e) {
      fail(e instanceof SchemaVersionError ? e.message : databaseProblem(config, file, e));
    } finally {
      await store.close();
    }
  });
db.command("version")
  .description("print the schema's alembic revision")
  .option("--config-file <path>", "placement.conf to read")
  .action(async (opts: { configFile?: string }) => {
    const file = configFileFrom(opts.configFile);
    const config = load(file, () => {});
    const store = openStore(config.database.connection);
    try {
      process.stdout.write(`${(await currentRevision(store)) ?? "None"}\n`);
    } catch (e) {
      fail(databaseProblem(config, file, e));
    } finally {
      await store.close();
    }
  });

// NOTE: the client commands (and the SDK behind them) load only when asked for, to keep `serve` quick.
if (!["serve", "db"].includes(process.argv[2] ?? "")) {
  const { registerCli } = await import("./cli/index.js");
  registerCli(program, { env: process.env, stdout: process.stdout, stderr: process.stderr });
}

program.parseAsync(process.argv).catch((e: Error) => fail(e.message));
