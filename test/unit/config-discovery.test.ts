// Where the commands find placement.conf, as processes: --config-file, $OS_PLACEMENT_CONFIG_DIR,
// then ~/.placement, ~, /etc/placement, /etc. A command that needs a database and finds no config
// says so and creates nothing; `berth serve` without any config serves ./berth.sqlite (npm start).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { freePort, waitUp } from "../helpers/serve.js";
import { berth } from "../helpers/berth-process.js";

const bin = new URL("../../bin/berth.js", import.meta.url).pathname;
// NOTE: a machine with a system-wide placement.conf would find it; these tests need none there.
const systemConfig = existsSync("/etc/placement/placement.conf") || existsSync("/etc/placement.conf");

function sandbox(): { cwd: string; home: string; env: NodeJS.ProcessEnv } {
  const cwd = mkdtempSync(join(tmpdir(), "berth-cwd-"));
  const home = mkdtempSync(join(tmpdir(), "berth-home-"));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.OS_PLACEMENT_CONFIG_DIR;
  return { cwd, home, env };
}

it.skipIf(systemConfig)(
  "a database command without any config says what to do and creates no database",
  async () => {
    const { cwd, home, env } = sandbox();
    for (const args of [
      ["db", "sync"],
      ["db", "version"],
      ["db", "online_data_migrations"],
      ["status", "upgrade", "check"],
      ["db", "stamp", "head"],
    ]) {
      const r = await berth(args, env, cwd);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toContain("no config file: give --config-file (for example /etc/placement/placement.conf), or set OS_PLACEMENT_CONFIG_DIR");
      expect(r.stderr).toContain(`${home}/.placement/placement.conf`);
    }
    expect(existsSync(join(cwd, "berth.sqlite"))).toBe(false);
  },
  60_000,
);

it("reads ~/.placement/placement.conf, and $OS_PLACEMENT_CONFIG_DIR before it", async () => {
  const { cwd, home, env } = sandbox();
  mkdirSync(join(home, ".placement"));
  writeFileSync(join(home, ".placement", "placement.conf"), `[placement_database]\nconnection = sqlite:///${join(home, "home.sqlite")}\n`);
  expect((await berth(["db", "sync"], env, cwd)).stdout).toContain("created schema");
  expect(existsSync(join(home, "home.sqlite"))).toBe(true);

  const dir = mkdtempSync(join(tmpdir(), "berth-confdir-"));
  const withDir = { ...env, OS_PLACEMENT_CONFIG_DIR: dir };
  const missing = await berth(["db", "version"], withDir, cwd);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`OS_PLACEMENT_CONFIG_DIR is ${dir}, but ${dir}/placement.conf does not exist`);
  writeFileSync(join(dir, "placement.conf"), `[placement_database]\nconnection = sqlite:///${join(dir, "dir.sqlite")}\n`);
  expect((await berth(["db", "version"], withDir, cwd)).stdout).toBe("None\n");
  expect((await berth(["db", "sync"], withDir, cwd)).code).toBe(0);
  expect(existsSync(join(dir, "dir.sqlite"))).toBe(true);
  expect(existsSync(join(cwd, "berth.sqlite"))).toBe(false);
}, 60_000);

it.skipIf(systemConfig)(
  "berth serve without any config serves SQLite in ./berth.sqlite with noauth2",
  async () => {
    const { cwd, env } = sandbox();
    const port = await freePort();
    const child = spawn(process.execPath, [bin, "serve", "--port", String(port)], { cwd, env });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    try {
      await waitUp(`http://127.0.0.1:${port}`, child, () => log);
      const r = await fetch(`http://127.0.0.1:${port}/resource_providers`, { headers: { "X-Auth-Token": "admin" } });
      expect(r.status).toBe(200);
      expect(existsSync(join(cwd, "berth.sqlite"))).toBe(true);
      expect(log).toContain("no config file given: serving SQLite");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  },
  60_000,
);
