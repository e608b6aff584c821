// GET /allocation_candidates/explain on every database: near misses with the exact amounts, the
// funnel of each group and the request-wide steps, the same answer from the snapshot and from the
// database, agreement with the list on every scenario query (candidates, "nothing fits", the 400s),
// and its own policy rule. Every document is checked against docs/explain.schema.json.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { Hono } from "hono";
import { beforeAll, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid, type TestApi } from "../helpers/api.js";
import { seedProviders, type Seeded } from "../helpers/seed-candidates.js";
import { SCENARIOS } from "../fixtures/candidates/scenarios.js";
import { subst } from "../fixtures/candidates/normalize.js";

const schema = JSON.parse(readFileSync(new URL("../../docs/explain.schema.json", import.meta.url), "utf8"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
const valid = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

async function reset(api: TestApi): Promise<void> {
  const db = api.store.db;
  for (const t of ["allocations", "inventories", "resource_provider_traits", "resource_provider_aggregates", "placement_aggregates"] as const) {
    await db.deleteFrom(t).execute();
  }
  await db.updateTable("resource_providers").set({ parent_provider_id: null, root_provider_id: null }).execute();
  await db.deleteFrom("resource_providers").execute();
}

const blank = (text: string) => text.replace(/"request_id": ?"[^"]*"/g, '"request_id": ""');

describeEachDb("allocation candidates explain", (dialect) => {
  const api = useApi(dialect);
  /** The same service reading the database on every request (no snapshot). */
  let never: Hono;
  beforeAll(() => {
    never = createApp({ store: api().store, config: testConfig({}), candidateSnapshot: "never" });
  });
  const explainFrom = async (app: Hono, query: string, version = "1.39") => {
    const r = await app.request(`/allocation_candidates/explain?${query}`, {
      headers: { "x-auth-token": "admin", "openstack-api-version": `placement ${version}` },
    });
    return { status: r.status, body: await r.json() };
  };
  const explain = async (query: string, version = "1.39") => {
    const r = await api().get(`/allocation_candidates/explain?${query}`, { version });
    expect(r.status, r.text).toBe(200);
    expect(valid(r.body)).toEqual([]);
    return r.body;
  };
  const list = async (query: string, version = "1.39") => (await api().get(`/allocation_candidates?${query}`, { version })).body;

  it("nothing fits: the near misses say which constraint, with the amounts", async () => {
    await reset(api());
    const host = uuid();
    expect((await api().post("/resource_providers", { name: "compute-17", uuid: host }, { version: "1.20" })).status).toBe(200);
    expect(
      (
        await api().put(`/resource_providers/${host}/inventories`, {
          resource_provider_generation: 0,
          inventories: { VCPU: { total: 32, reserved: 2, allocation_ratio: 1.0 } },
        })
      ).status,
    ).toBe(200);
    const alloc = { allocations: { [host]: { resources: { VCPU: 24 } } }, project_id: "p", user_id: "u", consumer_generation: null };
    expect((await api().put(`/allocations/${uuid()}`, alloc, { version: "1.28" })).status).toBe(204);
    await seedProviders(api().store.db, [
      { name: "small", inv: { VCPU: { total: 4, allocation_ratio: 1.5, max_unit: 8 } } },
      { name: "disk", inv: { DISK_GB: 100 } },
    ]);
    expect((await list("resources=VCPU:8")).allocation_requests).toEqual([]);
    const doc = await explain("resources=VCPU:8");
    expect(doc).toMatchObject({ explain_version: "1.0", microversion: "1.39", fits: false, candidates: 0, providers: 3, trees: 3, trees_with_candidates: 0 });
    expect(doc.groups[0].steps).toEqual([
      { constraint: "resource_class", resource_class: "VCPU", providers: 2, trees: 2 },
      { constraint: "capacity", resource_class: "VCPU", amount: 8, providers: 0, trees: 0 },
      { constraint: "units", resource_class: "VCPU", amount: 8, providers: 0, trees: 0 },
      { constraint: "group_alone", trees: 0 },
    ]);
    expect(doc.near_misses.map((m: { message: string }) => m.message)).toEqual([
      "compute-17: VCPU asks 8, free 6 = (32 - 2) x 1.0 - 24 used",
      expect.stringMatching(/-small: VCPU asks 8, free 6 = \(4 - 0\) x 1\.5 - 0 used$/),
      expect.stringMatching(/-disk: no VCPU inventory$/),
    ]);
    expect(doc.near_misses[0].failed[0]).toEqual({
      constraint: "capacity",
      group: "",
      provider: { uuid: host, name: "compute-17" },
      resource_class: "VCPU",
      asks: 8,
      free: 6,
      total: 32,
      reserved: 2,
      allocation_ratio: 1,
      used: 24,
      message: "compute-17: VCPU asks 8, free 6 = (32 - 2) x 1.0 - 24 used",
    });
    expect(doc.summary).toBe(
      "no candidates: group (unsuffixed) fits no tree after capacity of VCPU (asks 8); closest: compute-17: VCPU asks 8, free 6 = (32 - 2) x 1.0 - 24 used",
    );
    // The database read without a snapshot gives the same explanation.
    const direct = await explainFrom(never, "resources=VCPU:8");
    expect(direct.status).toBe(200);
    expect(direct.body.source).toBe("database");
    expect({ ...direct.body, source: doc.source }).toEqual(doc);
    // Units: a max_unit below the request.
    const [small] = await api().store.db.selectFrom("resource_providers").select("uuid").where("name", "like", "%-small").execute();
    const inv = await api().get(`/resource_providers/${small!.uuid}/inventories`);
    await api().put(`/resource_providers/${small!.uuid}/inventories/VCPU`, {
      resource_provider_generation: inv.body.resource_provider_generation,
      total: 4,
      allocation_ratio: 1.5,
      max_unit: 2,
    });
    const units = await explain("resources=VCPU:3");
    expect(units.fits).toBe(true);
    expect(units.groups[0].steps.find((s: { constraint: string }) => s.constraint === "units")).toEqual({
      constraint: "units",
      resource_class: "VCPU",
      amount: 3,
      providers: 1,
      trees: 1,
    });
    expect(units.near_misses[0].message).toMatch(/-small: VCPU asks 3, above max_unit 2$/);
  });

  it("counts each constraint of a group, and agrees with the list when candidates exist", async () => {
    await reset(api());
    const s = await seedProviders(api().store.db, [
      { name: "a", inv: { VCPU: 8, MEMORY_MB: 4096 }, traits: ["HW_CPU_X86_AVX2"], aggs: ["G"] },
      { name: "b", inv: { VCPU: 8, MEMORY_MB: 4096 }, traits: ["HW_CPU_X86_SSE42"], aggs: ["G"] },
      { name: "c", inv: { VCPU: 8, MEMORY_MB: 4096 }, traits: ["HW_CPU_X86_AVX2", "CUSTOM_BAD"], aggs: ["G"] },
      { name: "d", inv: { VCPU: 8, MEMORY_MB: 4096 }, traits: ["HW_CPU_X86_AVX2"] },
      { name: "e", inv: { VCPU: 8, MEMORY_MB: 1024 }, traits: ["HW_CPU_X86_AVX2"], aggs: ["G"] },
      { name: "f", inv: { VCPU: 8 } },
    ]);
    const q = subst("resources=VCPU:2,MEMORY_MB:2048&required=in:HW_CPU_X86_AVX2,HW_CPU_X86_SSE42&required=!CUSTOM_BAD&member_of=$agg:G", s);
    const doc = await explain(q);
    const ours = await list(q);
    expect(doc.candidates).toBe(ours.allocation_requests.length);
    expect(doc.candidates).toBe(2);
    expect(doc.groups[0].steps.map((x: { constraint: string; providers?: number; trees: number }) => [x.constraint, x.providers, x.trees])).toEqual([
      ["resource_class", 6, 6],
      ["resource_class", 5, 5],
      ["capacity", 5, 5],
      ["capacity", 4, 4],
      ["units", 4, 4],
      ["units", 4, 4],
      ["required_traits", 4, 4],
      ["forbidden_traits", 3, 3],
      ["member_of", 2, 2],
      ["group_alone", undefined, 2],
    ]);
    expect(doc.trees_with_candidates).toBe(2);
    expect(doc.summary).toBe("2 candidates returned; 2 of 6 trees fit");
    // Why not the others: the constraints each fails.
    const misses = Object.fromEntries(
      doc.near_misses.map((m: { root: { uuid: string }; failed: { constraint: string }[] }) => [s.name.get(m.root.uuid), m.failed.map((f) => f.constraint)]),
    );
    expect(misses).toEqual({ c: ["forbidden_traits"], d: ["member_of"], e: ["capacity", "units"], f: ["resource_class", "required_traits", "member_of"] });
    // A limit cuts the list, not the trees that fit.
    const limited = await explain(`${q}&limit=1`);
    expect([limited.candidates, limited.trees_with_candidates, limited.fits]).toEqual([1, 2, true]);
  });

  it("nested trees: the request-wide steps say which of group_policy and same_subtree leaves nothing", async () => {
    await reset(api());
    // host1: the PHYSNET_A device hangs under a full NUMA node; host2: fits.
    const s = await seedProviders(api().store.db, [
      { name: "host1", inv: { DISK_GB: 100 } },
      { name: "h1n0", parent: "host1", inv: { VCPU: 4 }, used: { VCPU: 4 } },
      { name: "h1n1", parent: "host1", inv: { VCPU: 4 } },
      { name: "h1pf0", parent: "h1n0", inv: { SRIOV_NET_VF: 4 }, traits: ["CUSTOM_PHYSNET_A"] },
      { name: "h1pf1", parent: "h1n1", inv: { SRIOV_NET_VF: 4 }, traits: ["CUSTOM_PHYSNET_B"] },
      { name: "host2", inv: { DISK_GB: 100 } },
      { name: "h2n0", parent: "host2", inv: { VCPU: 4 } },
      { name: "h2pf0", parent: "h2n0", inv: { SRIOV_NET_VF: 4 }, traits: ["CUSTOM_PHYSNET_A"] },
    ]);
    const q = "resources_C=VCPU:2&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&same_subtree=_C,_N&group_policy=isolate";
    const doc = await explain(q);
    expect(doc.candidates).toBe((await list(q)).allocation_requests.length);
    expect(doc.together).toEqual([
      { constraint: "every_group", trees: 2 },
      { constraint: "groups_together", groups: ["_C", "_N"], trees: 2 },
      { constraint: "group_policy", groups: ["_C", "_N"], trees: 2 },
      { constraint: "same_subtree", groups: ["_C", "_N"], trees: 1 },
    ]);
    expect(doc.near_misses).toHaveLength(1);
    expect(doc.near_misses[0].root.uuid).toBe(s.uuid.get("host1"));
    expect(doc.near_misses[0].failed).toEqual([
      expect.objectContaining({
        constraint: "same_subtree",
        groups: ["_C", "_N"],
        message: expect.stringMatching(/-host1: same_subtree: the groups _C, _N fit, but not within one subtree$/),
      }),
    ]);
    // Fill host2's NUMA node: nothing fits, and host2's near miss names its provider and amounts.
    await api()
      .store.db.insertInto("allocations")
      .values({ resource_provider_id: s.id.get("h2n0")!, consumer_id: uuid(), resource_class_id: 0, used: 3, created_at: "2024-01-01 00:00:00" })
      .execute();
    const none = await explain(q);
    expect(none.fits).toBe(false);
    expect(none.summary).toMatch(/^no candidates: every group fits somewhere, but no tree fits them after same_subtree \(_C, _N\)/);
    const vcpu = await explain(
      "resources_C=VCPU:2&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&group_policy=isolate&same_subtree=_C,_N&root_required=!HW_CPU_X86_AVX2",
    );
    expect(vcpu.groups[0].steps.map((x: { constraint: string }) => x.constraint)).toEqual([
      "resource_class",
      "capacity",
      "units",
      "root_required",
      "group_alone",
    ]);
    const miss = none.near_misses.find((m: { root: { uuid: string } }) => m.root.uuid === s.uuid.get("host2"));
    expect(miss.failed[0]).toMatchObject({ constraint: "capacity", group: "_C", asks: 2, free: 1, provider: { uuid: s.uuid.get("h2n0") } });
  });

  it("agrees with the list on every scenario query: candidates, nothing fits, and the same 400", async () => {
    for (const sc of SCENARIOS) {
      await reset(api());
      const seeded: Seeded = await seedProviders(api().store.db, sc.providers);
      for (const [version, raw] of sc.queries) {
        const q = subst(raw, seeded);
        const l = await api().get(`/allocation_candidates?${q}`, { version });
        const e = await api().get(`/allocation_candidates/explain?${q}`, { version });
        const label = `${sc.name} @${version} ${raw}`;
        if (l.status !== 200) {
          expect({ label, status: e.status, body: blank(e.text) }).toEqual({ label, status: l.status, body: blank(l.text) });
          continue;
        }
        expect({ label, status: e.status, errors: valid(e.body) }).toEqual({ label, status: 200, errors: [] });
        expect({ label, candidates: e.body.candidates, fits: e.body.fits, anyTree: e.body.trees_with_candidates > 0 }).toEqual({
          label,
          candidates: l.body.allocation_requests.length,
          fits: l.body.allocation_requests.length > 0,
          anyTree: l.body.allocation_requests.length > 0,
        });
        const direct = await explainFrom(never, q, version);
        expect({ label, direct: { ...direct.body, source: "snapshot" } }).toEqual({ label, direct: { ...e.body, source: "snapshot" } });
      }
    }
  });

  it("refuses bad queries with the list's 400, below 1.10 with its 404, and is guarded by its own rule", async () => {
    for (const [version, q] of [
      ["1.39", "resources=VCPU:x"],
      ["1.39", "resources=CUSTOM_NOPE:1"],
      ["1.39", "resources=VCPU:1&required=CUSTOM_NOPE"],
      ["1.39", "resources1=VCPU:1&resources2=VCPU:1"],
      ["1.36", "resources_A=VCPU:1&required_B=HW_CPU_X86_AVX2"],
      ["1.39", "resources=VCPU:1&limit=0"],
      ["1.21", "resources=VCPU:1&root_required=X"],
      ["1.39", "resources=VCPU:1&bogus=1"],
      ["1.9", "resources=VCPU:1"],
    ]) {
      const l = await api().get(`/allocation_candidates?${q}`, { version });
      const e = await api().get(`/allocation_candidates/explain?${q}`, { version });
      expect(l.status).toBeGreaterThanOrEqual(400);
      expect({ q, status: e.status, body: blank(e.text) }).toEqual({ q, status: l.status, body: blank(l.text) });
    }
    const member = await api().get("/allocation_candidates/explain?resources=VCPU:1", {
      token: null,
      version: "1.39",
      headers: { "x-auth-token": "alice:proj-a", "x-roles": "member" },
    });
    expect(member.status).toBe(403);
    expect(member.body.errors[0].detail).toContain("placement:allocation_candidates:explain");
    const service = await api().get("/allocation_candidates/explain?resources=VCPU:1", {
      token: null,
      version: "1.39",
      headers: { "x-auth-token": "nova:svc", "x-roles": "service" },
    });
    expect(service.status).toBe(200);
  });
});
