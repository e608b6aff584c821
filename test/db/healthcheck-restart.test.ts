// GET /healthcheck follows a PostgreSQL server that stops and comes back: 200, 503, 200 again, with
// no restart of Berth. The server is a private one (test/helpers/private-db.ts).
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { openStore, type Store } from "../../src/db/open.js";
import { privatePostgres, privateServersAvailable, type PrivateServer } from "../helpers/private-db.js";

const PRIVATE_PG_AVAILABLE = privateServersAvailable().postgres;

if (!PRIVATE_PG_AVAILABLE) {
  if (process.env.CI === "true") throw new Error("the PostgreSQL server binaries (initdb, postgres) are required under CI=true");
  console.warn("NOTE: no PostgreSQL server binaries: the healthcheck restart test is skipped");
}

describe.runIf(PRIVATE_PG_AVAILABLE)("healthcheck while a private PostgreSQL stops and starts", () => {
  let server: PrivateServer | undefined;
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close().catch(() => {});
    await server?.destroy();
  });

  it("answers 200, then 503 while the server is down, then 200 once it is back", async () => {
    server = await privatePostgres();
    store = openStore(server.url);
    const app = createApp({ store, config: testConfig() });
    const check = async () => {
      const res = await app.request("/healthcheck");
      return { status: res.status, body: await res.json() };
    };
    expect(await check()).toEqual({ status: 200, body: { status: "ok" } });
    await server.stop();
    expect(await check()).toEqual({ status: 503, body: { status: "unavailable", reason: "the database cannot be reached" } });
    await server.start();
    expect(await check()).toEqual({ status: 200, body: { status: "ok" } });
  });
});
