// A small fleet seeded through the API as an operator's tools would: two compute trees (NUMA nodes,
// a PF under a NUMA node, a GPU with VGPU), a sharing storage provider in an aggregate with the first,
// consumers of two projects and one migration consumer. For the dashboard's tests.
import type { TestApi } from "./api.js";

export interface SeededFleet {
  aggregate: string;
  /** Provider uuids by name (compute-1, compute-1-numa0, ..., shared-storage). */
  rp: Record<string, string>;
  consumers: { instA: string; instB: string; migA: string };
}

const V = "1.39";

export async function seedFleet(api: TestApi): Promise<SeededFleet> {
  const rp: Record<string, string> = {};
  const ok = (r: { status: number; text: string }, what: string) => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  };
  const create = async (name: string, parent?: string) => {
    const u = crypto.randomUUID();
    ok(await api.post("/resource_providers", { name, uuid: u, ...(parent ? { parent_provider_uuid: rp[parent] } : {}) }, { version: V }), name);
    rp[name] = u;
  };
  const generation = async (name: string) => (await api.get(`/resource_providers/${rp[name]}`, { version: V })).body.generation as number;
  const inventories = async (name: string, inv: Record<string, Record<string, number>>) =>
    ok(
      await api.put(`/resource_providers/${rp[name]}/inventories`, { resource_provider_generation: await generation(name), inventories: inv }, { version: V }),
      `${name} inventories`,
    );
  const traits = async (name: string, t: string[]) =>
    ok(
      await api.put(`/resource_providers/${rp[name]}/traits`, { resource_provider_generation: await generation(name), traits: t }, { version: V }),
      `${name} traits`,
    );
  const aggregate = crypto.randomUUID();
  const aggregates = async (name: string) =>
    ok(
      await api.put(
        `/resource_providers/${rp[name]}/aggregates`,
        { resource_provider_generation: await generation(name), aggregates: [aggregate] },
        { version: V },
      ),
      `${name} aggregates`,
    );
  ok(await api.put("/traits/CUSTOM_VGPU_TYPE_A", undefined, { version: V }), "trait");
  for (const host of ["compute-1", "compute-2"]) {
    await create(host);
    await inventories(host, { MEMORY_MB: { total: 65536, reserved: 512 } });
    await traits(host, ["HW_CPU_X86_AVX2"]);
    for (const numa of ["numa0", "numa1"]) {
      await create(`${host}-${numa}`, host);
      await inventories(`${host}-${numa}`, { VCPU: { total: 16 } });
    }
    await create(`${host}-pf0`, `${host}-numa0`);
    await inventories(`${host}-pf0`, { SRIOV_NET_VF: { total: 8 } });
    await create(`${host}-gpu0`, host);
    await inventories(`${host}-gpu0`, { VGPU: { total: 4 } });
    await traits(`${host}-gpu0`, ["CUSTOM_VGPU_TYPE_A"]);
  }
  await create("shared-storage");
  await inventories("shared-storage", { DISK_GB: { total: 1000 } });
  await traits("shared-storage", ["MISC_SHARES_VIA_AGGREGATE"]);
  await aggregates("shared-storage");
  await aggregates("compute-1");
  const consume = async (resources: Record<string, Record<string, number>>, project: string, user: string, type: string) => {
    const c = crypto.randomUUID();
    const allocations = Object.fromEntries(Object.entries(resources).map(([name, r]) => [rp[name], { resources: r }]));
    ok(
      await api.put(`/allocations/${c}`, { allocations, project_id: project, user_id: user, consumer_generation: null, consumer_type: type }, { version: V }),
      `allocations ${c}`,
    );
    return c;
  };
  const instA = await consume(
    { "compute-1-numa0": { VCPU: 2 }, "compute-1": { MEMORY_MB: 2048 }, "shared-storage": { DISK_GB: 20 }, "compute-1-gpu0": { VGPU: 1 } },
    "proj-a",
    "alice",
    "INSTANCE",
  );
  const instB = await consume({ "compute-2-numa1": { VCPU: 4 }, "compute-2": { MEMORY_MB: 4096 } }, "proj-b", "bob", "INSTANCE");
  const migA = await consume({ "compute-2-numa0": { VCPU: 2 }, "compute-2": { MEMORY_MB: 2048 } }, "proj-a", "alice", "MIGRATION");
  return { aggregate, rp, consumers: { instA, instB, migA } };
}
