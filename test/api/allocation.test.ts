// Allocations through the front door: claims at every version, refusals, consumer generations,
// POST /allocations, and atomicity, on every database.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { sql } from "kysely";
import { lastModified, storedTime, useApi, uuid } from "../helpers/api.js";
import { seedProvider } from "../helpers/seed.js";

const INV = { VCPU: { total: 8 }, MEMORY_MB: { total: 4096, step_size: 256, max_unit: 2048 }, DISK_GB: { total: 100, reserved: 10, allocation_ratio: 1.5 } };
const who = { project_id: "proj", user_id: "user" };

describeEachDb("allocations", (dialect) => {
  const api = useApi(dialect);
  const provider = async (inv: Record<string, any> = INV) => {
    const rp = uuid();
    await seedProvider(api().store, rp, inv);
    return rp;
  };
  const detail = (r: { body: any }) => r.body.errors[0].detail as string;
  const gen = async (rp: string) => (await api().get(`/resource_providers/${rp}`)).body.generation as number;

  it("claims in the list form before 1.12 with the incomplete consumer's project", async () => {
    const rp = await provider();
    const c = uuid();
    const r = await api().put(`/allocations/${c}`, { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 2 } }] });
    expect(r.status).toBe(204);
    const g = await api().get(`/allocations/${c}`, { version: "1.12" });
    expect(g.body).toEqual({
      allocations: { [rp]: { resources: { VCPU: 2 }, generation: 1 } },
      project_id: "00000000-0000-0000-0000-000000000000",
      user_id: "00000000-0000-0000-0000-000000000000",
    });
    // Before 1.12 GET shows neither project nor user.
    expect((await api().get(`/allocations/${c}`)).body).toEqual({ allocations: { [rp]: { resources: { VCPU: 2 }, generation: 1 } } });
  });

  it("requires project and user from 1.8 and refuses the list form from 1.12", async () => {
    const rp = await provider();
    const list = { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 1 } }] };
    const a = await api().put(`/allocations/${uuid()}`, list, { version: "1.8" });
    expect(a.status).toBe(400);
    expect(detail(a)).toContain("'project_id' is a required property");
    const b = await api().put(`/allocations/${uuid()}`, { ...list, ...who }, { version: "1.12" });
    expect(b.status).toBe(400);
    expect(detail(b)).toContain("is not of type 'object'");
  });

  it("shows consumer generation from 1.28 and consumer type from 1.38, and writes them", async () => {
    const rp = await provider();
    const c = uuid();
    const body = { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: null, consumer_type: "INSTANCE" };
    expect((await api().put(`/allocations/${c}`, body, { version: "1.38" })).status).toBe(204);
    const g = await api().get(`/allocations/${c}`, { version: "1.38" });
    expect(g.body).toMatchObject({ consumer_generation: 1, consumer_type: "INSTANCE", project_id: "proj", user_id: "user" });
    const stored = await storedTime(api().store, "allocations", sql`consumer_id = ${c}`);
    expect(lastModified(g)).toBe(stored);
    expect(g.headers.get("cache-control")).toBe("no-cache");
    const stale = await api().put(`/allocations/${c}`, { ...body, consumer_generation: null }, { version: "1.38" });
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0].code).toBe("placement.concurrent_update");
    expect(detail(stale)).toContain("consumer generation conflict - expected 1 but got None");
    const missingType = await api().put(`/allocations/${c}`, { ...body, consumer_generation: 1, consumer_type: undefined }, { version: "1.38" });
    expect(missingType.status).toBe(400);
    const ok = await api().put(`/allocations/${c}`, { ...body, consumer_generation: 1, consumer_type: "MIGRATION" }, { version: "1.38" });
    expect(ok.status).toBe(204);
    expect((await api().get(`/allocations/${c}`, { version: "1.38" })).body).toMatchObject({ consumer_generation: 2, consumer_type: "MIGRATION" });
    const byRp = await api().get(`/resource_providers/${rp}/allocations`, { version: "1.28" });
    expect(byRp.body).toEqual({ allocations: { [c]: { resources: { VCPU: 1 }, consumer_generation: 2 } }, resource_provider_generation: 2 });
  });

  it("refuses over capacity, constraint violations and missing inventory with 409", async () => {
    const rp = await provider();
    const put = (res: Record<string, number>) =>
      api().put(`/allocations/${uuid()}`, { allocations: { [rp]: { resources: res } }, ...who }, { version: "1.23" });
    const over = await put({ VCPU: 9 });
    expect(over.status).toBe(409);
    expect(detail(over)).toContain(
      `Unable to allocate inventory: Unable to create allocation for 'VCPU' on resource provider '${rp}'. The requested amount would exceed the capacity.`,
    );
    expect(over.body.errors[0].code).toBe("placement.undefined_code");
    const step = await put({ MEMORY_MB: 100 });
    expect(detail(step)).toContain("would violate inventory constraints");
    expect((await put({ MEMORY_MB: 2304 })).status).toBe(409);
    // (100 - 10) * 1.5 = 135
    expect((await put({ DISK_GB: 136 })).status).toBe(409);
    expect((await put({ DISK_GB: 135 })).status).toBe(204);
    const noInv = await put({ VGPU: 1 });
    expect(noInv.status).toBe(409);
    expect(detail(noInv)).toContain(`Inventory for 'VGPU' on resource provider '${rp}' invalid.`);
    const badClass = await put({ CUSTOM_NOPE: 1 });
    expect(badClass.status).toBe(400);
    expect(detail(badClass)).toMatch(/Unable to allocate inventory for consumer [0-9a-f-]{36}: No such resource class CUSTOM_NOPE\./);
    const noRp = uuid();
    const missing = await api().put(`/allocations/${uuid()}`, { allocations: { [noRp]: { resources: { VCPU: 1 } } }, ...who }, { version: "1.12" });
    expect(missing.status).toBe(400);
    expect(detail(missing)).toContain(`Allocation for resource provider '${noRp}' that does not exist.`);
    const bad = await api().put("/allocations/nope", { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who }, { version: "1.12" });
    expect(detail(bad)).toContain("Malformed consumer_uuid: nope");
    const media = await api().request("PUT", `/allocations/${uuid()}`, { raw: "{}", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
  });

  it("checks capacity across every consumer of a POST and changes nothing when one fails", async () => {
    const rp = await provider();
    const [a, b] = [uuid(), uuid()];
    const before = await gen(rp);
    const r = await api().post(
      "/allocations",
      {
        [a]: { allocations: { [rp]: { resources: { VCPU: 5 } } }, ...who },
        [b]: { allocations: { [rp]: { resources: { VCPU: 4 } } }, ...who },
      },
      { version: "1.13" },
    );
    expect(r.status).toBe(409);
    expect(await gen(rp)).toBe(before);
    expect((await api().get(`/allocations/${a}`)).body).toEqual({ allocations: {} });
    expect((await api().get(`/resource_providers/${rp}/usages`)).body.usages.VCPU).toBe(0);
    // A failed claim for a new consumer leaves no consumer behind: null still means "new".
    const again = await api().put(
      `/allocations/${a}`,
      { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: null },
      { version: "1.28" },
    );
    expect(again.status).toBe(204);
  });

  it("replaces a consumer's allocations, bumps generations, and deletes them", async () => {
    const [rp1, rp2] = [await provider(), await provider()];
    const c = uuid();
    const put = (body: object, g: number | null) => api().put(`/allocations/${c}`, { ...body, ...who, consumer_generation: g }, { version: "1.28" });
    expect((await put({ allocations: { [rp1]: { resources: { VCPU: 8 } } } }, null)).status).toBe(204);
    // The consumer's own allocation does not count against its replacement.
    expect((await put({ allocations: { [rp1]: { resources: { VCPU: 8 } }, [rp2]: { resources: { VCPU: 1 } } } }, 1)).status).toBe(204);
    expect([await gen(rp1), await gen(rp2)]).toEqual([2, 1]);
    expect((await put({ allocations: {} }, 2)).status).toBe(204);
    expect((await api().get(`/allocations/${c}`, { version: "1.28" })).body).toEqual({ allocations: {} });
    // The consumer went with its last allocation.
    expect((await put({ allocations: { [rp2]: { resources: { VCPU: 1 } } } }, null)).status).toBe(204);
    expect((await api().del(`/allocations/${c}`)).status).toBe(204);
    const gone = await api().del(`/allocations/${c}`);
    expect(gone.status).toBe(404);
    expect(detail(gone)).toContain(`No allocations for consumer '${c}'`);
    const none = await api().get(`/resource_providers/${uuid()}/allocations`);
    expect(none.status).toBe(404);
  });

  it("normalizes the consumer uuid of a PUT", async () => {
    const rp = await provider();
    const c = uuid();
    const r = await api().put(`/allocations/${c.replace(/-/g, "").toUpperCase()}`, {
      allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 1 } }],
    });
    expect(r.status).toBe(204);
    expect(Object.keys((await api().get(`/allocations/${c}`)).body.allocations)).toEqual([rp]);
  });

  it("is for admins and services only", async () => {
    const rp = await provider();
    const c = uuid();
    const as = { token: "someone:proj", headers: { "x-roles": "reader,member" }, version: "1.28" };
    const body = { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: null };
    expect((await api().put(`/allocations/${c}`, body, as)).status).toBe(403);
    expect((await api().post("/allocations", { [c]: body }, as)).status).toBe(403);
    expect((await api().get(`/allocations/${c}`, as)).status).toBe(403);
    expect((await api().del(`/allocations/${c}`, as)).status).toBe(403);
    expect((await api().get(`/resource_providers/${rp}/allocations`, as)).status).toBe(403);
    expect((await api().put(`/allocations/${c}`, body, { version: "1.28", token: "svc", headers: { "x-roles": "service" } })).status).toBe(204);
  });
});
