// Property: many concurrent writers on one provider and on several, on every database, never
// over-allocate, keep usage equal to the sum of allocations, bump each provider's generation once
// per successful claim, and lose no write.
import { expect, it } from "vitest";
import fc from "fast-check";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid } from "../helpers/api.js";
import { seedProvider } from "../helpers/seed.js";
import { checkInvariants, INVENTORY, oneOpPerConsumer, opArb, runBatch, type ConsumerState, type Op, type Sent } from "./allocation-invariants.js";
import { at } from "@berth/client/common";

const CONSUMERS = 24;

const rename = (a: Record<string, unknown>, providers: string[]) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [at(providers, Number(k.slice(2))), v])) as any;

describeEachDb("concurrent claims", (dialect) => {
  const api = useApi(dialect);
  /** Statuses seen over a property's runs: it must have seen claims both fit and not fit. */
  const seen = new Set<number>();
  const send = async (s: Sent) => {
    const r = await api().request(s.method, s.path, { body: s.body, version: "1.28" });
    seen.add(r.status);
    return { status: r.status, detail: r.body?.errors?.[0]?.detail };
  };
  const get = async (path: string) => (await api().get(path, { version: "1.28" })).body;

  async function property(providerCount: number, runs: number) {
    const names = Array.from({ length: providerCount }, (_, i) => `rp${i}`);
    seen.clear();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb(names, CONSUMERS), { minLength: 8, maxLength: 40 }), { minLength: 2, maxLength: 4 }), async (batches) => {
        // Fresh providers and consumers for every run (and every shrink), named rp0.. in the ops.
        const providers = names.map(() => uuid());
        const real = (op: Op): Op => (op.kind === "put" ? { ...op, allocations: rename(op.allocations, providers) } : op);
        for (const rp of providers) await seedProvider(api().store, rp, INVENTORY);
        const uuids = Array.from({ length: CONSUMERS }, () => uuid());
        const model = new Map<number, ConsumerState>();
        const generations = new Map(providers.map((p) => [p, 0]));
        for (const batch of batches) {
          await runBatch(oneOpPerConsumer(batch).map(real), uuids, model, generations, send);
          await checkInvariants(api().store.db, providers, uuids, model, generations, get);
        }
      }),
      { numRuns: runs },
    );
    // Over capacity is the case under test: some claims must have been refused, some written.
    expect([...seen].sort()).toEqual(expect.arrayContaining([204, 409]));
  }

  it("holds with every writer on one provider", () => property(1, 8));
  it("holds with writers spread over several providers", () => property(4, 8));
});
