// Property: claims that share a transaction (the claim queue's group commit) end exactly as the same
// claims run one after the other would: the same answer for each (written, or the same error and
// message), the same allocations, consumers and generations afterwards. Random inventories with
// reserved/min/max/step/ratio, existing consumers, replacements, removals, unknown providers and
// classes, consumer generations right and wrong; on every database.
import { expect, it } from "vitest";
import fc from "fast-check";
import { sql } from "kysely";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import type { SeedInventory } from "../helpers/seed.js";
import { CONSUMERS, PROVIDERS, World, type WriteSpec } from "../helpers/claims.js";
import type { Store } from "../../src/db/open.js";
import { claimTransaction } from "../../src/objects/claim-write.js";
import { deleteAllocationsOfConsumer } from "../../src/objects/allocation.js";
import { emptyLookup, ensureIdentities } from "../../src/objects/consumer.js";
import { inTransaction, type Tx } from "../../src/db/tx.js";
import { claimAlone, claimTogether, ClaimQueue } from "../../src/objects/claim-queue.js";
import { claimWithCheckedWrite, read, writeChecked } from "../../src/objects/claim-statement.js";
import { judgeInOrder } from "../../src/objects/claim-judge.js";
import { claimItems } from "../../src/objects/claim-plan.js";
import { ClaimMemo } from "../../src/objects/claim-memo.js";
import { DEFAULTS, updateInventory } from "../../src/objects/inventory.js";
import { at, first } from "@berth/client/common";

const CLASSES = ["VCPU", "MEMORY_MB"];

const inventoryArb: fc.Arbitrary<SeedInventory> = fc.record({
  total: fc.integer({ min: 1, max: 16 }),
  reserved: fc.integer({ min: 0, max: 3 }),
  min_unit: fc.constantFrom(1, 1, 1, 2),
  max_unit: fc.constantFrom(16, 16, 16, 3),
  step_size: fc.constantFrom(1, 1, 1, 2),
  allocation_ratio: fc.constantFrom(1, 1.5, 2),
});
// Each provider has VCPU and, usually, MEMORY_MB.
const providerArb = fc.record({ VCPU: inventoryArb, MEMORY_MB: fc.option(inventoryArb, { freq: 4 }) });

/** Mostly `usual`, sometimes one of `odd` (the values that make a claim fail early). */
const rare = <T>(usual: fc.Arbitrary<T>, ...odd: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 20, arbitrary: usual }, { weight: 1, arbitrary: fc.constantFrom(...odd) });

const writeArb = (consumer: string, fresh = false): fc.Arbitrary<WriteSpec> =>
  fc.record({
    consumer: fc.constant(consumer),
    allocations: fc.oneof(
      { weight: fresh ? 0 : 1, arbitrary: fc.constant([] as [string, [string, number][]][]) },
      {
        weight: 6,
        arbitrary: fc.uniqueArray(
          fc.tuple(
            rare(fc.constantFrom(...PROVIDERS), "PX"),
            fc.uniqueArray(fc.tuple(rare(fc.constantFrom(...CLASSES), "CUSTOM_NOPE"), fc.integer({ min: 1, max: 4 })), {
              minLength: 1,
              maxLength: 2,
              selector: (t) => t[0],
            }),
          ),
          { minLength: 1, maxLength: 2, selector: (t) => t[0] },
        ),
      },
    ),
    generation: rare(fc.constantFrom<WriteSpec["generation"]>("actual", "actual", "actual", "unchecked"), "null", "wrong"),
  });

/** Claims of one or two writes each, on distinct consumers (`fresh`: every write allocates). */
const claimsArb = (min: number, max: number, fresh = false): fc.Arbitrary<WriteSpec[][]> =>
  fc
    .shuffledSubarray(CONSUMERS, { minLength: min, maxLength: CONSUMERS.length })
    .chain((cs) => fc.tuple(...cs.map((c) => writeArb(c, fresh))))
    .chain((writes) =>
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: writes.length, maxLength: writes.length }).map((sizes) => {
        const out: WriteSpec[][] = [];
        for (let i = 0, k = 0; i < writes.length && out.length < max; k++) {
          out.push(writes.slice(i, i + at(sizes, k)));
          i += at(sizes, k);
        }
        return out;
      }),
    );

