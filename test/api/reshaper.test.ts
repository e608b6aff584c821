// POST /reshaper: a compute node's VGPU inventory moves from the root to a child, with the
// allocations that use it, in one step.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid } from "../helpers/api.js";

const service = { headers: { "x-roles": "admin,service" } };

describeEachDb("reshaper", (dialect) => {
  const api = useApi(dialect);
  const who = { project_id: "p", user_id: "u" };

  async function computeNode() {
    const [root, child, inst] = [uuid(), uuid(), uuid()];
    expect((await api().post("/resource_providers", { name: `root-${root}`, uuid: root }, { version: "1.20" })).status).toBe(200);
    await api().put(
      `/resource_providers/${root}/inventories`,
      { resource_provider_generation: 0, inventories: { VCPU: { total: 8 }, VGPU: { total: 4 } } },
      { version: "1.20" },
    );
    await api().post("/resource_providers", { name: `child-${child}`, uuid: child, parent_provider_uuid: root }, { version: "1.20" });
    const claim = { allocations: { [root]: { resources: { VCPU: 2, VGPU: 1 } } }, ...who, consumer_generation: null };
    expect((await api().put(`/allocations/${inst}`, claim, { version: "1.28" })).status).toBe(204);
    return { root, child, inst };
  }
  const moved = (root: string, child: string, inst: string, vgpu = 1) => ({
    inventories: {
      [root]: { resource_provider_generation: 2, inventories: { VCPU: { total: 8 } } },
      [child]: { resource_provider_generation: 0, inventories: { VGPU: { total: 4 } } },
    },
    allocations: { [inst]: { allocations: { [root]: { resources: { VCPU: 2 } }, [child]: { resources: { VGPU: vgpu } } }, ...who, consumer_generation: 1 } },
  });

  it("moves inventory and allocations atomically", async () => {
    const { root, child, inst } = await computeNode();
    const r = await api().post("/reshaper", moved(root, child, inst), { version: "1.30", ...service });
    expect(r.status).toBe(204);
    expect((await api().get(`/allocations/${inst}`, { version: "1.30" })).body).toEqual({
      allocations: { [root]: { resources: { VCPU: 2 }, generation: 5 }, [child]: { resources: { VGPU: 1 }, generation: 3 } },
      project_id: "p",
      user_id: "u",
      consumer_generation: 2,
    });
    expect(Object.keys((await api().get(`/resource_providers/${root}/inventories`)).body.inventories)).toEqual(["VCPU"]);
    expect((await api().get(`/resource_providers/${child}/usages`)).body.usages).toEqual({ VGPU: 1 });
  });

  it("changes nothing when the allocations do not fit", async () => {
    const { root, child, inst } = await computeNode();
    const r = await api().post("/reshaper", moved(root, child, inst, 5), { version: "1.30", ...service });
    expect(r.status).toBe(409);
    expect(r.body.errors[0].detail).toContain("Unable to allocate inventory: Unable to create allocation for 'VGPU'");
    expect((await api().get(`/resource_providers/${root}`)).body.generation).toBe(2);
    expect((await api().get(`/resource_providers/${child}/inventories`)).body.inventories).toEqual({});
    expect((await api().get(`/allocations/${inst}`)).body.allocations[root].resources).toEqual({ VCPU: 2, VGPU: 1 });
  });

  it("refuses removing inventory still in use, stale generations and unknown providers", async () => {
    const { root, child, inst } = await computeNode();
    const body = moved(root, child, inst);
    const inUse = await api().post("/reshaper", { ...body, allocations: {} }, { version: "1.30", ...service });
    expect(inUse.status).toBe(409);
    expect(inUse.body.errors[0].code).toBe("placement.inventory.inuse");
    const stale = await api().post(
      "/reshaper",
      { ...body, inventories: { [root]: { resource_provider_generation: 9, inventories: {} } } },
      { version: "1.30", ...service },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0].detail).toContain(`resource provider generation conflict for provider ${root}: actual: 2, given: 9`);
    const nope = uuid();
    const missing = await api().post(
      "/reshaper",
      { inventories: { [nope]: { resource_provider_generation: 0, inventories: {} } }, allocations: {} },
      { version: "1.30", ...service },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].code).toBe("placement.resource_provider.not_found");
    const badClass = await api().post(
      "/reshaper",
      { inventories: { [child]: { resource_provider_generation: 0, inventories: { CUSTOM_NOPE: { total: 1 } } } }, allocations: {} },
      { version: "1.30", ...service },
    );
    expect(badClass.status).toBe(400);
    expect(badClass.body.errors[0].detail).toContain("malformed reshaper data: No such resource class CUSTOM_NOPE.");
    expect((await api().post("/reshaper", body, { version: "1.29", ...service })).status).toBe(404);
  });
});
