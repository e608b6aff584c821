// The reference and Berth answer resource provider and aggregate requests the same way
// (only what needs no inventories or allocations, which other endpoints create).
import { describe, expect, it } from "vitest";
import { inventoryRow, type SeedInventory } from "../helpers/seed.js";
import { ask, REF_URL, reachable, same, type Step, useBerthUnderTest } from "./harness.js";
import { entry } from "@berth/client/common";

const up = await reachable();
const u = () => crypto.randomUUID();
const VERSIONS = ["1.0", "1.1", "1.14", "1.18", "1.19", "1.20", "1.37", "latest"];

describe.skipIf(!up)("resource providers against the reference", () => {
  const berth = useBerthUnderTest();
  const post = (body: unknown, version = "1.0"): Step => ({ method: "POST", path: "/resource_providers", body, version });

  it("creates at every version and shows the provider", async () => {
    for (const v of VERSIONS) {
      const id = u();
      await same(berth.app, post({ name: `d-${id}`, uuid: id }, v), { path: `/resource_providers/${id}`, version: v });
      await same(berth.app, { path: `/resource_providers?name=d-${id}`, version: v }, { path: `/resource_providers?uuid=${id}`, version: v });
    }
  });

  it("refuses bad creates", async () => {
    const id = u();
    await same(
      berth.app,
      post({}),
      post({ name: "", uuid: id }),
      post({ name: "x", uuid: "nope" }),
      post({ name: "x".repeat(201) }),
      post({ name: `p-${id}`, parent_provider_uuid: id }),
      post({ name: `p-${id}`, uuid: u(), parent_provider_uuid: u() }, "1.14"),
      post({ name: `p-${id}`, uuid: id, parent_provider_uuid: id }, "1.14"),
      post({ name: `p-${id}`, uuid: id }, "1.30"),
      post({ name: `p-${id}`, uuid: id }, "1.30"),
      post({ name: `p-${id}`, uuid: u() }, "1.30"),
      { method: "POST", path: "/resource_providers", raw: "{}", headers: { "content-type": "text/plain" } },
    );
  });

  it("updates, re-parents and deletes", async () => {
    const [a, b, c, d] = [u(), u(), u(), u()];
    await same(
      berth.app,
      post({ name: `a-${a}`, uuid: a }, "1.14"),
      post({ name: `b-${b}`, uuid: b, parent_provider_uuid: a }, "1.14"),
      post({ name: `c-${c}`, uuid: c, parent_provider_uuid: b }, "1.14"),
      post({ name: `d-${d}`, uuid: d }, "1.14"),
      { method: "PUT", path: `/resource_providers/${u()}`, body: { name: "x" } },
      { method: "PUT", path: `/resource_providers/${a}`, body: {} },
      { method: "PUT", path: `/resource_providers/${a}`, body: { name: `b-${b}` }, version: "1.23" },
      { method: "PUT", path: `/resource_providers/${b}`, body: { name: `b-${b}`, parent_provider_uuid: d }, version: "1.14" },
      { method: "PUT", path: `/resource_providers/${b}`, body: { name: `b-${b}`, parent_provider_uuid: null }, version: "1.36" },
      { method: "PUT", path: `/resource_providers/${a}`, body: { name: `a-${a}`, parent_provider_uuid: c }, version: "1.37" },
      { method: "PUT", path: `/resource_providers/${a}`, body: { name: `a-${a}`, parent_provider_uuid: u() }, version: "1.37" },
      { method: "PUT", path: `/resource_providers/${b}`, body: { name: `b2-${b}`, parent_provider_uuid: d }, version: "1.37" },
      { path: `/resource_providers?in_tree=${d}`, version: "1.14" },
      { path: `/resource_providers?in_tree=${a}`, version: "1.14" },
      { method: "PUT", path: `/resource_providers/${b}`, body: { name: `b2-${b}`, parent_provider_uuid: null }, version: "1.37" },
      { path: `/resource_providers?in_tree=${c}`, version: "1.14" },
      { method: "PUT", path: `/resource_providers/${d}`, body: { name: `d-${d}`, parent_provider_uuid: a }, version: "1.14" },
      { method: "DELETE", path: `/resource_providers/${a}`, version: "1.30" },
      { method: "DELETE", path: `/resource_providers/${c}` },
      { method: "DELETE", path: `/resource_providers/${c}` },
      { path: `/resource_providers/${c}`, version: "1.30" },
    );
  });

  it("validates list queries", async () => {
    const qs = [
      "foo=1",
      "zoo=1&foo=2&in_tree=1",
      "member_of=x",
      "resources=VCPU:1",
      "in_tree=abc",
      "required=HW_CPU_X86_AVX",
      `member_of=${u()},${u()}`,
      `member_of=in:${u()},nope`,
      `member_of=!${u()}`,
      `member_of=${u()}&member_of=${u()}`,
      "resources=",
      "resources=VCPU",
      "resources=VCPU:x",
      "resources=VCPU:0",
      "resources=VCPU:-2",
      "resources=NOPE:1",
      "required=",
      "required=!",
      "required=NOPE_TRAIT",
      "required=!HW_CPU_X86_AVX",
      "required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE",
      "required=in:HW_CPU_X86_AVX,!HW_CPU_X86_SSE",
      "required=in:HW_CPU_X86_AVX,",
      `in_tree=${u()}&required=NOPE_TRAIT`,
      `member_of=${u()}&resources=NOPE:1`,
      "uuid=",
    ];
    for (const v of ["1.0", "1.3", "1.4", "1.14", "1.18", "1.22", "1.24", "1.32", "1.38", "latest"]) {
      for (const q of qs) await same(berth.app, { path: `/resource_providers?${q}&name=none-${u()}`, version: v });
    }
  });

  it("filters by aggregates and traits", async () => {
    const [a, b, g1, g2] = [u(), u(), u(), u()];
    await same(
      berth.app,
      post({ name: `a-${a}`, uuid: a }),
      post({ name: `b-${b}`, uuid: b }),
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: [g1, g2], version: "1.1" },
      { method: "PUT", path: `/resource_providers/${b}/aggregates`, body: { aggregates: [g2], resource_provider_generation: 0 }, version: "1.19" },
      { path: `/resource_providers?member_of=${g1}`, version: "1.3" },
      { path: `/resource_providers?member_of=in:${g1},${g2}`, version: "1.3" },
      { path: `/resource_providers?member_of=${g1}&member_of=${g2}`, version: "1.24" },
      { path: `/resource_providers?member_of=${g2}&member_of=!${g1}`, version: "1.32" },
      { path: `/resource_providers?member_of=${g2}&member_of=!in:${g1},${u()}`, version: "1.32" },
    );
    // NOTE: the reference lists aggregates in no defined order: compare them as sets.
    for (const version of ["1.1", "1.19"]) {
      const { ref, ours } = await ask({ path: `/resource_providers/${a}/aggregates`, version }, berth.app);
      for (const x of [ref, ours]) (x.body as { aggregates: string[] }).aggregates.sort();
      expect(ours).toEqual(ref);
    }
    await same(
      berth.app,
      { path: `/resource_providers/${a}/aggregates`, version: "1.0" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: [g1, g1], version: "1.1" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: ["x"], version: "1.1" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: [g1], version: "1.19" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: { aggregates: [g1], resource_provider_generation: 5 }, version: "1.19" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: { aggregates: [g1], resource_provider_generation: 0 }, version: "1.30" },
      { method: "PUT", path: `/resource_providers/${a}/aggregates`, body: { aggregates: [], resource_provider_generation: 1 }, version: "1.30" },
      { path: `/resource_providers/${u()}/aggregates`, version: "1.1" },
      { method: "PUT", path: `/resource_providers/${u()}/aggregates`, body: [], version: "1.1" },
      { path: `/resource_providers?member_of=${g2}&required=HW_CPU_X86_AVX`, version: "1.18" },
      { path: `/resource_providers?member_of=${g2}&required=!HW_CPU_X86_AVX`, version: "1.22" },
    );
  });

  // Inventories and allocations: through the reference's API there, as rows here.
  type Inv = SeedInventory;
  async function seed(rp: string, gen: number, inventories: Record<string, Inv>, used: Record<string, number> = {}) {
    const h = { "x-auth-token": "admin", "content-type": "application/json", "openstack-api-version": "placement 1.0" };
    const r = await fetch(`${REF_URL}/resource_providers/${rp}/inventories`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify({ resource_provider_generation: gen, inventories }),
    });
    expect(r.status).toBe(200);
    if (Object.keys(used).length) {
      const a = await fetch(`${REF_URL}/allocations/${u()}`, {
        method: "PUT",
        headers: h,
        body: JSON.stringify({ allocations: [{ resource_provider: { uuid: rp }, resources: used }] }),
      });
      expect(a.status).toBe(204);
    }
    const db = berth.store.db;
    const { id } = await db.selectFrom("resource_providers").select("id").where("uuid", "=", rp).executeTakeFirstOrThrow();
    const bumps = Object.keys(used).length ? 2 : 1;
    await db
      .updateTable("resource_providers")
      .set({ generation: gen + bumps })
      .where("id", "=", id)
      .execute();
    for (const [rc, inv] of Object.entries(inventories)) {
      const c = await db.selectFrom("resource_classes").select("id").where("name", "=", rc).executeTakeFirstOrThrow();
      await db
        .insertInto("inventories")
        .values(inventoryRow(id, c.id, inv))
        .execute();
      if (used[rc]) {
        await db
          .insertInto("allocations")
          .values({ resource_provider_id: id, resource_class_id: c.id, consumer_id: u(), used: entry(used, rc), created_at: null, updated_at: null })
          .execute();
      }
    }
  }

  it("filters by capacity and refuses to delete providers in use", async () => {
    const [root, c1, c2, c3] = [u(), u(), u(), u()];
    await same(
      berth.app,
      post({ name: `r-${root}`, uuid: root }, "1.14"),
      post({ name: `c1-${c1}`, uuid: c1, parent_provider_uuid: root }, "1.14"),
      post({ name: `c2-${c2}`, uuid: c2, parent_provider_uuid: root }, "1.14"),
      post({ name: `c3-${c3}`, uuid: c3, parent_provider_uuid: root }, "1.14"),
    );
    await seed(c1, 0, { VCPU: { total: 8, reserved: 2, allocation_ratio: 2 } }, { VCPU: 10 });
    await seed(c2, 0, { VCPU: { total: 4, min_unit: 2, max_unit: 4, step_size: 2 } });
    await seed(c3, 0, { MEMORY_MB: { total: 1024 }, DISK_GB: { total: 100, step_size: 10 } });
    const queries = [
      "VCPU:1",
      "VCPU:2",
      "VCPU:3",
      "VCPU:4",
      "VCPU:2,MEMORY_MB:1",
      "MEMORY_MB:1024,DISK_GB:10",
      "MEMORY_MB:1025",
      "DISK_GB:15",
      "CUSTOM_NOPE_X:1",
      "VCPU:1,CUSTOM_NOPE_X:1",
    ];
    for (const q of queries) await same(berth.app, { path: `/resource_providers?in_tree=${root}&resources=${q}`, version: "1.14" });
    await same(
      berth.app,
      { method: "DELETE", path: `/resource_providers/${c1}`, version: "1.23" },
      { method: "DELETE", path: `/resource_providers/${c1}`, version: "1.0" },
      { method: "DELETE", path: `/resource_providers/${c3}`, version: "1.23" },
      { path: `/resource_providers?in_tree=${root}`, version: "1.14" },
    );
  });

  it("filters by traits", async () => {
    const [root, a, b] = [u(), u(), u()];
    const custom = `CUSTOM_T_${u().replace(/-/g, "").toUpperCase()}`;
    await same(
      berth.app,
      post({ name: `r-${root}`, uuid: root }, "1.14"),
      post({ name: `a-${a}`, uuid: a, parent_provider_uuid: root }, "1.14"),
      post({ name: `b-${b}`, uuid: b, parent_provider_uuid: root }, "1.14"),
    );
    const h = { "x-auth-token": "admin", "content-type": "application/json", "openstack-api-version": "placement 1.6" };
    expect((await fetch(`${REF_URL}/traits/${custom}`, { method: "PUT", headers: h })).status).toBe(201);
    const db = berth.store.db;
    await db.insertInto("traits").values({ name: custom, created_at: null, updated_at: null }).execute();
    const give = async (rp: string, traits: string[]) => {
      const r = await fetch(`${REF_URL}/resource_providers/${rp}/traits`, {
        method: "PUT",
        headers: h,
        body: JSON.stringify({ resource_provider_generation: 0, traits }),
      });
      expect(r.status).toBe(200);
      const { id } = await db.selectFrom("resource_providers").select("id").where("uuid", "=", rp).executeTakeFirstOrThrow();
      await db.updateTable("resource_providers").set({ generation: 1 }).where("id", "=", id).execute();
      for (const t of traits) {
        const tr = await db.selectFrom("traits").select("id").where("name", "=", t).executeTakeFirstOrThrow();
        await db.insertInto("resource_provider_traits").values({ resource_provider_id: id, trait_id: tr.id, created_at: null, updated_at: null }).execute();
      }
    };
    await give(a, ["HW_CPU_X86_AVX", custom]);
    await give(b, ["HW_CPU_X86_SSE"]);
    const qs = [
      "required=HW_CPU_X86_AVX",
      `required=HW_CPU_X86_AVX,${custom}`,
      "required=HW_CPU_X86_AVX,HW_CPU_X86_SSE",
      "required=!HW_CPU_X86_AVX",
      "required=!HW_CPU_X86_AVX,!HW_CPU_X86_SSE",
      "required=HW_CPU_X86_SSE,!HW_CPU_X86_AVX",
      "required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE",
      `required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE&required=${custom}`,
      `required=HW_CPU_X86_SSE&required=${custom}`,
      "required=HW_CPU_X86_3DNOW",
      "required=HW_CPU_X86_3DNOW&resources=NOPE:1",
      "required=!CUSTOM_NOT_THERE_AT_ALL",
      "required=!HW_CPU_X86_AVX&resources=NOPE:1",
    ];
    for (const v of ["1.18", "1.22", "1.38", "1.39"]) {
      for (const q of qs) await same(berth.app, { path: `/resource_providers?in_tree=${root}&${q}`, version: v });
    }
  });
});
