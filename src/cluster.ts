// `berth serve --workers N`: the primary process. It forks N workers (node:cluster) that each run
// `berth serve` on the one shared port with their own app, snapshots and database pools; it stops
// them all on SIGTERM/SIGINT, each after its requests in flight, and replaces a worker that dies.
// The workers themselves are main.ts's single-process serve, told the schema is already synced.
import cluster, { type Worker } from "node:cluster";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { parseConnectionUrl } from "./db/open.js";
import { prepare, StartupError } from "./server.js";
import { ROUTE_ENV } from "./claim-routing.js";

export interface PrimaryOptions {
  config: Config;
  workers: number;
  logger: Logger;
  /** How long a stop waits for the workers (each has its own grace for its requests in flight). */
  stopGraceMs: number;
  /** Where the workers listen, for the log line. */
  address: string;
}

/** Whether this process is a worker of `berth serve --workers N`. */
export const isWorker = (): boolean => cluster.isWorker;

/**
 * Checks or creates the schema and syncs the standard names, once, then runs the workers until
 * stopped; resolves with the exit code. Rejects (StartupError, or the database's error) when the
 * workers cannot start.
 */
export async function runPrimary(opts: PrimaryOptions): Promise<number> {
  if (parseConnectionUrl(opts.config.database.connection).file === ":memory:")
    throw new StartupError("--workers above 1 needs a database the processes share: an in-memory SQLite database (sqlite://) would be one per worker");
  const { store } = await prepare(opts.config, opts.logger);
  await store.close();
  return supervise(opts);
}

/** The claim sockets' directory: this prefix, the primary's pid, a dash and a random suffix. */
const SOCKET_DIR_PREFIX = "berth-claims-";
const SOCKET_DIR = new RegExp(`^${SOCKET_DIR_PREFIX}(\\d+)-`);

/**
 * Removes the claim socket directories under `parent` whose primary is gone (one killed with
 * SIGKILL never removed its own); returns their paths. A directory of a live process, or of a
 * process this user may not signal, is kept.
 */
export function sweepSocketDirs(parent: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = SOCKET_DIR.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      // NOTE: a primary in another pid namespace sharing this directory looks gone too; removing
      // its sockets only makes its workers write their claims themselves (still exact).
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") continue;
      const path = join(parent, name);
      try {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      } catch {
        // NOTE: another user's directory (sticky /tmp): not ours to remove.
      }
    }
  }
  return removed;
}

function supervise(opts: PrimaryOptions): Promise<number> {
  const { logger, workers } = opts;
  // NOTE: each worker's place (0 .. workers - 1), kept by its replacement, and the directory of the
  // sockets through which the workers hand each other claims (claim-routing.ts).
  for (const dir of sweepSocketDirs(tmpdir())) logger.info(`removed ${dir}: the claim sockets of a berth serve that is gone`);
  const sockets = mkdtempSync(join(tmpdir(), `${SOCKET_DIR_PREFIX}${process.pid}-`));
  const indexOf = new Map<number, number>();
  const fork = (index: number) => {
    const w = cluster.fork({ [ROUTE_ENV.self]: String(index), [ROUTE_ENV.workers]: String(workers), [ROUTE_ENV.dir]: sockets });
    indexOf.set(w.id, index);
    return w;
  };
  return new Promise<number>((resolve) => {
    let stopping = false;
    let up = false;
    let failures = 0;
    /** Worker id -> the pid of the worker it replaces. */
    const replacing = new Map<number, number>();
    const listened = new Set<number>();
    // NOTE: a worker leaves cluster.workers at its exit or its disconnect, whichever is last.
    const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

    const stopAll = (signal: NodeJS.Signals) => {
      for (const w of alive()) w.process.kill(signal);
      setTimeout(() => {
        const left = alive();
        if (!left.length) return;
        logger.warn(`workers ${left.map((w) => w.process.pid).join(", ")} still running after ${opts.stopGraceMs / 1000} s; killing them`);
        for (const w of left) w.process.kill("SIGKILL");
      }, opts.stopGraceMs).unref();
    };
    let code = 0;
    const finishIfDone = () => {
      if (alive().length) return;
      logger.info("all workers stopped");
      resolve(code);
    };

    cluster.on("listening", (worker) => {
      listened.add(worker.id);
      failures = 0;
      const replaced = replacing.get(worker.id);
      if (replaced !== undefined) {
        replacing.delete(worker.id);
        logger.warn({ worker: worker.process.pid, replaced }, `worker ${worker.process.pid} replaces worker ${replaced}`);
      }
      // NOTE: also when the last to listen is a replacement (a worker died before all were up).
      if (!up && listened.size === workers) {
        up = true;
        const pids = alive().map((w) => w.process.pid);
        logger.info({ workers: pids }, `Berth listening on ${opts.address} with ${workers} workers (pids ${pids.join(", ")})`);
      }
    });

    cluster.on("exit", (worker, exitCode, signal) => {
      const pid = worker.process.pid;
      if (stopping) {
        if (exitCode !== 0) code = 1;
        finishIfDone();
        return;
      }
      if (!up && !listened.has(worker.id)) {
        // A worker that cannot start (it said why on stderr): the others would fail the same way.
        logger.error(`worker ${pid} could not start (exit code ${exitCode}); stopping`);
        stopping = true;
        code = 1;
        stopAll("SIGTERM");
        finishIfDone();
        return;
      }
      const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
      // NOTE: a replacement that dies before it listens (the database is down, say) is retried
      // later and later, up to 30 s apart, rather than in a tight loop.
      const wasUp = listened.delete(worker.id);
      if (!wasUp) failures++;
      const delay = failures ? Math.min(30_000, 500 * 2 ** (failures - 1)) : 0;
      logger.warn({ worker: pid, exitCode, signal }, `worker ${pid} died (${how}); starting a replacement${delay ? ` in ${delay / 1000} s` : ""}`);
      const replacedPid = replacing.get(worker.id) ?? pid;
      replacing.delete(worker.id);
      const index = indexOf.get(worker.id) ?? 0;
      indexOf.delete(worker.id);
      setTimeout(() => {
        if (stopping) return;
        replacing.set(fork(index).id, replacedPid!);
      }, delay);
    });

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal}: stopping the workers after their requests in flight`);
      stopAll("SIGTERM");
      finishIfDone();
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    // NOTE: logrotate signals the primary; every worker writes the log file and must reopen it.
    process.on("SIGHUP", () => {
      for (const w of alive()) w.process.kill("SIGHUP");
    });

    for (let i = 0; i < workers; i++) fork(i);
  }).finally(() => rmSync(sockets, { recursive: true, force: true }));
}

/** In a worker: calls `stop` when the primary goes away (killed), so no worker is left orphaned. */
export function stopWhenOrphaned(stop: () => void): void {
  if (cluster.isWorker) process.on("disconnect", stop);
}
