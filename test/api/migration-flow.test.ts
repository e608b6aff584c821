// Nova's migration, end to end: the instance's allocation moves to the migration uuid while the
// instance claims the destination (POST /allocations); confirm drops the migration's, revert moves
// it back.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid } from "../helpers/api.js";

const FLAVOR = { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 20 };

describeEachDb("migration flow", (dialect) => {
  const api = useApi(dialect);
  const who = { project_id: "proj", user_id: "user" };

  async function host() {
    const rp = uuid();
    await api().post("/resource_providers", { name: `host-${rp}`, uuid: rp }, { version: "1.20" });
    const inv = { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 }, DISK_GB: { total: 40 } };
    expect((await api().put(`/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: inv })).status).toBe(200);
    return rp;
  }
  const usages = async (rp: string) => (await api().get(`/resource_providers/${rp}/usages`)).body.usages;
  const show = async (c: string) => (await api().get(`/allocations/${c}`, { version: "1.28" })).body;

  async function migrate() {
    const [src, dst, inst, mig] = [await host(), await host(), uuid(), uuid()];
    expect(
      (await api().put(`/allocations/${inst}`, { allocations: { [src]: { resources: FLAVOR } }, ...who, consumer_generation: null }, { version: "1.28" }))
        .status,
    ).toBe(204);
    const move = await api().post(
      "/allocations",
      {
        [mig]: { allocations: { [src]: { resources: FLAVOR } }, ...who, consumer_generation: null },
        [inst]: { allocations: { [dst]: { resources: FLAVOR } }, ...who, consumer_generation: 1 },
      },
      { version: "1.28" },
    );
    expect(move.status).toBe(204);
    expect(await usages(src)).toEqual(FLAVOR);
    expect(await usages(dst)).toEqual(FLAVOR);
    expect(Object.keys((await show(mig)).allocations)).toEqual([src]);
    expect(await show(inst)).toMatchObject({ allocations: { [dst]: { resources: FLAVOR } }, consumer_generation: 2 });
    return { src, dst, inst, mig };
  }

  it("confirms: the migration's allocation on the source goes away", async () => {
    const { src, dst, mig } = await migrate();
    const r = await api().put(`/allocations/${mig}`, { allocations: {}, ...who, consumer_generation: 1 }, { version: "1.28" });
    expect(r.status).toBe(204);
    expect(await usages(src)).toEqual({ VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 });
    expect(await usages(dst)).toEqual(FLAVOR);
    expect(await show(mig)).toEqual({ allocations: {} });
  });

  it("reverts: the instance goes back to the source and the migration disappears", async () => {
    const { src, dst, inst, mig } = await migrate();
    const r = await api().post(
      "/allocations",
      {
        [inst]: { allocations: { [src]: { resources: FLAVOR } }, ...who, consumer_generation: 2 },
        [mig]: { allocations: {}, ...who, consumer_generation: 1 },
      },
      { version: "1.28" },
    );
    expect(r.status).toBe(204);
    expect(await usages(src)).toEqual(FLAVOR);
    expect(await usages(dst)).toEqual({ VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 });
    expect(await show(inst)).toMatchObject({ allocations: { [src]: { resources: FLAVOR } }, consumer_generation: 3 });
    expect(await show(mig)).toEqual({ allocations: {} });
  });

  it("refuses a move onto a full host and leaves both consumers as they were", async () => {
    const { src, inst } = await migrate();
    const full = await host();
    await api().put(`/allocations/${uuid()}`, { allocations: { [full]: { resources: { VCPU: 4 } } }, ...who, consumer_generation: null }, { version: "1.28" });
    const mig2 = uuid();
    const r = await api().post(
      "/allocations",
      {
        [mig2]: { allocations: { [src]: { resources: FLAVOR } }, ...who, consumer_generation: null },
        [inst]: { allocations: { [full]: { resources: FLAVOR } }, ...who, consumer_generation: 2 },
      },
      { version: "1.28" },
    );
    expect(r.status).toBe(409);
    expect(await show(mig2)).toEqual({ allocations: {} });
    expect((await show(inst)).consumer_generation).toBe(2);
  });
});
