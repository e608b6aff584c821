// The SDK against a real server: the in-process Berth by default, or $BERTH_SDK_TARGET (the reference).
import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, BadRequestError, candidateRequest } from "@berth/client";
import { useTarget } from "./target.js";
import { first } from "@berth/client/common";

const uuid = () => crypto.randomUUID();
const name = (p: string) => `${p}-${uuid().slice(0, 8)}`;

describe("server range", () => {
  const target = useTarget();
  it("is read from GET /", async () => {
    expect(await target().client().serverRange()).toEqual({ min: "1.0", max: "1.39" });
  });
});

describe("providers", () => {
  const target = useTarget();

  it("creates, reads, lists with filters, renames and deletes", async () => {
    const c = target().client();
    const p = await c.providers.create({ name: name("rp") });
    expect(p).toMatchObject({ generation: 0, parent_provider_uuid: null, root_provider_uuid: p.uuid });
    expect(await c.providers.get(p.uuid)).toMatchObject({ uuid: p.uuid, name: p.name });
    expect((await c.providers.list({ name: p.name })).map((x) => x.uuid)).toEqual([p.uuid]);
    const newName = name("renamed");
    const renamed = await c.providers.update(p.uuid, { name: newName });
    expect(renamed.name).toBe(newName);
    expect((await c.providers.get(p.uuid)).name).toBe(newName);
    await c.providers.delete(p.uuid);
    await expect(c.providers.get(p.uuid)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("reads the provider back when pinned below 1.20 (POST answers 201 without a body)", async () => {
    const c = target().client({ version: "1.14" });
    const n = name("old");
    const p = await c.providers.create({ name: n });
    expect(p).toMatchObject({ name: n, generation: 0, root_provider_uuid: p.uuid });
    expect((await c.providers.list({ name: n })).map((x) => x.uuid)).toEqual([p.uuid]);
    await c.providers.delete(p.uuid);
  });

  it("refuses a duplicate name with a ConflictError carrying code and request id", async () => {
    const c = target().client();
    const n = name("dup");
    const p = await c.providers.create({ name: n });
    const e = await c.providers.create({ name: n }).catch((x) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.code).toBe("placement.duplicate_name");
    expect(e.requestId).toMatch(/^req-/);
    await c.providers.delete(p.uuid);
  });

  it("builds trees, re-parents (1.37) and draws the tree with inventories and usages", async () => {
    const c = target().client();
    const root = await c.providers.create({ name: name("root") });
    const a = await c.providers.create({ name: name("a"), parent_provider_uuid: root.uuid });
    const b = await c.providers.create({ name: name("b"), parent_provider_uuid: root.uuid });
    await c.inventories.replace(a.uuid, a.generation, { VCPU: { total: 4 } });
    const moved = await c.providers.update(b.uuid, { name: b.name, parent_provider_uuid: a.uuid });
    expect(moved.parent_provider_uuid).toBe(a.uuid);
    const tree = await c.providers.tree(b.uuid);
    expect(tree.provider.uuid).toBe(root.uuid);
    expect(tree.children.map((n) => n.provider.uuid)).toEqual([a.uuid]);
    expect(first(tree.children).children.map((n) => n.provider.uuid)).toEqual([b.uuid]);
    expect(first(tree.children).inventories.VCPU!.total).toBe(4);
    expect(first(tree.children).usages).toEqual({ VCPU: 0 });
    expect((await c.providers.list({ inTree: root.uuid })).length).toBe(3);
    for (const p of [b, a, root]) await c.providers.delete(p.uuid);
  });
});

describe("inventories", () => {
  const target = useTarget();

  it("replaces, creates, updates, amends, deletes one and all", async () => {
    const c = target().client();
    const p = await c.providers.create({ name: name("inv") });
    const r = await c.inventories.replace(p.uuid, p.generation, { VCPU: { total: 8, allocation_ratio: 4 } });
    expect(r.inventories.VCPU).toEqual({ total: 8, reserved: 0, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 4 });
    const created = await c.inventories.create(p.uuid, r.resource_provider_generation, "MEMORY_MB", { total: 1024 });
    const updated = await c.inventories.update(p.uuid, created.resource_provider_generation, "MEMORY_MB", { total: 2048, reserved: 2048 });
    expect(updated).toMatchObject({ total: 2048, reserved: 2048 });
    expect(await c.inventories.get(p.uuid, "MEMORY_MB")).toMatchObject({ total: 2048 });
    const amended = await c.inventories.amend(p.uuid, (cur) => ({ ...cur, DISK_GB: { total: 10 } }));
    expect(Object.keys(amended.inventories).sort()).toEqual(["DISK_GB", "MEMORY_MB", "VCPU"]);
    await c.inventories.delete(p.uuid, "DISK_GB");
    await c.inventories.deleteAll(p.uuid);
    expect((await c.inventories.list(p.uuid)).inventories).toEqual({});
    await c.providers.delete(p.uuid);
  });

  it("reports a stale generation as a generation conflict, and amend retries it", async () => {
    const c = target().client();
    const p = await c.providers.create({ name: name("gen") });
    const e = await c.inventories.replace(p.uuid, p.generation + 5, { VCPU: { total: 1 } }).catch((x) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.isGenerationConflict).toBe(true);
    // Two concurrent amends both land: the loser re-reads and re-applies.
    await Promise.all([
      c.inventories.amend(p.uuid, (cur) => ({ ...cur, VCPU: { total: 2 } })),
      c.inventories.amend(p.uuid, (cur) => ({ ...cur, DISK_GB: { total: 3 } })),
    ]);
    expect(Object.keys((await c.inventories.list(p.uuid)).inventories).sort()).toEqual(["DISK_GB", "VCPU"]);
    await c.providers.delete(p.uuid);
  });
});

describe("resource classes", () => {
  const target = useTarget();
  it("lists standard ones, creates, ensures and deletes custom ones", async () => {
    const c = target().client();
    expect((await c.resourceClasses.list()).map((r) => r.name)).toContain("VCPU");
    const n = `CUSTOM_${uuid().slice(0, 8).toUpperCase().replace(/-/g, "_")}`;
    await c.resourceClasses.create(n);
    expect((await c.resourceClasses.get(n)).name).toBe(n);
    expect(await c.resourceClasses.ensure(n)).toBe(false);
    await expect(c.resourceClasses.create(n)).rejects.toBeInstanceOf(ConflictError);
    await c.resourceClasses.delete(n);
    expect(await c.resourceClasses.ensure(n)).toBe(true);
    await c.resourceClasses.delete(n);
    await expect(c.resourceClasses.create("lowercase")).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe("traits", () => {
  const target = useTarget();
  it("creates, filters, sets on providers, adds/removes with retries, and deletes", async () => {
    const c = target().client();
    const t = `CUSTOM_${uuid().slice(0, 8).toUpperCase()}`;
    expect(await c.traits.create(t)).toBe(true);
    expect(await c.traits.create(t)).toBe(false);
    expect(await c.traits.exists(t)).toBe(true);
    expect(await c.traits.list({ name: `in:${t}` })).toEqual([t]);
    const p = await c.providers.create({ name: name("tr") });
    const set = await c.providerTraits.set(p.uuid, p.generation, [t]);
    expect(set.traits).toEqual([t]);
    expect(await c.traits.list({ name: `in:${t}`, associated: true })).toEqual([t]);
    await c.providerTraits.add(p.uuid, ["HW_CPU_X86_AVX2"]);
    expect((await c.providerTraits.get(p.uuid)).traits.sort()).toEqual(["HW_CPU_X86_AVX2", t].sort());
    expect((await c.providers.list({ required: [t, "!HW_CPU_X86_SSE"] })).map((x) => x.uuid)).toEqual([p.uuid]);
    await c.providerTraits.remove(p.uuid, [t]);
    expect((await c.providerTraits.get(p.uuid)).traits).toEqual(["HW_CPU_X86_AVX2"]);
    await c.providerTraits.clear(p.uuid);
    await c.traits.delete(t);
    expect(await c.traits.exists(t)).toBe(false);
    await c.providers.delete(p.uuid);
  });
});

describe("aggregates", () => {
  const target = useTarget();
  it("sets with and without a generation, adds, and filters providers by member_of", async () => {
    const c = target().client();
    const p = await c.providers.create({ name: name("agg") });
    const [a1, a2, a3] = [uuid(), uuid(), uuid()];
    const r = await c.aggregates.set(p.uuid, [a1], p.generation);
    expect(r).toEqual({ aggregates: [a1], resource_provider_generation: p.generation + 1 });
    await c.aggregates.set(p.uuid, [a1, a2]);
    await c.aggregates.add(p.uuid, [a3]);
    expect((await c.aggregates.get(p.uuid)).aggregates.sort()).toEqual([a1, a2, a3].sort());
    expect((await c.providers.list({ memberOf: [[a2, uuid()]] })).map((x) => x.uuid)).toEqual([p.uuid]);
    expect(await c.providers.list({ memberOf: [a1], notMemberOf: [a3] })).toEqual([]);
    await c.providers.delete(p.uuid);
  });
});

describe("allocations and usages", () => {
  const target = useTarget();
  it("claims with consumer generations, moves several consumers at once, reports usages", async () => {
    const c = target().client();
    const p = await c.providers.create({ name: name("alloc") });
    await c.inventories.replace(p.uuid, p.generation, { VCPU: { total: 8 }, MEMORY_MB: { total: 1024 } });
    const [i1, i2] = [uuid(), uuid()];
    const project = uuid();
    await c.allocations.set(i1, {
      allocations: { [p.uuid]: { resources: { VCPU: 2 } } },
      project_id: project,
      user_id: "u",
      consumer_generation: null,
    });
    const got = await c.allocations.get(i1);
    expect(got).toMatchObject({ project_id: project, user_id: "u", consumer_generation: 1, consumer_type: "unknown" });
    const stale = await c.allocations.set(i1, { allocations: {}, project_id: project, user_id: "u", consumer_generation: null }).catch((x) => x);
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.isGenerationConflict).toBe(true);
    await c.allocations.setMany({
      [i1]: { allocations: { [p.uuid]: { resources: { VCPU: 1 } } }, project_id: project, user_id: "u", consumer_generation: 1, consumer_type: "INSTANCE" },
      [i2]: {
        allocations: { [p.uuid]: { resources: { MEMORY_MB: 256 } } },
        project_id: project,
        user_id: "u",
        consumer_generation: null,
        consumer_type: "MIGRATION",
      },
    });
    expect((await c.usages.forProvider(p.uuid)).usages).toEqual({ VCPU: 1, MEMORY_MB: 256 });
    expect((await c.usages.forProject({ project_id: project })).usages).toEqual({ VCPU: 1, MEMORY_MB: 256 });
    expect((await c.usages.forProject({ project_id: project, consumer_type: "MIGRATION" })).usages).toEqual({
      MIGRATION: { MEMORY_MB: 256, consumer_count: 1 },
    });
    expect(Object.keys((await c.allocations.forProvider(p.uuid)).allocations).sort()).toEqual([i1, i2].sort());
    await c.allocations.delete(i1);
    await c.allocations.delete(i2);
    expect(await c.allocations.get(i1)).toEqual({ allocations: {} });
    await c.providers.delete(p.uuid);
  });
});

describe("allocation candidates", () => {
  const target = useTarget();
  it("answers a granular request with mappings, honouring traits, aggregates and trees", async () => {
    const c = target().client();
    const agg = uuid();
    const host = await c.providers.create({ name: name("host") });
    const nic = await c.providers.create({ name: name("nic"), parent_provider_uuid: host.uuid });
    await c.inventories.replace(host.uuid, host.generation, { VCPU: { total: 8 } });
    await c.inventories.replace(nic.uuid, nic.generation, { SRIOV_NET_VF: { total: 4 } });
    await c.providerTraits.add(nic.uuid, ["HW_NIC_SRIOV"]);
    await c.aggregates.add(host.uuid, [agg]);
    const r = await c.allocationCandidates.list(
      candidateRequest()
        .resources({ VCPU: 2 })
        .memberOf(agg)
        .inTree(host.uuid)
        .group("_NET", (g) => g.resources({ SRIOV_NET_VF: 1 }).required("HW_NIC_SRIOV"))
        .groupPolicy("isolate"),
    );
    expect(r.version).toBe("1.34");
    expect(r.allocation_requests).toEqual([
      {
        allocations: { [host.uuid]: { resources: { VCPU: 2 } }, [nic.uuid]: { resources: { SRIOV_NET_VF: 1 } } },
        mappings: { "": [host.uuid], _NET: [nic.uuid] },
      },
    ]);
    expect(r.provider_summaries[nic.uuid]).toMatchObject({
      resources: { SRIOV_NET_VF: { capacity: 4, used: 0 } },
      traits: ["HW_NIC_SRIOV"],
      parent_provider_uuid: host.uuid,
      root_provider_uuid: host.uuid,
    });
    const none = await c.allocationCandidates.list({ resources: { VCPU: 1 }, inTree: host.uuid, anyOf: [["HW_CPU_X86_AVX512F", "HW_CPU_X86_SGX"]] });
    expect(none.allocation_requests).toEqual([]);
    await c.providers.delete(nic.uuid);
    await c.providers.delete(host.uuid);
  });
});

describe("reshaper", () => {
  const target = useTarget();
  it("moves inventory and allocations from a root to a new child in one call", async () => {
    // Under the new policy defaults reshaping is for the service role (noauth2 reads X-Roles).
    const c = target().client({ headers: { "x-roles": "admin,service" } });
    const root = await c.providers.create({ name: name("reshape") });
    const inv = await c.inventories.replace(root.uuid, root.generation, { VGPU: { total: 4 } });
    const consumer = uuid();
    await c.allocations.set(consumer, {
      allocations: { [root.uuid]: { resources: { VGPU: 1 } } },
      project_id: "p",
      user_id: "u",
      consumer_generation: null,
    });
    const child = await c.providers.create({ name: name("pgpu"), parent_provider_uuid: root.uuid });
    const rootNow = await c.inventories.list(root.uuid);
    await c.reshaper.reshape({
      inventories: {
        [root.uuid]: { resource_provider_generation: rootNow.resource_provider_generation, inventories: {} },
        [child.uuid]: { resource_provider_generation: child.generation, inventories: { VGPU: { total: 4 } } },
      },
      allocations: {
        [consumer]: { allocations: { [child.uuid]: { resources: { VGPU: 1 } } }, project_id: "p", user_id: "u", consumer_generation: 1 },
      },
    });
    expect(inv.inventories.VGPU!.total).toBe(4);
    // Moved: the inventory and the allocation are on the child only, the root has neither.
    expect((await c.inventories.list(root.uuid)).inventories).toEqual({});
    expect((await c.inventories.list(child.uuid)).inventories.VGPU!.total).toBe(4);
    expect((await c.usages.forProvider(child.uuid)).usages).toEqual({ VGPU: 1 });
    expect((await c.usages.forProvider(root.uuid)).usages).toEqual({});
    const moved = await c.allocations.get(consumer);
    expect(moved.allocations).toEqual({ [child.uuid]: expect.objectContaining({ resources: { VGPU: 1 } }) });
    await c.allocations.delete(consumer);
    await c.providers.delete(child.uuid);
    await c.providers.delete(root.uuid);
  });
});
