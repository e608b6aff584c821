// An idle pooled connection that the database ends (a restart, pg_terminate_backend) must not take
// the process down: the pool drops it and the next request gets a fresh one. PostgreSQL only: the
// pg pool raises such errors on the pool (fatal without a listener); mysql2's pool drops a killed
// idle connection quietly (checked by hand with KILL), and SQLite has no server.
import { expect, it } from "vitest";
import pg from "pg";
import { sql } from "kysely";
import { describeEachDb, PG_ADMIN } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { first } from "@berth/client/common";

describeEachDb("a lost idle connection", (dialect) => {
  const api = useApi(dialect);

  it.runIf(dialect === "postgres")("is replaced and the server answers on", async () => {
    // Several concurrent requests leave several idle connections in the pool.
    const list = () => Promise.all(Array.from({ length: 6 }, () => api().get("/resource_providers")));
    for (const r of await list()) expect(r.status).toBe(200);
    const name = first((await sql<{ d: string }>`select current_database() as d`.execute(api().store.db)).rows).d;
    const admin = new pg.Client({ connectionString: PG_ADMIN.replace(/\+\w+/, "") });
    await admin.connect();
    const ended = await admin.query("select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = $1", [name]);
    await admin.end();
    expect(ended.rows.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    for (const r of await list()) expect(r.status).toBe(200);
  });
});
