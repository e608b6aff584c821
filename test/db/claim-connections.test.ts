// The claim connections' session settings, which claims depend on: on MySQL every claim
// transaction runs at READ COMMITTED (a statement after the provider lock must see what the previous
// holder committed); on PostgreSQL the claim statements' connections keep generic plans, and the
// other connections keep PostgreSQL's default (the candidate search's statements want custom plans).
import { expect, it } from "vitest";
import { sql } from "kysely";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { claimTransaction } from "../../src/objects/claim-write.js";
import { checkedWrites } from "../../src/objects/claim-statement.js";
import { first } from "@berth/client/common";

describeEachDb("claim connections", (dialect) => {
  const api = useApi(dialect);

  it.runIf(dialect === "mysql")("run every claim transaction at READ COMMITTED, and nothing else", async () => {
    const store = api().store;
    // Several at once: each of the claim pool's connections.
    const levels = await Promise.all(
      Array.from({ length: 6 }, () =>
        claimTransaction(store).execute(async (trx) => first((await sql<{ i: string }>`select @@tx_isolation as i`.execute(trx)).rows).i),
      ),
    );
    expect(new Set(levels)).toEqual(new Set(["READ-COMMITTED"]));
    expect(first((await sql<{ i: string }>`select @@tx_isolation as i`.execute(store.db)).rows).i).toBe("REPEATABLE-READ");
  });

  it.runIf(dialect === "mysql")("take the checked claim script on a server that is not a Galera node", async () => {
    const store = api().store;
    expect(await store.galera?.()).toBe(false);
    expect(await checkedWrites(store)).toBe(true);
  });

  it.runIf(dialect === "mysql")("run every session in [placement_database] mysql_sql_mode (TRADITIONAL by default), as oslo.db", async () => {
    const store = api().store;
    const modes = await Promise.all([
      ...Array.from({ length: 3 }, () =>
        claimTransaction(store).execute(async (trx) => first((await sql<{ m: string }>`select @@session.sql_mode as m`.execute(trx)).rows).m),
      ),
      ...Array.from({ length: 3 }, () =>
        store.db.transaction().execute(async (trx) => first((await sql<{ m: string }>`select @@session.sql_mode as m`.execute(trx)).rows).m),
      ),
    ]);
    // TRADITIONAL expands to strict modes that the server's default lacks (STRICT_ALL_TABLES).
    for (const m of modes) expect(m.split(",")).toEqual(expect.arrayContaining(["STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_DATE", "TRADITIONAL"]));
  });

  it.runIf(dialect === "postgres")("keep generic plans for the claim statements only", async () => {
    const store = api().store;
    const mode = async (db: typeof store.db) => first((await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(db)).rows).plan_cache_mode;
    expect(await mode(store.claimDb!)).toBe("force_generic_plan");
    expect(await mode(store.db)).toBe("auto");
  });
});