describeEachDb("claims sharing a transaction", (dialect) => {
  const api = useApi(dialect);
  const opts = { retries: 10 };
  /** The kinds of outcome (ok, or the error's class) the claims under test had, over a property's runs. */
  const kinds = new Set<string>();

  async function serially(w: World, claims: WriteSpec[][]): Promise<string[]> {
    const out: string[] = [];
    for (const c of claims)
      out.push(
        w.outcome(
          await claimAlone(w.store, opts, await w.writes(c)).then(
            () => undefined,
            (e) => e,
          ),
        ),
      );
    return out;
  }

  /** Claims that agree because they all succeed, or all fail alike, test little: both must occur. */
  function expectOkAndRefusals(): void {
    expect([...kinds]).toContain("ok");
    expect([...kinds].filter((k) => k !== "ok").length, [...kinds].join(", ")).toBeGreaterThanOrEqual(2);
    kinds.clear();
  }
  const note = (outcomes: string[]) => outcomes.forEach((o) => kinds.add(first(o.split(":"))));

  async function setup(providers: { VCPU: SeedInventory; MEMORY_MB: SeedInventory | null }[], before: WriteSpec[][]) {
    const a = new World(api().store);
    const b = new World(api().store);
    for (const w of [a, b]) {
      await w.seed(providers);
      await serially(w, before);
    }
    expect(await b.state()).toEqual(await a.state());
    return [a, b] as const;
  }

  it("ends as the same claims one after the other", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(providerArb, providerArb, providerArb), claimsArb(2, 4), claimsArb(2, 8), async (providers, before, claims) => {
        const [a, b] = await setup(providers, before);
        const alone = await serially(a, claims);
        const writes = await Promise.all(claims.map((c) => b.writes(c)));
        const together = (await claimTransaction(b.store).execute((trx) => claimTogether(b.store, trx, writes))).map((e) => b.outcome(e));
        expect(together).toEqual(alone);
        expect(await b.state()).toEqual(await a.state());
        note(alone);
      }),
      { numRuns: dialect === "sqlite" ? 60 : 25 },
    );
    expectOkAndRefusals();
  });

  // New consumers only: on PostgreSQL the queue judges these on one read and writes them with one
  // generation-checked statement, no transaction (claim-statement.ts).
  it("answers concurrent claims for new consumers as if they ran in arrival order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(providerArb, providerArb, providerArb), claimsArb(2, 4, true), claimsArb(1, 8, true), async (providers, before, claims) => {
        const [a, b] = await setup(providers, before);
        // The claims' consumers are new: drop those the setup created.
        const taken = new Set(before.flat().map((w) => w.consumer));
        const fresh = claims.map((c) => c.filter((w) => !taken.has(w.consumer))).filter((c) => c.length);
        const alone = await serially(a, fresh);
        const queue = new ClaimQueue(b.store, opts);
        const writes = await Promise.all(fresh.map((c) => b.writes(c)));
        const settled = await Promise.all(
          writes.map((w) =>
            queue.claim(w).then(
              () => undefined,
              (e) => e,
            ),
          ),
        );
        expect(settled.map((e) => b.outcome(e))).toEqual(alone);
        expect(await b.state()).toEqual(await a.state());
        note(alone);
      }),
      { numRuns: dialect === "sqlite" ? 40 : 20 },
    );
    expectOkAndRefusals();
  });

  // NOTE: one transaction at a time here: a claim that replaces a consumer's allocations frees
  // capacity on providers it does not name, so side-by-side transactions (on disjoint named
  // providers) may see it in either order; new consumers (above) have nothing to free.
  it("answers concurrent claims through the queue as if they ran in arrival order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(providerArb, providerArb, providerArb), claimsArb(2, 4), claimsArb(3, 8), async (providers, before, claims) => {
        const [a, b] = await setup(providers, before);
        const alone = await serially(a, claims);
        const queue = new ClaimQueue(b.store, { ...opts, concurrency: 1 });
        const writes = await Promise.all(claims.map((c) => b.writes(c)));
        const settled = await Promise.all(
          writes.map((w) =>
            queue.claim(w).then(
              () => undefined,
              (e) => e,
            ),
          ),
        );
        expect(settled.map((e) => b.outcome(e))).toEqual(alone);
        expect(await b.state()).toEqual(await a.state());
        note(alone);
      }),
      { numRuns: dialect === "sqlite" ? 40 : 15 },
    );
    expectOkAndRefusals();
  });
});

