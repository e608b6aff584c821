// [placement_database] pool options on the servers: with every pooled connection held, a request
// waits at most pool_timeout for one, then gets 503 (never a hang); max_overflow adds connections.
import { expect, it } from "vitest";
import { sql } from "kysely";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";

describeEachDb("pool options", (dialect) => {
  const api = useApi(dialect, { placement_database: { max_pool_size: "1", max_overflow: "1", pool_timeout: "1" } });

  it.runIf(dialect !== "sqlite")("answers 503 once no connection frees up within pool_timeout, and serves again after", async () => {
    const db = api().store.db;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const held: Promise<void>[] = [];
    // Both connections (max_pool_size 1 + max_overflow 1) held by transactions that wait.
    for (let i = 0; i < 2; i++) {
      let started!: () => void;
      const isHeld = new Promise<void>((r) => (started = r));
      held.push(
        db.transaction().execute(async (trx) => {
          await sql`select 1`.execute(trx);
          started();
          await released;
        }),
      );
      await isHeld;
    }
    const r = await api().get("/resource_providers");
    expect(r.status).toBe(503);
    expect(r.body.errors[0]).toMatchObject({ status: 503, title: "Service Unavailable" });
    release();
    await Promise.all(held);
    expect((await api().get("/resource_providers")).status).toBe(200);
  });
});
