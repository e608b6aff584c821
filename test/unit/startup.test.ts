// Start-up: what stops it (with a message that says what to do) and what it prepares.
import { mkdtempSync } from "node:fs";
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
