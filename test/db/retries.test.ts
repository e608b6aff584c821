// inTransaction's retries on a real database: a transaction the database refuses for a reason another
// attempt can get past runs again in a fresh one (the first attempt's writes rolled back), a bounded
// number of times per reason, telling the store each time.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { attemptsFor, inTransaction, isBusy, isDuplicateKey, RetriesExhausted, TRANSACTION_ATTEMPTS } from "../../src/db/tx.js";

/** What each database's driver reports for a deadlock and a lock wait timeout. */
const deadlock = { postgres: { code: "40P01" }, mysql: { errno: 1213 }, sqlite: { code: "40P01" } };
const lockTimeout = { postgres: { code: "55P03" }, mysql: { errno: 1205 }, sqlite: { code: "SQLITE_BUSY" } };

describeEachDb("retried transactions", (dialect) => {
  const api = useApi(dialect);

  async function traits(prefix: string): Promise<string[]> {
    const rows = await api().store.db.selectFrom("traits").select("name").where("name", "like", `${prefix}%`).orderBy("name").execute();
    return rows.map((r) => r.name);
  }

  it("runs a deadlocked transaction again; the first attempt's writes are gone", async () => {
    const told: string[] = [];
    const store = api().store;
    const before = store.onRetry;
    store.onRetry = (r) => told.push(r);
    try {
      let attempt = 0;
      const out = await inTransaction(store, async (trx) => {
        attempt++;
        await trx
          .insertInto("traits")
          .values({ name: `CUSTOM_RETRY_A_${attempt}`, created_at: new Date().toISOString().slice(0, 19).replace("T", " ") })
          .execute();
        if (attempt === 1) throw Object.assign(new Error("deadlock"), deadlock[dialect]);
        return attempt;
      });
      expect(out).toBe(2);
      expect(told).toEqual(["deadlock"]);
      expect(await traits("CUSTOM_RETRY_A_")).toEqual(["CUSTOM_RETRY_A_2"]);
    } finally {
      store.onRetry = before;
    }
  });

  it("gives up after its attempts: deadlocks as a race lost (409), lock timeouts as a busy database (503)", async () => {
    let n = 0;
    const always = (err: object) => () => {
      n++;
      return Promise.reject(Object.assign(new Error("refused"), err));
    };
    const e1 = await inTransaction(api().store, always(deadlock[dialect])).catch((e) => e);
    expect(e1).toBeInstanceOf(RetriesExhausted);
    // The app answers RetriesExhausted 409 concurrent_update unless isBusy, then 503 (src/app.ts).
    expect(e1).toMatchObject({ reason: "deadlock", last: { message: "refused", ...deadlock[dialect] } });
    expect(n).toBe(TRANSACTION_ATTEMPTS);
    expect(isBusy(e1)).toBe(false);
    n = 0;
    const e2 = await inTransaction(api().store, always(lockTimeout[dialect])).catch((e) => e);
    expect(e2).toBeInstanceOf(RetriesExhausted);
    expect(e2.reason).toBe(dialect === "sqlite" ? "busy" : "lock_timeout");
    expect(n).toBe(attemptsFor(e2.reason));
    expect(isBusy(e2)).toBe(true);
  });

  it("rethrows a duplicate key that persists, as is, for the caller to give it a meaning", async () => {
    const name = `CUSTOM_RETRY_DUP_${dialect.toUpperCase()}`;
    expect((await api().put(`/traits/${name}`, undefined, { version: "1.6" })).status).toBe(201);
    let n = 0;
    const e = await inTransaction(api().store, async (trx) => {
      n++;
      await trx.insertInto("traits").values({ name, created_at: "2026-01-01 00:00:00" }).execute();
    }).then(
      () => undefined,
      (x) => x,
    );
    // The database's own duplicate-key error, not undefined (no error) nor a wrapper.
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(RetriesExhausted);
    expect(isDuplicateKey(e)).toBe(true);
    expect(n).toBe(attemptsFor("duplicate"));
  });
});