/** Another writer's transaction: `work` done, then held open until `commit()` (which waits for the commit). */
async function holding(store: Store, work: (trx: Tx) => Promise<void>): Promise<{ commit(): Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let ready!: () => void;
  const done = new Promise<void>((r) => (ready = r));
  const tx = store.db.transaction().execute(async (trx) => {
    await work(trx);
    ready();
    await held;
  });
  await Promise.race([done, tx.then(() => Promise.reject(new Error("the held transaction ended early")))]);
  return {
    commit: () => {
      release();
      return tx;
    },
  };
}

// A consumer created by another transaction between the queue's lookup and its write: the batch
// finds it (after waiting for that transaction), writes nothing, and its claims run again alone.
// The claim behind it on the same provider goes through.
describeEachDb("a claim that loses a consumer race", (dialect) => {
  const api = useApi(dialect);

  it.runIf(dialect !== "sqlite")("falls back to claiming alone", async () => {
    const store = api().store;
    const w = new World(store);
    await w.seed([{ VCPU: { total: 8 }, MEMORY_MB: null }]);
    // Creates the project and user the consumers will name.
    expect(
      w.outcome(
        await claimAlone(store, { retries: 3 }, await w.writes([{ consumer: "C9", allocations: [["P0", [["VCPU", 1]]]], generation: "null" }])).then(
          () => undefined,
          (e) => e,
        ),
      ),
    ).toBe("ok");
    const ids = await store.db.selectFrom("consumers").select(["project_id", "user_id"]).where("uuid", "=", w.uuids.get("C9")!).executeTakeFirstOrThrow();
    const fallbacks: boolean[] = [];
    const queue = new ClaimQueue(store, { retries: 3, onFallback: (_n, _e, expected) => fallbacks.push(expected) });
    const x = await w.writes([{ consumer: "C0", allocations: [["P0", [["VCPU", 1]]]], generation: "null" }]);
    const y = await w.writes([{ consumer: "C1", allocations: [["P0", [["VCPU", 1]]]], generation: "null" }]);
    const blocker = await holding(store, async (trx) => {
      await trx
        .insertInto("consumers")
        .values({ uuid: w.uuids.get("C0")!, project_id: ids.project_id, user_id: ids.user_id, generation: 0, created_at: null })
        .execute();
    });
    const settled = Promise.all(
      [x, y].map((c) =>
        queue.claim(c).then(
          () => undefined,
          (e) => e,
        ),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    await blocker.commit();
    const [ox, oy] = await settled;
    // The two claims went together and the batch lost (PostgreSQL: the checked write's insert;
    // MySQL: the checked write script's); alone, the claim sees the consumer and its generation.
    expect(w.outcome(ox)).toMatch(/^ConsumerGenerationConflict: consumer generation conflict - expected 0 but got None/);
    expect(fallbacks).toEqual([true]);
    expect(w.outcome(oy)).toBe("ok");
    expect((await w.state()).allocations).toEqual(["C1 P0 VCPU 1", "C9 P0 VCPU 1"]);
  });
});

/** A world whose P0 has `total` VCPU, one of them held by `consumer`. */
async function worldWithOneClaim(store: Store, total: number, consumer: string): Promise<World> {
  const w = new World(store);
  await w.seed([{ VCPU: { total }, MEMORY_MB: null }]);
  const first = await w.writes([{ consumer, allocations: [["P0", [["VCPU", 1]]]], generation: "null" }]);
  expect(
    w.outcome(
      await claimAlone(store, { retries: 3 }, first).then(
        () => undefined,
        (e) => e,
      ),
    ),
  ).toBe("ok");
  return w;
}

/**
 * Until a statement on this database waits for a row lock, or (MariaDB) the claim's script runs
 * (60 s at most). Fails otherwise: the claim
 * would not have read before the other writer committed, and the test would check an ordinary
 * claim, not a stale read. Fails at once, with what the claim ended with, should the claim end
 * before it waited; a failure names what the database's sessions and the pools were doing.
 * NOTE: generous, because with the whole suite running (20,000 providers being seeded into another
 * MariaDB database meanwhile) the claim's read took more than 10 s to reach the row lock.
 */
async function untilWaitingForLock(store: Store, claim: Promise<unknown>): Promise<void> {
  let ended: string | undefined;
  claim.then(
    (v) => (ended = `resolved ${JSON.stringify(v)}`),
    (e) => (ended = `rejected ${String(e)}`),
  );
  const waiting =
    store.caps.dialect === "postgres"
      ? sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`
      : // NOTE: in full-suite runs the claim's script waited out innodb_lock_wait_timeout (50 s) on
        // the row lock while innodb_trx never showed it as LOCK WAIT here; the script running at all
        // (its first statements lock the rows) is as good a sign that the claim has read.
        sql<{ n: number }>`select (select count(*) from information_schema.innodb_trx t join information_schema.processlist p on p.id = t.trx_mysql_thread_id
            where t.trx_state = 'LOCK WAIT' and p.db = database())
          + (select count(*) from information_schema.processlist where db = database() and id <> connection_id() and command = 'Query'
            and info like concat('%FOR ', 'UPDATE%')) as n`;
  for (let i = 0; i < 3000 && ended === undefined; i++) {
    const { rows } = await waiting.execute(store.db);
    if (Number(rows[0]?.n) > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  const sessions =
    store.caps.dialect === "postgres"
      ? sql`select pid, state, wait_event_type, wait_event, left(query, 120) as query from pg_stat_activity where datname = current_database()`
      : sql`select p.id, p.command, p.time, p.state, left(p.info, 120) as query, t.trx_state from information_schema.processlist p
              left join information_schema.innodb_trx t on t.trx_mysql_thread_id = p.id where p.db = database()`;
  const seen = JSON.stringify({ sessions: (await sessions.execute(store.db)).rows, pools: store.poolStats?.() });
  throw new Error(
    ended === undefined
      ? `no statement waited for a lock within 60 s: the claim never met the other writer's row lock; ${seen}`
      : `the claim ended before it waited for the other writer's row lock (${ended}); ${seen}`,
  );
}

describeEachDb("a claim with a checked write whose provider moves between its read and its write", (dialect) => {
  const api = useApi(dialect);

  it.runIf(dialect !== "sqlite").each([1, 2])(
    "with %i attempt(s): writes nothing on the stale read, then judges afresh",
    async (attempts) => {
      const store = api().store;
      const w = await worldWithOneClaim(store, 2, "C9");
      const ids = await store.db.selectFrom("consumers").select(["project_id", "user_id"]).where("uuid", "=", w.uuids.get("C9")!).executeTakeFirstOrThrow();
      const p0 = await store.db.selectFrom("resource_providers").select("id").where("uuid", "=", w.uuids.get("P0")!).executeTakeFirstOrThrow();
      const vcpu = await store.db.selectFrom("resource_classes").select("id").where("name", "=", "VCPU").executeTakeFirstOrThrow();
      const claim = await w.writes([{ consumer: "C0", allocations: [["P0", [["VCPU", 1]]]], generation: "null" }]);

      // Another writer takes the last VCPU and holds the provider row until told to commit.
      const blocker = await holding(store, async (trx) => {
        await trx
          .updateTable("resource_providers")
          .set((eb) => ({ generation: eb("generation", "+", 1) }))
          .where("id", "=", p0.id)
          .execute();
        await trx
          .insertInto("consumers")
          .values({ uuid: w.uuids.get("C8")!, project_id: ids.project_id, user_id: ids.user_id, generation: 1, created_at: null })
          .execute();
        await trx
          .insertInto("allocations")
          .values({ resource_provider_id: p0.id, consumer_id: w.uuids.get("C8")!, resource_class_id: vcpu.id, used: 1, created_at: null })
          .execute();
      });
      // The claim reads one VCPU free (the other writer has not committed), then its write waits for the row.
      const settled = claimWithCheckedWrite(store, [claim], attempts);
      // NOTE: should the claim never wait, the blocker still ends, so no later test waits on its locks.
      await untilWaitingForLock(store, settled).catch(async (e) => {
        await blocker.commit();
        await settled.catch(() => undefined);
        throw e;
      });
      await blocker.commit();
      const outcomes = await settled;
      if (attempts === 1) expect(outcomes).toBeUndefined();
      else expect(outcomes?.map((o) => w.outcome(o))).toEqual([expect.stringMatching(/^CapacityExceeded: .*'VCPU' on resource provider 'P0'/)]);
      // Nothing of the claim was written; the other writer's bump is the only one.
      expect(await w.state()).toEqual({ allocations: ["C8 P0 VCPU 1", "C9 P0 VCPU 1"], consumers: ["C8@1", "C9@1"], providers: ["P0@2"] });
    },
    150_000,
  );
});

describeEachDb("a claim with a checked write whose consumer moves between its read and its write", (dialect) => {
  const api = useApi(dialect);

  it.runIf(dialect !== "sqlite").each([1, 2])(
    "with %i attempt(s): writes nothing on the stale read, then replaces afresh",
    async (attempts) => {
      const store = api().store;
      const w = await worldWithOneClaim(store, 4, "C0");
      const claim = await w.writes([{ consumer: "C0", allocations: [["P0", [["VCPU", 2]]]], generation: "unchecked" }]);

      // Another writer bumps the consumer and holds its row until told to commit.
      const blocker = await holding(store, async (trx) => {
        await trx
          .updateTable("consumers")
          .set((eb) => ({ generation: eb("generation", "+", 1) }))
          .where("uuid", "=", w.uuids.get("C0")!)
          .execute();
      });
      const settled = claimWithCheckedWrite(store, [claim], attempts);
      // NOTE: should the claim never wait, the blocker still ends, so no later test waits on its locks.
      await untilWaitingForLock(store, settled).catch(async (e) => {
        await blocker.commit();
        await settled.catch(() => undefined);
        throw e;
      });
      await blocker.commit();
      const outcomes = await settled;
      if (attempts === 1) {
        expect(outcomes).toBeUndefined();
        expect(await w.state()).toEqual({ allocations: ["C0 P0 VCPU 1"], consumers: ["C0@2"], providers: ["P0@1"] });
      } else {
        expect(outcomes?.map((o) => w.outcome(o))).toEqual(["ok"]);
        expect(await w.state()).toEqual({ allocations: ["C0 P0 VCPU 2"], consumers: ["C0@3"], providers: ["P0@2"] });
      }
    },
    150_000,
  );
});

// MySQL: the queue judges new consumers' claims on what its last checked write left on their
// providers (claim-memo.ts), without reading; the script's checks under the locks decide whether
// that still holds, and a refusal is only ever given on a read.
describeEachDb("claims judged on what the queue last wrote", (dialect) => {
  const api = useApi(dialect);
  const claim = async (q: ClaimQueue, w: World, consumer: string, vcpu: number) =>
    w.outcome(
      await q.claim(await w.writes([{ consumer, allocations: [["P0", [["VCPU", vcpu]]]], generation: "null" }])).then(
        () => undefined,
        (e) => e,
      ),
    );

  it.runIf(dialect === "mysql")("are judged again on the provider as it is when another writer moved it since", async () => {
    const store = api().store;
    const w = new World(store);
    await w.seed([{ VCPU: { total: 4 }, MEMORY_MB: null }]);
    const queue = new ClaimQueue(store, { retries: 3 });
    await ensureIdentities(store, store.db, { projects: ["proj"], users: ["user"], types: [] }, emptyLookup());
    expect(await claim(queue, w, "C0", 1)).toBe("ok");
    // Another writer (the transactional path, as another process or the reference would) takes two.
    const other = await w.writes([{ consumer: "C1", allocations: [["P0", [["VCPU", 2]]]], generation: "null" }]);
    expect(
      w.outcome(
        await claimAlone(store, { retries: 3 }, other).then(
          () => undefined,
          (e) => e,
        ),
      ),
    ).toBe("ok");
    // Remembered: 1 used of 4, so 2 more would fit; really 3 are used.
    expect(await claim(queue, w, "C2", 2)).toMatch(/^CapacityExceeded: .*'VCPU' on resource provider 'P0'/);
    expect(await claim(queue, w, "C3", 1)).toBe("ok");
    expect(await w.state()).toEqual({
      allocations: ["C0 P0 VCPU 1", "C1 P0 VCPU 2", "C3 P0 VCPU 1"],
      consumers: ["C0@1", "C1@1", "C3@1"],
      providers: ["P0@3"],
    });
  });

  it.runIf(dialect === "mysql")("are refused only on a read: usage lowered without a generation bump is seen", async () => {
    const store = api().store;
    const w = new World(store);
    await w.seed([{ VCPU: { total: 2 }, MEMORY_MB: null }]);
    const queue = new ClaimQueue(store, { retries: 3 });
    await ensureIdentities(store, store.db, { projects: ["proj"], users: ["user"], types: [] }, emptyLookup());
    expect(await claim(queue, w, "C0", 2)).toBe("ok");
    // NOTE: as in the reference, DELETE /allocations/{consumer} bumps no generation.
    await inTransaction(store, (trx) => deleteAllocationsOfConsumer(trx, w.uuids.get("C0")!));
    expect(await claim(queue, w, "C1", 2)).toBe("ok");
    expect(await w.state()).toEqual({ allocations: ["C1 P0 VCPU 2"], consumers: ["C1@1"], providers: ["P0@2"] });
  });

  // A new consumer's claim judged on memory, after another writer (the transactional path, as
  // another process or the reference) moved the provider: written at the first attempt when the
  // inventory is unchanged and there is still room; else nothing is written.
  const judgedOnMemory = async (total: number, otherTakes: number, change?: (store: Store, w: World) => Promise<void>, allocation_ratio = 1) => {
    const store = api().store;
    const w = new World(store);
    await w.seed([{ VCPU: { total, allocation_ratio }, MEMORY_MB: null }]);
    await ensureIdentities(store, store.db, { projects: ["proj"], users: ["user"], types: [] }, emptyLookup());
    const memo = new ClaimMemo();
    const mine = async (consumer: string) => [await w.writes([{ consumer, allocations: [["P0", [["VCPU", 1]]]], generation: "null" }])];
    expect(await claimWithCheckedWrite(store, await mine("C0"), 1, memo)).toEqual([undefined]);
    const other = await w.writes([{ consumer: "C1", allocations: [["P0", [["VCPU", otherTakes]]]], generation: "null" }]);
    expect(
      w.outcome(
        await claimAlone(store, { retries: 3 }, other).then(
          () => undefined,
          (e) => e,
        ),
      ),
    ).toBe("ok");
    await change?.(store, w);
    return { w, outcome: await claimWithCheckedWrite(store, await mine("C2"), 1, memo) };
  };

  it.runIf(dialect === "mysql")("are written at once when another writer moved the provider but left room", async () => {
    const { w, outcome } = await judgedOnMemory(4, 2);
    expect(outcome).toEqual([undefined]);
    expect(await w.state()).toEqual({
      allocations: ["C0 P0 VCPU 1", "C1 P0 VCPU 2", "C2 P0 VCPU 1"],
      consumers: ["C0@1", "C1@1", "C2@1"],
      providers: ["P0@3"],
    });
  });

  it.runIf(dialect === "mysql").each([1.1, 1.5, 3.3333, 16])("are written at once with an allocation ratio of %d", async (ratio) => {
    // 3 of 4 * ratio (at least 4.4) used after the other writer: one more fits.
    const { w, outcome } = await judgedOnMemory(4, 2, undefined, ratio);
    expect(outcome).toEqual([undefined]);
    expect((await w.state()).allocations).toEqual(["C0 P0 VCPU 1", "C1 P0 VCPU 2", "C2 P0 VCPU 1"]);
  });

  it.runIf(dialect === "mysql")("write nothing when another writer left no room", async () => {
    const { w, outcome } = await judgedOnMemory(3, 2);
    expect(outcome).toBeUndefined();
    expect(await w.state()).toEqual({ allocations: ["C0 P0 VCPU 1", "C1 P0 VCPU 2"], consumers: ["C0@1", "C1@1"], providers: ["P0@2"] });
  });

  it.runIf(dialect === "mysql")("write nothing when the inventory changed, even with room left", async () => {
    const { w, outcome } = await judgedOnMemory(4, 1, async (store, w) => {
      await inTransaction(store, async (trx) => {
        const p0 = await trx.selectFrom("resource_providers").selectAll().where("uuid", "=", w.uuids.get("P0")!).executeTakeFirstOrThrow();
        await updateInventory(trx, { ...p0, generation: p0.generation ?? 0 }, { resourceClass: "VCPU", total: 5, ...DEFAULTS });
      });
    });
    expect(outcome).toBeUndefined();
    expect((await w.state()).allocations).toEqual(["C0 P0 VCPU 1", "C1 P0 VCPU 1"]);
  });

  // PostgreSQL: a new consumer's claim read and judged, then another writer (the transactional path,
  // as another process or the reference) moves the provider before the checked write: written by the
  // lock-first script when the inventory is unchanged and there is still room; else nothing.
  const movedBeforeWrite = async (total: number, otherTakes: number, change?: (store: Store, w: World) => Promise<void>, allocation_ratio = 1) => {
    const store = api().store;
    const w = new World(store);
    await w.seed([{ VCPU: { total, allocation_ratio }, MEMORY_MB: null }]);
    await ensureIdentities(store, store.db, { projects: ["proj"], users: ["user"], types: [] }, emptyLookup());
    const writes = await w.writes([{ consumer: "C2", allocations: [["P0", [["VCPU", 1]]]], generation: "null" }]);
    const { plan, inv } = await read(store, writes);
    const accepted = judgeInOrder([{ i: 0, writes, items: claimItems(plan, writes) }], inv, plan.lookup.allocations, [undefined]);
    expect(accepted).toHaveLength(1);
    const other = await w.writes([{ consumer: "C1", allocations: [["P0", [["VCPU", otherTakes]]]], generation: "null" }]);
    expect(
      w.outcome(
        await claimAlone(store, { retries: 3 }, other).then(
          () => undefined,
          (e) => e,
        ),
      ),
    ).toBe("ok");
    await change?.(store, w);
    return { w, written: await writeChecked(store, plan.lookup, accepted, inv) };
  };

  it.runIf(dialect === "postgres").each([1, 1.1, 1.5, 3.3333, 16])(
    "are written at once when another writer moved the provider but left room (allocation ratio %d)",
    async (ratio) => {
      const { w, written } = await movedBeforeWrite(4, 2, undefined, ratio);
      expect(written).toBe(true);
      expect(await w.state()).toEqual({ allocations: ["C1 P0 VCPU 2", "C2 P0 VCPU 1"], consumers: ["C1@1", "C2@1"], providers: ["P0@2"] });
    },
  );

  it.runIf(dialect === "postgres")("write nothing when another writer moved the provider and left no room", async () => {
    const { w, written } = await movedBeforeWrite(2, 2);
    expect(written).toBe(false);
    expect(await w.state()).toEqual({ allocations: ["C1 P0 VCPU 2"], consumers: ["C1@1"], providers: ["P0@1"] });
  });

  it.runIf(dialect === "postgres")("write nothing when the inventory changed since the read, even with room left", async () => {
    const { w, written } = await movedBeforeWrite(4, 1, async (store, w) => {
      await inTransaction(store, async (trx) => {
        const p0 = await trx.selectFrom("resource_providers").selectAll().where("uuid", "=", w.uuids.get("P0")!).executeTakeFirstOrThrow();
        await updateInventory(trx, { ...p0, generation: p0.generation ?? 0 }, { resourceClass: "VCPU", total: 5, ...DEFAULTS });
      });
    });
    expect(written).toBe(false);
    expect((await w.state()).allocations).toEqual(["C1 P0 VCPU 1"]);
  });
});
