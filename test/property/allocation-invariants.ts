// A model of consumers and the checks every concurrent-claim property ends with: never over
// capacity, usage equals the sum of allocations, generations grow by exactly one per successful
// claim on the provider, and every successful write is what GET shows (no lost writes).
import { expect } from "vitest";
import fc from "fast-check";
import type { Kysely } from "kysely";
import type { DB } from "../../src/db/schema.js";
import { at } from "@berth/client/common";

export type Resources = Record<string, number>;
export type Allocs = Record<string, Resources>;
export interface ConsumerState {
  generation: number;
  allocations: Allocs;
}

export type Op = { kind: "put"; consumer: number; allocations: Allocs } | { kind: "delete"; consumer: number } | { kind: "move"; consumer: number; to: number };

export const INVENTORY = { VCPU: { total: 16 }, MEMORY_MB: { total: 1000, reserved: 100, allocation_ratio: 1.5, step_size: 50 } };

/** Claims on 1..3 of the providers, with amounts that often do not fit. */
export function opArb(providers: string[], consumers: number): fc.Arbitrary<Op> {
  const res = fc
    .record({ VCPU: fc.integer({ min: 1, max: 6 }), MEMORY_MB: fc.integer({ min: 1, max: 12 }).map((n) => n * 50) }, { requiredKeys: [] })
    .filter((r) => Object.keys(r).length > 0);
  const allocs = fc
    .uniqueArray(fc.constantFrom(...providers), { minLength: 1, maxLength: Math.min(3, providers.length) })
    .chain((rps) => fc.tuple(...rps.map(() => res)).map((rs) => Object.fromEntries(rps.map((rp, i) => [rp, at(rs, i)])) as Allocs));
  const c = fc.integer({ min: 0, max: consumers - 1 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("put" as const), consumer: c, allocations: allocs }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("put" as const), consumer: c, allocations: fc.constant({}) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), consumer: c }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("move" as const), consumer: c, to: c }) },
  );
}

/** Keeps one op per consumer per batch, so each consumer's outcome is determined. */
export function oneOpPerConsumer(ops: Op[]): Op[] {
  const seen = new Set<number>();
  const out: Op[] = [];
  for (const op of ops) {
    const ids = op.kind === "move" ? [op.consumer, op.to] : [op.consumer];
    if (ids.some((i) => seen.has(i)) || (op.kind === "move" && op.consumer === op.to)) continue;
    ids.forEach((i) => seen.add(i));
    out.push(op);
  }
  return out;
}

export interface Sent {
  method: string;
  path: string;
  body?: unknown;
}
export interface Outcome {
  status: number;
  detail?: string;
}

const wire = (a: Allocs) => Object.fromEntries(Object.entries(a).map(([rp, resources]) => [rp, { resources }]));

/** The request for an op given the model, and how the model changes when it succeeds. */
export function plan(op: Op, uuids: string[], model: Map<number, ConsumerState>) {
  const who = { project_id: "prop", user_id: "prop" };
  const cur = model.get(op.consumer);
  const gen = cur ? cur.generation : null;
  if (op.kind === "delete")
    return {
      req: { method: "DELETE", path: `/allocations/${uuids[op.consumer]}` } as Sent,
      touched: [] as string[],
      apply: () => model.delete(op.consumer),
      expectOk: cur !== undefined && Object.keys(cur.allocations).length > 0,
    };
  if (op.kind === "move") {
    const target = model.get(op.to);
    const src = cur?.allocations ?? {};
    const body = {
      [at(uuids, op.to)]: { allocations: wire(src), ...who, consumer_generation: target ? target.generation : null },
      [at(uuids, op.consumer)]: { allocations: {}, ...who, consumer_generation: gen },
    };
    return {
      req: { method: "POST", path: "/allocations", body } as Sent,
      touched: Object.keys(src).concat(Object.keys(target?.allocations ?? {}).filter((rp) => !(rp in src) && Object.keys(src).length === 0)),
      apply: () => {
        if (Object.keys(src).length) model.set(op.to, { generation: (target?.generation ?? 0) + 1, allocations: src });
        else if (target && Object.keys(target.allocations).length) model.delete(op.to);
        else if (!target) model.set(op.to, { generation: 0, allocations: {} });
        if (cur && Object.keys(cur.allocations).length) model.delete(op.consumer);
        else if (!cur) model.set(op.consumer, { generation: 0, allocations: {} });
      },
      expectOk: undefined,
    };
  }
  const emptied = Object.keys(op.allocations).length === 0;
  return {
    req: { method: "PUT", path: `/allocations/${uuids[op.consumer]}`, body: { allocations: wire(op.allocations), ...who, consumer_generation: gen } } as Sent,
    touched: emptied ? Object.keys(cur?.allocations ?? {}) : Object.keys(op.allocations),
    apply: () => {
      if (!emptied) model.set(op.consumer, { generation: (cur?.generation ?? 0) + 1, allocations: op.allocations });
      else if (cur && Object.keys(cur.allocations).length) model.delete(op.consumer);
      else if (!cur) model.set(op.consumer, { generation: 0, allocations: {} });
    },
    expectOk: undefined,
  };
}

