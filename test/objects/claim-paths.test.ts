// The claim contract: every way Berth writes claims gives the same answers and leaves the same end
// state, on every database where that way exists. The scenarios (a new consumer, an existing one at
// its generation, over capacity, min/max/step, several providers and what does not exist, consumer
// generation conflicts, removing allocations) run through each write path on a fresh world, as one
// batch of claims on distinct consumers taken in arrival order; answers and end state are written
// out by hand, not compared with another path.
import { expect, it } from "vitest";
import type { Dialect } from "../../src/db/capabilities.js";
import type { Store } from "../../src/db/open.js";
import type { ConsumerWrite } from "../../src/objects/allocation.js";
import { emptyLookup, ensureIdentities } from "../../src/objects/consumer.js";
import { claimAlone, claimInSharedTransaction, claimTogether, ClaimQueue } from "../../src/objects/claim-queue.js";
import { claimWithCheckedWrite, read } from "../../src/objects/claim-statement.js";
import { ClaimMemo } from "../../src/objects/claim-memo.js";
import { claimTransaction } from "../../src/objects/claim-write.js";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { World, type WriteSpec } from "../helpers/claims.js";
import type { SeedInventory } from "../helpers/seed.js";

const OPTS = { retries: 3 };

interface WritePath {
  name: string;
  /** The databases it exists on. */
  on: readonly Dialect[];
  /** False: it answers undefined for removals, and the claim queue runs them another way. */
  removals: boolean;
  run(store: Store, claims: ConsumerWrite[][]): Promise<unknown[] | undefined>;
}

