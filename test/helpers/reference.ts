// The reference implementation (Placement 8.0.0) and `berth serve` as child processes on one
// database, for the drop-in and mixed-fleet tests. The reference is required under CI=true (.ci/run
// installs it); elsewhere its tests are skipped with a note.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitUp } from "./serve.js";

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
// NOTE: Debian's python3-gunicorn ships the module, not the `gunicorn` script; run it with the
// system Python, which is the one python3-placement is installed for (a pyenv `python3` is not).
const PYTHON = "/usr/bin/python3";

/** What of the reference this machine has: `placement-api` (wsgiref) and gunicorn. */
export const reference = {
  api: has("sh", ["-c", "command -v placement-api"]),
  gunicorn: has(PYTHON, ["-c", "import gunicorn, placement"]),
};

/** true when the reference can run here; under CI=true its absence is an error, elsewhere a note. */
export function referenceAvailable(what: string, needGunicorn = false): boolean {
  const ok = reference.api && (!needGunicorn || reference.gunicorn);
  if (ok) return true;
  const missing = needGunicorn ? "python3-placement and python3-gunicorn" : "python3-placement (placement-api)";
  if (process.env.CI === "true") throw new Error(`${what}: ${missing} is required under CI=true but is not installed`);
  console.warn(`NOTE: ${missing} is not installed; ${what} is skipped`);
  return false;
}

export interface Served {
  base: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** The database URL the reference needs for one of Berth's (a driver named for PostgreSQL). */
export function referenceConnection(url: string): string {
  return url.replace(/^postgresql:/, "postgresql+psycopg2:");
}

async function serve(cmd: string, args: string[], env: Record<string, string>, base: string): Promise<Served> {
  let out = "";
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  child.stdout!.on("data", (d) => (out = (out + d).slice(-4000)));
  child.stderr!.on("data", (d) => (out = (out + d).slice(-4000)));
  try {
    await waitUp(base, child, () => out);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    base,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The reference on `url` (Berth's form of the URL), configured in `dir` (its placement.conf is
 * written there, `moreConf` appended; the schema is made on start-up): `placement-api`, or gunicorn
 * with `workers`.
 */
export async function startReference(url: string, dir: string, workers = 0, moreConf = ""): Promise<Served> {
  writeFileSync(
    join(dir, "placement.conf"),
    `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${referenceConnection(url)}\nsync_on_startup = True\n${moreConf}`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { OS_PLACEMENT_CONFIG_DIR: dir };
  if (workers > 0) {
    // NOTE: each gunicorn worker syncs the schema on start-up; on an empty database two at once
    // race to create it. Made once first, as a deployment does with placement-manage.
    execFileSync("placement-manage", ["--config-file", join(dir, "placement.conf"), "db", "sync"], { stdio: "ignore" });
    return serve(PYTHON, ["-m", "gunicorn", "-w", String(workers), "-b", `127.0.0.1:${port}`, "placement.wsgi:init_application()"], env, base);
  }
  return serve("placement-api", ["--host", "127.0.0.1", "--port", String(port)], env, base);
}

/**
 * `berth serve` (the compiled bin/berth.js) on `url`, configured in `dir/berth.conf`; `sync` makes
 * the schema on start-up (sync_on_startup).
 */
export async function startBerth(url: string, dir: string, env: Record<string, string> = {}, sync = false): Promise<Served> {
  const conf = join(dir, "berth.conf");
  writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${url}\n${sync ? "sync_on_startup = True\n" : ""}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  return serve(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], env, base);
}
