// Consumers through the allocation API: when one is created, kept and deleted, and in which order a
// write's checks run (consumer generation, providers, capacity). Each expected answer is the
// reference's (Placement 8.0.0 under gunicorn, the same sequences sent to both on 7 December), except
// the one listed in docs/compatibility.md: a failed write keeps no consumer it created.
import { beforeAll, expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid, type Reply } from "../helpers/api.js";

const V = "1.39";
const WHO = { project_id: "p", user_id: "u", consumer_type: "INSTANCE" };
const GEN_CONFLICT = "placement.concurrent_update";

type Allocs = Record<string, { resources: Record<string, number> }>;

/** Status, error code and the last part of the detail (the reference's message), of an answer. */
function outcome(r: Reply): [number, string?, string?] {
  if (r.status < 300) return [r.status];
  const e = r.body.errors[0];
  return [r.status, e.code, e.detail.split("\n\n ").pop()];
}

describeEachDb("consumers", (dialect) => {
  const api = useApi(dialect);
  let rp = "";
  let small = "";
  const missing = "00000000-0000-4000-8000-00000000dead";

  beforeAll(async () => {
    rp = uuid();
    small = uuid();
    for (const [u, inventories] of [
      [rp, { VCPU: { total: 1000 }, MEMORY_MB: { total: 1024 } }],
      [small, { VCPU: { total: 1 } }],
    ] as const) {
      expect((await api().post("/resource_providers", { name: u, uuid: u }, { version: V })).status).toBe(200);
      expect((await api().put(`/resource_providers/${u}/inventories`, { resource_provider_generation: 0, inventories }, { version: V })).status).toBe(200);
    }
  });

  const put = async (consumer: string, allocations: Allocs, generation: number | null, who: object = WHO) =>
    outcome(await api().put(`/allocations/${consumer}`, { allocations, ...who, consumer_generation: generation }, { version: V }));
  const post = async (body: Record<string, { allocations: Allocs; consumer_generation: number | null }>) =>
    outcome(await api().post("/allocations", Object.fromEntries(Object.entries(body).map(([c, b]) => [c, { ...WHO, ...b }])), { version: V }));
  const show = async (consumer: string) => (await api().get(`/allocations/${consumer}`, { version: V })).body;
  const vcpu = (n: number): Allocs => ({ [rp]: { resources: { VCPU: n } } });
  const conflict = (expected: string, got: string): [number, string, string] => [
    409,
    GEN_CONFLICT,
    `consumer generation conflict - expected ${expected} but got ${got}  `,
  ];
  const held = (n: number, generation = 1, who: object = WHO) => ({
    allocations: { [rp]: { resources: { VCPU: n }, generation: expect.any(Number) } },
    ...who,
    consumer_generation: generation,
  });
  const missingProvider: [number, string, string] = [400, "placement.undefined_code", `Allocation for resource provider '${missing}' that does not exist.  `];
  const overCapacity = (): [number, string, string] => [
    409,
    "placement.undefined_code",
    `Unable to allocate inventory: Unable to create allocation for 'VCPU' on resource provider '${rp}'. The requested amount would exceed the capacity.  `,
  ];

  it("creates a consumer at generation 1 with its first allocations; it then needs that generation", async () => {
    const c = uuid();
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await show(c)).toEqual(held(1));
    expect(await put(c, vcpu(1), null)).toEqual(conflict("1", "None"));
    expect(await put(c, vcpu(1), 5)).toEqual(conflict("1", "5"));
    expect(await show(c)).toEqual(held(1));
  });

  it("refuses a generation for a consumer that does not exist", async () => {
    const c = uuid();
    expect(await put(c, vcpu(1), 0)).toEqual(conflict("null", "0"));
    expect(await put(c, vcpu(1), 1)).toEqual(conflict("null", "1"));
    expect(await show(c)).toEqual({ allocations: {} });
  });

  it("deletes the consumer with its last allocation (empty PUT or DELETE): it is new again", async () => {
    const c = uuid();
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await put(c, {}, 1)).toEqual([204]);
    expect(await show(c)).toEqual({ allocations: {} });
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await show(c)).toEqual(held(1));
    expect((await api().del(`/allocations/${c}`, { version: V })).status).toBe(204);
    expect(await show(c)).toEqual({ allocations: {} });
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await show(c)).toEqual(held(1));
    expect((await api().del(`/allocations/${c}`, { version: V })).status).toBe(204);
    const again = await api().del(`/allocations/${c}`, { version: V });
    expect(outcome(again)).toEqual([404, "placement.undefined_code", `No allocations for consumer '${c}'  `]);
  });

  it("keeps a new consumer written with no allocations, at generation 0, as the reference does", async () => {
    const c = uuid();
    expect(await put(c, {}, null)).toEqual([204]);
    expect(await show(c)).toEqual({ allocations: {} });
    expect(await put(c, {}, null)).toEqual(conflict("0", "None"));
    expect(await put(c, vcpu(1), 0)).toEqual([204]);
    expect(await put(c, vcpu(1), null)).toEqual(conflict("1", "None"));
    expect(await show(c)).toEqual(held(1));
  });

  it("keeps no consumer after a capacity or inventory 409 for a new one", async () => {
    const c = uuid();
    expect(await put(c, vcpu(10_000), null)).toEqual(overCapacity());
    expect(await show(c)).toEqual({ allocations: {} });
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await show(c)).toEqual(held(1));
    const d = uuid();
    expect(await put(d, { [small]: { resources: { MEMORY_MB: 1 } } }, null)).toEqual([
      409,
      "placement.undefined_code",
      `Unable to allocate inventory: Inventory for 'MEMORY_MB' on resource provider '${small}' invalid.  `,
    ]);
    expect(await show(d)).toEqual({ allocations: {} });
    expect(await put(d, vcpu(1), null)).toEqual([204]);
  });

  // docs/compatibility.md: the reference keeps the consumer it created for the failed request, at
  // generation 0, so this second write gets 409 "expected 0 but got None" there.
  it("keeps no consumer after a 400 for a new one (the reference keeps it at generation 0)", async () => {
    const c = uuid();
    expect(await put(c, { [missing]: { resources: { VCPU: 1 } } }, null)).toEqual(missingProvider);
    expect(await show(c)).toEqual({ allocations: {} });
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await show(c)).toEqual(held(1));
    // The same in POST /allocations, for the new consumer next to the one that failed.
    const [h, i] = [uuid(), uuid()];
    expect(
      await post({
        [h]: { allocations: vcpu(1), consumer_generation: null },
        [i]: { allocations: { [missing]: { resources: { VCPU: 1 } } }, consumer_generation: null },
      }),
    ).toEqual(missingProvider);
    expect(await show(h)).toEqual({ allocations: {} });
    expect(await post({ [h]: { allocations: vcpu(1), consumer_generation: null } })).toEqual([204]);
    expect(await show(h)).toEqual(held(1));
  });

  it("checks the consumer generation first, then the providers, then capacity", async () => {
    const c = uuid();
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    expect(await put(c, { [missing]: { resources: { VCPU: 1 } } }, 7)).toEqual(conflict("1", "7"));
    expect(await put(c, vcpu(10_000), 7)).toEqual(conflict("1", "7"));
    expect(await put(c, { ...vcpu(10_000), [missing]: { resources: { VCPU: 1 } } }, 1)).toEqual(missingProvider);
    expect(await put(c, vcpu(10_000), null)).toEqual(conflict("1", "None"));
    expect(await put(uuid(), vcpu(1), 3)).toEqual(conflict("null", "3"));
    expect(await show(c)).toEqual(held(1));
  });

  it("changes nothing in a POST /allocations when one consumer's generation is wrong", async () => {
    const [g, h] = [uuid(), uuid()];
    expect(await put(g, vcpu(1), null)).toEqual([204]);
    expect(await post({ [h]: { allocations: vcpu(1), consumer_generation: null }, [g]: { allocations: {}, consumer_generation: 9 } })).toEqual(
      conflict("1", "9"),
    );
    expect(await show(h)).toEqual({ allocations: {} });
    expect(await show(g)).toEqual(held(1));
    expect(await post({ [h]: { allocations: vcpu(1), consumer_generation: null }, [g]: { allocations: {}, consumer_generation: 1 } })).toEqual([204]);
    expect(await show(g)).toEqual({ allocations: {} });
    expect(await show(h)).toEqual(held(1));
  });

  it("keeps the consumer through a change of project, user and type, one generation on", async () => {
    const c = uuid();
    expect(await put(c, vcpu(1), null)).toEqual([204]);
    const other = { project_id: "p2", user_id: "u2", consumer_type: "MIGRATION" };
    expect(await put(c, vcpu(1), 1, other)).toEqual([204]);
    expect(await show(c)).toEqual(held(1, 2, other));
  });

  it("creates consumers without a generation before 1.28, and asks for it from 1.28", async () => {
    const c = uuid();
    const r = await api().put(`/allocations/${c}`, { allocations: vcpu(1), project_id: "p", user_id: "u" }, { version: "1.27" });
    expect(r.status).toBe(204);
    expect(await show(c)).toEqual(held(1, 1, { project_id: "p", user_id: "u", consumer_type: "unknown" }));
    const later = await api().put(`/allocations/${c}`, { allocations: vcpu(1), project_id: "p", user_id: "u", consumer_generation: null }, { version: "1.28" });
    expect(outcome(later)).toEqual(conflict("1", "None"));
  });
});