const settle = (p: Promise<void>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

const PATHS: WritePath[] = [
  {
    // NOTE: on PostgreSQL the capacity read rides in the statement that inserts and bumps (a CTE).
    name: "one transaction per claim",
    on: ["sqlite", "postgres", "mysql"],
    removals: true,
    run: async (store, claims) => {
      const out: unknown[] = [];
      for (const c of claims) out.push(await settle(claimAlone(store, OPTS, c)));
      return out;
    },
  },
  {
    name: "batched in one transaction",
    on: ["sqlite", "postgres", "mysql"],
    removals: true,
    run: (store, claims) => claimTransaction(store).execute((trx) => claimTogether(store, trx, claims)),
  },
  {
    name: "batched, optimistic first (PostgreSQL: one CTE writes and reads capacity)",
    on: ["postgres"],
    removals: true,
    run: (store, claims) => claimInSharedTransaction(store, claims),
  },
  {
    name: "read, judge, one checked write (claim-statement.ts: PostgreSQL a statement, MySQL a script)",
    on: ["postgres", "mysql"],
    removals: false,
    run: (store, claims) => claimWithCheckedWrite(store, claims, OPTS.retries),
  },
  {
    // NOTE: the memo is primed with a read of the claims' providers, as a write before would leave it.
    name: "read, judge, one checked write, judged on what this process wrote before (MySQL, claim-memo.ts)",
    on: ["mysql"],
    removals: false,
    run: async (store, claims) => {
      const memo = new ClaimMemo();
      const { plan, inv } = await read(store, claims.flat());
      memo.learn(plan.lookup, inv);
      return claimWithCheckedWrite(store, claims, OPTS.retries, memo);
    },
  },
  {
    name: "the claim queue, all claims at once",
    on: ["sqlite", "postgres", "mysql"],
    removals: true,
    run: (store, claims) => {
      const queue = new ClaimQueue(store, OPTS);
      return Promise.all(claims.map((c) => settle(queue.claim(c))));
    },
  },
];

type Inventories = { VCPU: SeedInventory; MEMORY_MB: SeedInventory | null };

interface Scenario {
  name: string;
  providers: Inventories[];
  /** Claims run one by one before the batch. */
  before: WriteSpec[][];
  /** The batch, in arrival order. */
  claims: WriteSpec[][];
  answers: string[];
  state: { allocations: string[]; consumers: string[]; providers: string[] };
}

const vcpu = (total: number, more: Partial<SeedInventory> = {}): Inventories => ({ VCPU: { total, ...more }, MEMORY_MB: null });
const both = (cpus: number, mb: number, more: Partial<SeedInventory> = {}): Inventories => ({ VCPU: { total: cpus }, MEMORY_MB: { total: mb, ...more } });
/** One write: consumer, generation, provider -> class -> amount. */
const w = (consumer: string, generation: WriteSpec["generation"], allocations: Record<string, Record<string, number>>): WriteSpec => ({
  consumer,
  generation,
  allocations: Object.entries(allocations).map(([p, res]) => [p, Object.entries(res)]),
});
const exceeds = (rc: string, rp: string) =>
  `CapacityExceeded: Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would exceed the capacity.`;
const violates = (rc: string, rp: string) =>
  `ConstraintsViolated: Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would violate inventory constraints.`;

const SCENARIOS: Scenario[] = [
  {
    name: "a new consumer",
    providers: [both(8, 1024)],
    before: [],
    claims: [[w("C0", "null", { P0: { VCPU: 2, MEMORY_MB: 256 } })]],
    answers: ["ok"],
    state: { allocations: ["C0 P0 MEMORY_MB 256", "C0 P0 VCPU 2"], consumers: ["C0@1"], providers: ["P0@1"] },
  },
  {
    name: "an existing consumer at its generation, beside a new one",
    providers: [vcpu(8), both(8, 1024)],
    before: [[w("C0", "null", { P0: { VCPU: 1 } })]],
    claims: [[w("C0", 1, { P0: { VCPU: 3 }, P1: { MEMORY_MB: 128 } })], [w("C1", "unchecked", { P1: { VCPU: 2 } })]],
    answers: ["ok", "ok"],
    state: {
      allocations: ["C0 P0 VCPU 3", "C0 P1 MEMORY_MB 128", "C1 P1 VCPU 2"],
      consumers: ["C0@2", "C1@1"],
      providers: ["P0@2", "P1@2"],
    },
  },
  {
    name: "over capacity: (total - reserved) * allocation_ratio, counting the claims before",
    providers: [vcpu(4, { reserved: 1 }), both(1, 100, { allocation_ratio: 1.5 })],
    before: [[w("C9", "null", { P0: { VCPU: 1 } })]],
    claims: [
      [w("C0", "null", { P0: { VCPU: 1 } })],
      [w("C1", "null", { P0: { VCPU: 2 } })],
      [w("C2", "null", { P0: { VCPU: 1 } })],
      [w("C3", "null", { P1: { MEMORY_MB: 150 } })],
      [w("C4", "null", { P1: { MEMORY_MB: 1 } })],
    ],
    answers: ["ok", exceeds("VCPU", "P0"), "ok", "ok", exceeds("MEMORY_MB", "P1")],
    state: {
      allocations: ["C0 P0 VCPU 1", "C2 P0 VCPU 1", "C3 P1 MEMORY_MB 150", "C9 P0 VCPU 1"],
      consumers: ["C0@1", "C2@1", "C3@1", "C9@1"],
      providers: ["P0@3", "P1@1"],
    },
  },
  {
    name: "min_unit, max_unit and step_size",
    providers: [vcpu(16, { min_unit: 2, max_unit: 6, step_size: 2 })],
    before: [],
    claims: [
      [w("C0", "null", { P0: { VCPU: 1 } })],
      [w("C1", "null", { P0: { VCPU: 3 } })],
      [w("C2", "null", { P0: { VCPU: 8 } })],
      [w("C3", "null", { P0: { VCPU: 4 } })],
      [w("C4", "null", { P0: { VCPU: 6 } })],
    ],
    answers: [violates("VCPU", "P0"), violates("VCPU", "P0"), violates("VCPU", "P0"), "ok", "ok"],
    state: { allocations: ["C3 P0 VCPU 4", "C4 P0 VCPU 6"], consumers: ["C3@1", "C4@1"], providers: ["P0@2"] },
  },
  {
    name: "several providers, and providers, classes and inventories that do not exist",
    providers: [vcpu(8), both(8, 512), vcpu(8)],
    before: [],
    claims: [
      [w("C0", "null", { P0: { VCPU: 1 }, P1: { VCPU: 1, MEMORY_MB: 64 } })],
      [w("C1", "null", { P1: { VCPU: 2 }, P2: { VCPU: 2 } })],
      [w("C2", "null", { PX: { VCPU: 1 } })],
      [w("C3", "null", { P0: { CUSTOM_NOPE: 1 } })],
      [w("C4", "null", { P2: { MEMORY_MB: 1 } })],
      [w("C5", "null", { P0: { VCPU: 1 } }), w("C6", "null", { P2: { VCPU: 1 } })],
    ],
    answers: [
      "ok",
      "ok",
      "AllocationProviderNotFound: Allocation for resource provider 'PX' that does not exist.",
      "ResourceClassNotFound: No such resource class CUSTOM_NOPE.",
      "InvalidInventory: Inventory for 'MEMORY_MB' on resource provider 'P2' invalid.",
      "ok",
    ],
    state: {
      allocations: ["C0 P0 VCPU 1", "C0 P1 MEMORY_MB 64", "C0 P1 VCPU 1", "C1 P1 VCPU 2", "C1 P2 VCPU 2", "C5 P0 VCPU 1", "C6 P2 VCPU 1"],
      consumers: ["C0@1", "C1@1", "C5@1", "C6@1"],
      providers: ["P0@2", "P1@2", "P2@2"],
    },
  },
  {
    name: "consumer generation conflicts",
    providers: [vcpu(8)],
    before: [[w("C0", "null", { P0: { VCPU: 1 } })], [w("C2", "null", { P0: { VCPU: 1 } })]],
    claims: [
      [w("C0", 0, { P0: { VCPU: 2 } })],
      [w("C1", 5, { P0: { VCPU: 2 } })],
      [w("C2", "null", { P0: { VCPU: 2 } })],
      [w("C3", "null", { P0: { VCPU: 2 } })],
    ],
    answers: [
      "ConsumerGenerationConflict: consumer generation conflict - expected 1 but got 0",
      "ConsumerGenerationConflict: consumer generation conflict - expected null but got 5",
      "ConsumerGenerationConflict: consumer generation conflict - expected 1 but got None",
      "ok",
    ],
    state: { allocations: ["C0 P0 VCPU 1", "C2 P0 VCPU 1", "C3 P0 VCPU 2"], consumers: ["C0@1", "C2@1", "C3@1"], providers: ["P0@3"] },
  },
  {
    name: "removing a consumer's allocations, beside a consumer that moves",
    providers: [vcpu(8), vcpu(8)],
    before: [[w("C0", "null", { P0: { VCPU: 2 }, P1: { VCPU: 1 } })], [w("C1", "null", { P0: { VCPU: 1 } })]],
    claims: [[w("C0", 1, {})], [w("C1", 1, { P1: { VCPU: 3 } })]],
    answers: ["ok", "ok"],
    state: { allocations: ["C1 P1 VCPU 3"], consumers: ["C1@2"], providers: ["P0@3", "P1@3"] },
  },
];

const removes = (s: Scenario) => s.claims.some((c) => c.some((x) => x.allocations.length === 0));

describeEachDb("the claim contract", (dialect) => {
  const api = useApi(dialect);

  async function world(s: Scenario): Promise<World> {
    const store = api().store;
    // NOTE: the project and user exist, as they do for all but a deployment's first claims (the
    // statement path leaves creating them to the transactional ones).
    await ensureIdentities(store, store.db, { projects: ["proj"], users: ["user"], types: [] }, emptyLookup());
    const world = new World(store);
    await world.seed(s.providers);
    for (const c of s.before) expect(world.outcome(await settle(claimAlone(store, OPTS, await world.writes(c))))).toBe("ok");
    return world;
  }

  for (const path of PATHS.filter((p) => p.on.includes(dialect)))
    for (const s of SCENARIOS)
      it(`${path.name}: ${s.name}`, async () => {
        const wd = await world(s);
        const before = await wd.state();
        const claims = await Promise.all(s.claims.map((c) => wd.writes(c)));
        const outcomes = await path.run(wd.store, claims);
        if (!path.removals && removes(s)) {
          // Declined: nothing written, for the queue to run another way.
          expect(outcomes).toBeUndefined();
          expect(await wd.state()).toEqual(before);
          return;
        }
        expect(outcomes?.map((o) => wd.outcome(o))).toEqual(s.answers);
        const state = await wd.state();
        expect(state).toEqual(s.state);
      });
});
