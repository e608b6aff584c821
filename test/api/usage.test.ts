// Usages of a provider and of a project (1.9), grouped by consumer type from 1.38.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { lastModified, toSecond, useApi, uuid } from "../helpers/api.js";
import { seedProvider } from "../helpers/seed.js";

describeEachDb("usages", (dialect) => {
  const api = useApi(dialect);
  const claim = (rp: string, res: Record<string, number>, project: string, user: string, type?: string) =>
    api().put(
      `/allocations/${uuid()}`,
      { allocations: { [rp]: { resources: res } }, project_id: project, user_id: user, consumer_generation: null, ...(type ? { consumer_type: type } : {}) },
      { version: type ? "1.38" : "1.28" },
    );

  it("shows a provider's usage for every class it has inventory of", async () => {
    const rp = uuid();
    await seedProvider(api().store, rp, { VCPU: { total: 8 }, MEMORY_MB: { total: 1024 } });
    await claim(rp, { VCPU: 3 }, "p", "u");
    const before = toSecond(Date.now());
    const r = await api().get(`/resource_providers/${rp}/usages`, { version: "1.15" });
    expect(r.body).toEqual({ resource_provider_generation: 1, usages: { VCPU: 3, MEMORY_MB: 0 } });
    // Usage is "now": the time of the request, as the reference's.
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    const missing = await api().get(`/resource_providers/${uuid()}/usages`);
    expect(missing.status).toBe(404);
  });

  it("sums a project's and a user's usage, by consumer type from 1.38", async () => {
    const rp = uuid();
    const project = uuid();
    await seedProvider(api().store, rp, { VCPU: { total: 64 }, MEMORY_MB: { total: 8192 } });
    await claim(rp, { VCPU: 1, MEMORY_MB: 256 }, project, "u1", "INSTANCE");
    await claim(rp, { VCPU: 2 }, project, "u1", "INSTANCE");
    await claim(rp, { VCPU: 4 }, project, "u2", "MIGRATION");
    await claim(rp, { VCPU: 8 }, project, "u2");
    expect((await api().get(`/usages?project_id=${project}`, { version: "1.9" })).body).toEqual({ usages: { VCPU: 15, MEMORY_MB: 256 } });
    expect((await api().get(`/usages?project_id=${project}&user_id=u2`, { version: "1.9" })).body).toEqual({ usages: { VCPU: 12 } });
    expect((await api().get(`/usages?project_id=${project}`, { version: "1.38" })).body).toEqual({
      usages: {
        INSTANCE: { VCPU: 3, MEMORY_MB: 256, consumer_count: 2 },
        MIGRATION: { VCPU: 4, consumer_count: 1 },
        unknown: { VCPU: 8, consumer_count: 1 },
      },
    });
    expect((await api().get(`/usages?project_id=${project}&consumer_type=all`, { version: "1.38" })).body).toEqual({
      usages: { all: { VCPU: 15, MEMORY_MB: 256, consumer_count: 4 } },
    });
    expect((await api().get(`/usages?project_id=${project}&consumer_type=unknown`, { version: "1.38" })).body).toEqual({
      usages: { unknown: { VCPU: 8, consumer_count: 1 } },
    });
    expect((await api().get(`/usages?project_id=${project}&consumer_type=MIGRATION`, { version: "1.38" })).body).toEqual({
      usages: { MIGRATION: { VCPU: 4, consumer_count: 1 } },
    });
    expect((await api().get(`/usages?project_id=${uuid()}`, { version: "1.38" })).body).toEqual({ usages: {} });
  });

  it("validates the query and exists only from 1.9", async () => {
    expect((await api().get(`/usages?project_id=x`, { version: "1.8" })).status).toBe(404);
    const r = await api().get(`/usages`, { version: "1.9" });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].detail).toContain("Invalid query string parameters: 'project_id' is a required property");
    expect((await api().get(`/usages?project_id=x&consumer_type=ALL`, { version: "1.37" })).status).toBe(400);
    expect((await api().get(`/usages?project_id=x&consumer_type=bad`, { version: "1.38" })).status).toBe(400);
  });

  it("lets a project reader read its own project's usage only", async () => {
    const ok = await api().get(`/usages?project_id=mine`, { version: "1.9", token: "reader:mine", headers: { "x-roles": "reader" } });
    expect(ok.status).toBe(200);
    const no = await api().get(`/usages?project_id=theirs`, { version: "1.9", token: "reader:mine", headers: { "x-roles": "reader" } });
    expect(no.status).toBe(403);
  });
});
