// The only file that reads argv and env, opens sockets and exits.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { homedir } from "node:os";
import { ConfigError, defaultConfigFiles, findConfigFile, loadConfig, type Config } from "./config.js";
import { createLogging, type Logging } from "./logging.js";
import { MetricsListenError, registrySource, startMetricsListener, type MetricsSource } from "./metrics-listener.js";
import { answerPrimary, answerPrimaryEmpty, clusterSource } from "./metrics-cluster.js";
import { prepare, redactedUrl, StartupError } from "./server.js";
import { SNAPSHOT_MODES, type SnapshotMode } from "./objects/candidates/snapshot.js";
import { openStore } from "./db/open.js";
import { currentRevision, SchemaVersionError, stampRevision, syncSchema, syncStandardNames } from "./db/sync.js";
import { MigrationBlockedError } from "./db/migrations.js";
import type { Store } from "./db/open.js";

/** The config file to read (see findConfigFile), or undefined when there is none anywhere. */
function configFileFrom(opt: string | undefined): string | undefined {
  try {
    return findConfigFile({ explicit: opt, configDir: process.env.OS_PLACEMENT_CONFIG_DIR, home: homedir(), exists: existsSync });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
}

/** The config file a command that needs the database reads; without one it stops and says what to do
 * (rather than creating an empty SQLite file where it runs). */
function requiredConfigFile(opt: string | undefined): string {
  const file = configFileFrom(opt);
  if (file) return file;
  fail(
    `no config file: give --config-file (for example /etc/placement/placement.conf), or set OS_PLACEMENT_CONFIG_DIR; looked for ${defaultConfigFiles(homedir()).join(", ")}`,
  );
}

function load(configFile: string | undefined, warn: (m: string) => void): Config {
  return loadConfig({ configFile, defaultConnection: `sqlite:///${resolve("berth.sqlite")}`, warn });
}

const CONFIG_HELP =
  "placement.conf to read (default: $OS_PLACEMENT_CONFIG_DIR/placement.conf, else the first of ~/.placement/placement.conf, ~/placement.conf, /etc/placement/placement.conf, /etc/placement.conf)";

/** How long a stop waits for the requests in flight. */
const STOP_GRACE_MS = 10_000;

/** What went wrong with the configured database, and what to check. */
function databaseProblem(config: Config, file: string | undefined, e: unknown): string {
  return (
    `could not use the database at ${redactedUrl(config.database.connection)} (${(e as Error).message}). ` +
    `Check [placement_database] connection${file ? ` in ${file}` : ""}, that the database server is running and that the database exists.`
  );
}

/** An address only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function portOption(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) fail(`${name} must be a port number (0 to 65535), not ${JSON.stringify(raw)}`);
  return n;
}

/** Stops start-up with what went wrong. */
function cannotStart(config: Config, file: string | undefined, e: unknown): never {
  if (
    e instanceof StartupError ||
    e instanceof ConfigError ||
    e instanceof SchemaVersionError ||
    e instanceof MigrationBlockedError ||
    e instanceof MetricsListenError
  )
    fail(e.message);
  // Anything else came from the database.
  fail(`cannot start: ${databaseProblem(config, file, e)}`);
}

function fail(message: string): never {
  process.stderr.write(`berth: ${message}\n`);
  process.exit(1);
}

const program = new Command("berth").description("Berth: an OpenStack Placement-compatible resource placement service");

program
  .command("serve")
  .description("serve the Placement API")
  .option("--config-file <path>", CONFIG_HELP)
  .option("--host <host>", "address to listen on (0.0.0.0: every address)", "127.0.0.1")
  .option("--port <port>", "port to listen on", "8000")
  .option("--metrics-port <port>", "serve Prometheus metrics at GET /metrics on this port (default: [berth] metrics_port; none)")
  .option("--metrics-host <host>", "address of the metrics listener (default: [berth] metrics_host, 127.0.0.1)")
  .option("--workers <n>", "processes serving the port (default: [api] workers, 1)")
  .action(async (opts: { configFile?: string; host: string; port: string; metricsPort?: string; metricsHost?: string; workers?: string }) => {
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
    let logging: Logging;
    try {
      logging = createLogging(config);
    } catch (e) {
      if (e instanceof ConfigError) fail(e.message);
      throw e;
    }
    const { logger } = logging;
    if (opts.workers !== undefined && !/^[1-9]\d*$/.test(opts.workers))
      fail(`--workers must be a whole number of at least 1, not ${JSON.stringify(opts.workers)}`);
    const workers = opts.workers !== undefined ? Number(opts.workers) : config.api.workers;
    const { isWorker, runPrimary, stopWhenOrphaned } = await import("./cluster.js");
    const { routeFromEnv } = await import("./claim-routing.js");
    const worker = isWorker();
    // NOTE: a worker's warnings and notes were the primary's already.
    if (!worker) for (const m of early) logger.warn(m);
    if (!file && !worker) logger.info(`no config file given: serving SQLite at ${config.database.connection} with auth_strategy = noauth2`);
    const loopback = isLoopback(opts.host);
    if (config.api.authStrategy === "noauth2" && !loopback && !worker)
      logger.warn(
        `[api] auth_strategy = noauth2 while listening on ${opts.host}: every caller that can reach it is trusted (no token is checked; X-Auth-Token: admin is an admin)`,
      );
    const metricsPort = portOption(opts.metricsPort, "--metrics-port") ?? config.berth.metricsPort;
    if (logging.target !== "stdout" && !worker) process.stdout.write(`berth: logging to ${logging.target}\n`);
    // NOTE: SIGHUP reopens the log file (logrotate); it never stops the process, also when logging to
    // stdout (a --workers primary passes it on to every worker).
    process.on("SIGHUP", () => logging.reopen());
    const metricsOn = (source: MetricsSource) =>
      startMetricsListener({
        host: opts.metricsHost ?? config.berth.metricsHost,
        port: metricsPort,
        source,
        onError: (err) => logger.error({ err }, "metrics could not be collected"),
        log: (m) => logger.info(m),
      });
    if (workers > 1 && !worker) {
      // NOTE: the primary serves the workers' metrics, summed (each worker answers it over IPC).
      const metricsServer = await metricsOn(clusterSource()).catch((e: unknown) => cannotStart(config, file, e));
      const code = await runPrimary({ config, workers, logger, stopGraceMs: STOP_GRACE_MS + 5_000, address: `http://${opts.host}:${opts.port}` }).catch(
        (e: unknown) => cannotStart(config, file, e),
      );
      metricsServer?.close();
      logger.flush();
      process.exit(code);
    }
    // NOTE: BERTH_CANDIDATE_SNAPSHOT (auto, always, never) is for tests and benchmarks that compare
    // the snapshot with the database reads; operators keep the default, auto.
    const mode = process.env.BERTH_CANDIDATE_SNAPSHOT;
    if (mode !== undefined && !SNAPSHOT_MODES.includes(mode as SnapshotMode)) fail(`BERTH_CANDIDATE_SNAPSHOT=${mode}: use ${SNAPSHOT_MODES.join(", ")}`);
    // NOTE: a worker answers the primary's metrics requests from the start (empty until its app is
    // up): a scrape asks every worker and fails whole when one does not answer.
    if (worker) answerPrimaryEmpty();
    try {
      const [{ app, store, metrics }, { createListener, DEFAULT_LIMITS }] = await Promise.all([
        prepare(config, logger, {
          processMetrics: true,
          synced: worker,
          candidateSnapshot: mode as SnapshotMode | undefined,
          claimRoute: worker ? routeFromEnv() : undefined,
        }),
        import("./listener.js"),
      ]);
      let metricsServer: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
      if (worker) answerPrimary(metrics.registry);
      else metricsServer = await metricsOn(registrySource(metrics.registry));
      const port = Number(opts.port);
      const server = createListener(app, { ...DEFAULT_LIMITS, maxBodyBytes: config.api.maxRequestBodySize }, logger);
      server.listen(port, opts.host, () => {
        const info = server.address() as { port: number };
        const only = loopback ? "; this machine only: --host chooses another address" : "";
        logger.info(`Berth listening on http://${opts.host}:${info.port} (ready in ${Date.now() - started} ms)${only}`);
      });
      server.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE") fail(`${opts.host}:${port} is in use (another server?): stop it, or choose another port with --port`);
        if (e.code === "EACCES") fail(`not allowed to listen on ${opts.host}:${port}: choose a port above 1023 with --port`);
        fail(`cannot listen on ${opts.host}:${port}: ${e.message}`);
      });
      // SIGTERM or SIGINT: stop accepting, let the requests in flight finish (their claims commit or
      // roll back as usual), close the database, exit.
      let stopping = false;
      const stop = (signal: string) => {
        // NOTE: once only: a worker hears both the terminal's SIGINT and its primary's SIGTERM.
        if (stopping) return;
        stopping = true;
        logger.info(`${signal}: finishing the requests in flight, then stopping`);
        setTimeout(() => {
          logger.warn(`requests still in flight after ${STOP_GRACE_MS / 1000} s; stopping anyway`);
          process.exit(1);
        }, STOP_GRACE_MS).unref();
        metricsServer?.close();
        server.close(() => {
          void store.close().finally(() => {
            logger.info("stopped");
            logger.flush();
            process.exit(0);
          });
        });
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      stopWhenOrphaned(() => stop("primary gone"));
    } catch (e) {
      cannotStart(config, file, e);
    }
  });

