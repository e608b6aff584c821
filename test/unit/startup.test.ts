// Start-up: what stops it (with a message that says what to do) and what it prepares.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testConfig } from "../../src/config.js";
import { prepare, StartupError } from "../../src/server.js";
import { openStore } from "../../src/db/open.js";
import { currentRevision } from "../../src/db/sync.js";

describe("start-up", () => {
  it("refuses auth_strategy = keystone until token validation exists", async () => {
    await expect(prepare(testConfig({ api: { auth_strategy: "keystone" } }))).rejects.toThrow(/auth_strategy = keystone is not supported/);
  });

  it("refuses a database without the schema unless sync_on_startup is set", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "berth-")), "p.sqlite");
    const config = testConfig({ placement_database: { connection: `sqlite:///${file}`, sync_on_startup: "false" } });
    await expect(prepare(config)).rejects.toThrow(StartupError);
    await expect(prepare(config)).rejects.toThrow(/run `berth db sync`/);
  });

  it("says what to do when the port is taken, without a stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    const conf = join(mkdtempSync(join(tmpdir(), "berth-")), "placement.conf");
    writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = sqlite://\nsync_on_startup = True\n`);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    taken.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`berth: 127.0.0.1:${port} is in use (another server?): stop it, or choose another port with --port\n`);
  });

  it("says which database it could not use, without its password, and what to check", async () => {
    const conf = join(mkdtempSync(join(tmpdir(), "berth-")), "placement.conf");
    writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = postgresql://placement:s3cret@127.0.0.1:1/placement\n`);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--port", "0"], (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("berth: cannot start: could not use the database at postgresql://placement:***@127.0.0.1:1/placement (");
    expect(r.stderr).toContain(`Check [placement_database] connection in ${conf}, that the database server is running and that the database exists.`);
    expect(r.stderr).not.toContain("s3cret");
  });

  it("creates the schema on first start with sync_on_startup and serves", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "berth-")), "p.sqlite");
    const { app, store } = await prepare(testConfig({ placement_database: { connection: `sqlite:///${file}`, sync_on_startup: "true" } }));
    const res = await app.request("/");
    expect(res.status).toBe(200);
    await store.close();
    const again = openStore(`sqlite:///${file}`);
    expect(await currentRevision(again)).toBe("422ece571366");
    await again.close();
  });
});