/** The only refusals a claim may end in under contention: it did not fit. */
export function expectAcceptable(o: Outcome, op: Op): void {
  if (o.status === 204) return;
  if (op.kind === "delete") {
    expect(o.status).toBe(404);
    return;
  }
  expect(o.status, o.detail).toBe(409);
  expect(o.detail).toMatch(/would exceed the capacity|Unable to allocate inventory/);
  expect(o.detail).not.toMatch(/changed while attempting/);
}

/** Checks the database against the model and the capacity rules. */
export async function checkInvariants(
  db: Kysely<DB>,
  providers: string[],
  uuids: string[],
  model: Map<number, ConsumerState>,
  generations: Map<string, number>,
  get: (path: string) => Promise<any>,
): Promise<void> {
  const rows = await db
    .selectFrom("inventories as i")
    .innerJoin("resource_providers as rp", "rp.id", "i.resource_provider_id")
    .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id")
    .select(["rp.uuid", "rp.generation", "rc.name", "i.total", "i.reserved", "i.allocation_ratio", "i.resource_provider_id", "i.resource_class_id"])
    .where("rp.uuid", "in", providers)
    .execute();
  const sums = await db
    .selectFrom("allocations as a")
    .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["rp.uuid", "rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
    .where("rp.uuid", "in", providers)
    .groupBy(["rp.uuid", "rc.name"])
    .execute();
  const used = new Map(sums.map((s) => [`${s.uuid}:${s.name}`, Number(s.used)]));
  // Every provider's every class is checked below: none may be missing from the capacity check.
  expect(rows.length, "inventory rows of the providers").toBe(providers.length * Object.keys(INVENTORY).length);
  for (const r of rows) {
    const u = used.get(`${r.uuid}:${r.name}`) ?? 0;
    expect(u, `${r.name} on ${r.uuid}`).toBeLessThanOrEqual((Number(r.total) - Number(r.reserved)) * Number(r.allocation_ratio));
  }
  // The model's totals are what the database holds, and what the usages API reports.
  const want = new Map<string, number>();
  for (const c of model.values())
    for (const [rp, res] of Object.entries(c.allocations))
      for (const [rc, n] of Object.entries(res)) want.set(`${rp}:${rc}`, (want.get(`${rp}:${rc}`) ?? 0) + n);
  expect(Object.fromEntries(used)).toEqual(Object.fromEntries(want));
  for (const rp of providers) {
    const r = await get(`/resource_providers/${rp}/usages`);
    // Every class the provider has inventory of, 0 when unused.
    const usages = Object.fromEntries(rows.filter((x) => x.uuid === rp).map((x) => [x.name, used.get(`${rp}:${x.name}`) ?? 0]));
    expect(r.usages, `usages of ${rp}`).toEqual(usages);
    expect(r.resource_provider_generation, `generation of ${rp}`).toBe(generations.get(rp));
  }
  for (const [i, id] of uuids.entries()) {
    const r = await get(`/allocations/${id}`);
    const m = model.get(i);
    const shown = Object.fromEntries(Object.entries(r.allocations as Record<string, { resources: Resources }>).map(([rp, x]) => [rp, x.resources]));
    expect(shown, `allocations of consumer ${i}`).toEqual(m?.allocations ?? {});
    if (m && Object.keys(m.allocations).length) expect(r.consumer_generation).toBe(m.generation);
  }
}

/** Runs the ops of a batch at once and updates the model and expected generations from the outcomes. */
export async function runBatch(
  ops: Op[],
  uuids: string[],
  model: Map<number, ConsumerState>,
  generations: Map<string, number>,
  send: (s: Sent) => Promise<Outcome>,
): Promise<void> {
  const planned = ops.map((op) => ({ op, ...plan(op, uuids, model) }));
  const outcomes = await Promise.all(planned.map((p) => send(p.req)));
  planned.forEach((p, i) => {
    const o = at(outcomes, i);
    expectAcceptable(o, p.op);
    if (o.status !== 204) return;
    // Only claims bump provider generations; DELETE does not, as in the reference.
    if (p.op.kind !== "delete") for (const rp of new Set(p.touched)) generations.set(rp, (generations.get(rp) ?? 0) + 1);
    p.apply();
  });
}