/** Runs `work` on the configured database, then closes it; a database error stops with what to check. */
async function withDatabase(configFile: string | undefined, work: (store: Store, config: Config) => Promise<number>): Promise<never> {
  const file = requiredConfigFile(configFile);
  let config: Config;
  try {
    config = load(file, (m) => process.stderr.write(`warning: ${m}\n`));
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const store = openStore(config.database.connection);
  let code: number;
  try {
    code = await work(store, config);
  } catch (e) {
    await store.close().catch(() => {});
    if (e instanceof SchemaVersionError || e instanceof MigrationBlockedError) fail(e.message);
    fail(databaseProblem(config, file, e));
  }
  await store.close();
  process.exit(code);
}

const db = program.command("db").description("database commands (as placement-manage db)");
db.command("sync")
  .description("create the schema, or upgrade it from any earlier Placement revision, to the head; sync standard names")
  .option("--config-file <path>", CONFIG_HELP)
  .action((opts: { configFile?: string }) =>
    withDatabase(opts.configFile, async (store) => {
      let r: Awaited<ReturnType<typeof syncSchema>>;
      try {
        r = await syncSchema(store);
      } catch (e) {
        if (e instanceof MigrationBlockedError) fail(`schema at ${await currentRevision(store)}: ${e.message}`);
        throw e;
      }
      await syncStandardNames(store);
      for (const rev of r.upgraded) process.stdout.write(`upgraded to ${rev}\n`);
      process.stdout.write(
        r.created ? `created schema at ${r.revision}\n` : r.upgraded.length ? `schema now at ${r.revision}\n` : `schema already at ${r.revision}\n`,
      );
      return 0;
    }),
  );
db.command("version")
  .description("print the schema's alembic revision")
  .option("--config-file <path>", CONFIG_HELP)
  .action((opts: { configFile?: string }) =>
    withDatabase(opts.configFile, async (store) => {
      process.stdout.write(`${(await currentRevision(store)) ?? "None"}\n`);
      return 0;
    }),
  );
db.command("stamp")
  .description("set the schema's alembic revision without changing the schema (as placement-manage db stamp)")
  .argument("<version>", "the revision to stamp (or head)")
  .option("--config-file <path>", CONFIG_HELP)
  .action((version: string, opts: { configFile?: string }) =>
    withDatabase(opts.configFile, async (store) => {
      await stampRevision(store, version);
      return 0;
    }),
  );
db.command("online_data_migrations")
  .description("run the online data migrations (exit 0: none left, 1: some done and more may remain, 2: errors)")
  .option("--max-count <number>", "migrate at most this many rows (one batch), then stop")
  .option("--config-file <path>", CONFIG_HELP)
  .action((opts: { configFile?: string; maxCount?: string }) =>
    withDatabase(opts.configFile, async (store, config) => {
      const { onlineDataMigrations } = await import("./ops/manage.js");
      const r = await onlineDataMigrations(store, config, opts.maxCount);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.code;
    }),
  );

const status = program.command("status").description("status checks (as placement-status)");
status
  .command("upgrade")
  .description("upgrade checks")
  .command("check")
  .description("the checks placement-status upgrade check runs (exit 0: success, 1: warning, 2: failure, 255: error)")
  .option("--json", "print the results as JSON")
  .option("--config-file <path>", CONFIG_HELP)
  .action((opts: { configFile?: string; json?: boolean }) =>
    withDatabase(opts.configFile, async (store, config) => {
      const { upgradeCheck } = await import("./ops/manage.js");
      try {
        const r = await upgradeCheck(store, config, opts.json ?? false);
        process.stdout.write(r.stdout);
        return r.code;
      } catch (e) {
        // NOTE: as the reference: an error is not a check result; 255 keeps it apart from 0, 1 and 2.
        process.stdout.write(`Error:\n${(e as Error).message}\n`);
        return 255;
      }
    }),
  );

const conformance = program
  .command("conformance")
  .description("a known-good server that records a client, injects faults and judges the client by rules (docs/conformance.md)");
const conformanceOptions = (c: Command) =>
  c
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", "8000")
    .option("--faults <spec>", "faults to inject, e.g. conflict/3,unavailable-first-get,drop/11,old-node@1.20/4,seed=7")
    .option("--max-version <1.N>", "the highest microversion to announce and accept (default 1.39)")
    .option("--report <file>", "write the report as JSON to this file and its summary beside it (.md)");
type ConformanceFlags = { host: string; port: string; faults?: string; maxVersion?: string; report?: string };
const conformanceAction = async (opts: ConformanceFlags, command?: string[]) => {
  const { conformanceCommand } = await import("./conformance/command.js");
  const { FaultSpecError } = await import("./conformance/faults.js");
  const { ConformanceOptionError } = await import("./conformance/serve.js");
  try {
    const code = await conformanceCommand({
      host: opts.host,
      port: portOption(opts.port, "--port"),
      faults: opts.faults,
      maxVersion: opts.maxVersion,
      report: opts.report,
      command,
      env: process.env,
      out: (s) => void process.stdout.write(s),
      note: (s) => void process.stderr.write(`berth: ${s}\n`),
    });
    process.exit(code);
  } catch (e) {
    if (e instanceof FaultSpecError || e instanceof ConformanceOptionError) fail(e.message);
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") fail(`${opts.host}:${opts.port} is in use: choose another port with --port (0: any free port)`);
    throw e;
  }
};
conformanceOptions(conformance.command("serve").description("serve until SIGINT or SIGTERM, then print (and with --report write) the report")).action(
  (opts: ConformanceFlags) => conformanceAction(opts),
);
conformanceOptions(
  conformance
    .command("run")
    .description("run a client's command against the server (OS_ENDPOINT, BERTH_CONFORMANCE_URL set), then report; exit 1 when a rule fails")
    .argument("<command...>", "the client's command, after --"),
).action((command: string[], opts: ConformanceFlags) => conformanceAction(opts, command));

// NOTE: the client commands (and the SDK behind them) load only when asked for, to keep `serve` quick.
// They answer with the openstack CLI's exit codes (usage errors 2, failures 1), help included.
if (!["serve", "db", "status", "conformance"].includes(process.argv[2] ?? "")) {
  const { runCli } = await import("@berth/cli");
  const code = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }, program);
  process.exit(code);
} else {
  program.parseAsync(process.argv).catch((e: Error) => fail(e.message));
}
