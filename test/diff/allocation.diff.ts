// The reference and Berth answer allocation, usage and reshaper requests the same way.
import { describe, it } from "vitest";
import { reachable, same, type Step, useBerthUnderTest } from "./harness.js";

const up = await reachable();
const u = () => crypto.randomUUID();
const VERSIONS = ["1.0", "1.8", "1.12", "1.13", "1.28", "1.34", "1.38", "latest"];

const put = (path: string, body: unknown, version: string): Step => ({ method: "PUT", path, body, version });
const post = (path: string, body: unknown, version: string): Step => ({ method: "POST", path, body, version });
// NOTE: the reshaper is service-only in Berth's (upstream) defaults and system-admin in 8.0.0's; this passes both.
const reshape = (body: unknown, version: string): Step => ({ ...post("/reshaper", body, version), headers: { "x-roles": "admin,service" } });
const get = (path: string, version: string): Step => ({ path, version });

/** A provider with inventory, created the same way on both sides. */
function provider(
  uuid: string,
  inventories: Record<string, unknown> = {
    VCPU: { total: 8 },
    MEMORY_MB: { total: 4096, step_size: 256, max_unit: 2048 },
    DISK_GB: { total: 100, reserved: 10, allocation_ratio: 1.5 },
  },
): Step[] {
  return [
    post("/resource_providers", { name: `alloc-${uuid}`, uuid }, "1.20"),
    put(`/resource_providers/${uuid}/inventories`, { resource_provider_generation: 0, inventories }, "1.20"),
  ];
}

function listBody(rp: string, resources: Record<string, number>, extra: Record<string, unknown> = {}) {
  return { allocations: [{ resource_provider: { uuid: rp }, resources }], ...extra };
}
function dictBody(rp: string, resources: Record<string, number>, extra: Record<string, unknown> = {}) {
  return { allocations: { [rp]: { resources } }, ...extra };
}

describe.skipIf(!up)("allocations against the reference", () => {
  const berth = useBerthUnderTest();

  it("claims, shows and deletes at every version", async () => {
    for (const v of VERSIONS) {
      const rp = u();
      const c = u();
      const proj = u();
      const user = u();
      const m = v === "latest" ? 39 : Number(v.split(".")[1]);
      const extra: Record<string, unknown> = {};
      if (m >= 8) Object.assign(extra, { project_id: proj, user_id: user });
      if (m >= 28) extra.consumer_generation = null;
      if (m >= 38) extra.consumer_type = "INSTANCE";
      const body = m >= 12 ? dictBody(rp, { VCPU: 2, MEMORY_MB: 512 }, extra) : listBody(rp, { VCPU: 2, MEMORY_MB: 512 }, extra);
      await same(
        berth.app,
        ...provider(rp),
        put(`/allocations/${c}`, body, v),
        get(`/allocations/${c}`, v),
        get(`/resource_providers/${rp}/allocations`, v),
        get(`/resource_providers/${rp}/usages`, v),
        get(`/resource_providers/${rp}`, v),
        get(`/usages?project_id=${proj}`, v),
        get(`/usages?project_id=${proj}&user_id=${user}`, v),
        { method: "DELETE", path: `/allocations/${c}`, version: v },
        { method: "DELETE", path: `/allocations/${c}`, version: v },
        get(`/allocations/${c}`, v),
        get(`/resource_providers/${rp}`, v),
      );
    }
  });

  it("refuses what does not fit, with the reference's words", async () => {
    for (const v of ["1.0", "1.12", "1.28", "latest"]) {
      const rp = u();
      const m = v === "latest" ? 39 : Number(v.split(".")[1]);
      const extra: Record<string, unknown> = {};
      if (m >= 8) Object.assign(extra, { project_id: "p", user_id: "u" });
      if (m >= 28) extra.consumer_generation = null;
      if (m >= 38) extra.consumer_type = "INSTANCE";
      const b = (res: Record<string, number>, on = rp) => (m >= 12 ? dictBody(on, res, extra) : listBody(on, res, extra));
      await same(
        berth.app,
        ...provider(rp),
        put(`/allocations/${u()}`, b({ VCPU: 9 }), v),
        put(`/allocations/${u()}`, b({ MEMORY_MB: 100 }), v),
        put(`/allocations/${u()}`, b({ MEMORY_MB: 4096 }), v),
        put(`/allocations/${u()}`, b({ DISK_GB: 136 }), v),
        put(`/allocations/${u()}`, b({ DISK_GB: 135 }), v),
        put(`/allocations/${u()}`, b({ VGPU: 1 }), v),
        put(`/allocations/${u()}`, b({ CUSTOM_NOPE: 1 }), v),
        put(`/allocations/${u()}`, b({ VCPU: 1 }, u()), v),
        put(`/allocations/${u()}`, b({ VCPU: 0 }), v),
        put(`/allocations/${u()}`, b({}), v),
        put(`/allocations/${u()}`, { allocations: m >= 12 ? {} : [], ...extra }, v),
        put(`/allocations/not-a-uuid`, b({ VCPU: 1 }), v),
        put(`/allocations/${u()}`, {}, v),
        { method: "PUT", path: `/allocations/${u()}`, raw: "{}", headers: { "content-type": "text/plain" }, version: v },
        get(`/resource_providers/${rp}/usages`, v),
        get(`/resource_providers/${u()}/usages`, v),
        get(`/resource_providers/${u()}/allocations`, v),
      );
    }
  });

  it("checks consumer generations from 1.28", async () => {
    const rp = u();
    const c = u();
    const base = { project_id: "p", user_id: "u" };
    await same(
      berth.app,
      ...provider(rp),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: 3 }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: null }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: null }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: 7 }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 2 }, { ...base, consumer_generation: 1 }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 2 }, base), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 3 }, base), "1.27"),
      get(`/allocations/${c}`, "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 3 }, { ...base, consumer_generation: 3, consumer_type: "MIGRATION" }), "1.38"),
      get(`/allocations/${c}`, "1.38"),
      get(`/usages?project_id=p&user_id=u&consumer_type=MIGRATION`, "1.38"),
      put(`/allocations/${c}`, { allocations: {}, ...base, consumer_generation: 4 }, "1.28"),
      get(`/allocations/${c}`, "1.28"),
      get(`/resource_providers/${rp}/allocations`, "1.28"),
      get(`/resource_providers/${rp}`, "1.28"),
    );
  });

  it("keeps an emptied new consumer as the reference does", async () => {
    const rp = u();
    const c = u();
    const base = { project_id: "p", user_id: "u" };
    await same(
      berth.app,
      ...provider(rp),
      put(`/allocations/${c}`, { allocations: {}, ...base, consumer_generation: null }, "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: null }), "1.28"),
      put(`/allocations/${c}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_generation: 0 }), "1.28"),
      get(`/allocations/${c}`, "1.28"),
    );
  });

  it("moves allocations to a migration and back with POST /allocations", async () => {
    const [src, dst, inst, mig] = [u(), u(), u(), u()];
    const base = { project_id: "proj", user_id: "user" };
    const flavor = { VCPU: 2, MEMORY_MB: 1024, DISK_GB: 20 };
    await same(
      berth.app,
      ...provider(src),
      ...provider(dst),
      put(`/allocations/${inst}`, dictBody(src, flavor, { ...base, consumer_generation: null }), "1.28"),
      // Nova's move: the instance's source allocation goes to the migration, the instance claims the destination.
      post(
        "/allocations",
        {
          [mig]: { allocations: { [src]: { resources: flavor } }, ...base, consumer_generation: null },
          [inst]: { allocations: { [dst]: { resources: flavor } }, ...base, consumer_generation: 1 },
        },
        "1.28",
      ),
      get(`/allocations/${inst}`, "1.28"),
      get(`/allocations/${mig}`, "1.28"),
      get(`/resource_providers/${src}/usages`, "1.28"),
      get(`/resource_providers/${dst}/usages`, "1.28"),
      get(`/resource_providers/${src}`, "1.28"),
      get(`/resource_providers/${dst}`, "1.28"),
      // Revert: the migration's allocation goes back to the instance.
      post(
        "/allocations",
        {
          [inst]: { allocations: { [src]: { resources: flavor } }, ...base, consumer_generation: 2 },
          [mig]: { allocations: {}, ...base, consumer_generation: 1 },
        },
        "1.28",
      ),
      get(`/allocations/${inst}`, "1.28"),
      get(`/allocations/${mig}`, "1.28"),
      get(`/resource_providers/${src}`, "1.28"),
      get(`/resource_providers/${dst}`, "1.28"),
      get(`/resource_providers/${dst}/usages`, "1.28"),
      post("/allocations", {}, "1.13"),
      post("/allocations", { [inst]: { allocations: {}, ...base } }, "1.12"),
      post("/allocations", { nope: { allocations: {}, ...base } }, "1.13"),
      post("/allocations", { [u()]: { allocations: { [src]: { resources: { VCPU: 100 } } }, ...base } }, "1.13"),
      post("/allocations", { [u()]: { allocations: { [src]: { resources: { CUSTOM_X: 1 } } }, ...base } }, "1.13"),
      post("/allocations", { [u()]: { allocations: { [u()]: { resources: { VCPU: 1 } } }, ...base } }, "1.13"),
      post("/allocations", { [inst]: { allocations: {}, ...base, consumer_generation: 0 } }, "1.28"),
      post("/allocations", { [mig]: { allocations: {}, ...base, consumer_generation: 5 } }, "1.28"),
      post("/allocations", { [u()]: { allocations: {}, ...base, consumer_generation: null, mappings: { "": [src] } } }, "1.34"),
      post(
        "/allocations",
        { [u()]: { allocations: { [src]: { resources: { VCPU: 1 } } }, ...base, consumer_generation: null, mappings: { a: [src] } } },
        "1.34",
      ),
      post("/allocations", { [u()]: { allocations: { [src]: { resources: { VCPU: 1 } } }, ...base, consumer_generation: null } }, "1.38"),
    );
  });

  it("reports usages by consumer type from 1.38", async () => {
    const rp = u();
    const proj = u();
    const base = { project_id: proj, user_id: "u1", consumer_generation: null };
    await same(
      berth.app,
      ...provider(rp),
      put(`/allocations/${u()}`, dictBody(rp, { VCPU: 1, MEMORY_MB: 256 }, { ...base, consumer_type: "INSTANCE" }), "1.38"),
      put(`/allocations/${u()}`, dictBody(rp, { VCPU: 2 }, { ...base, consumer_type: "INSTANCE" }), "1.38"),
      put(`/allocations/${u()}`, dictBody(rp, { VCPU: 1 }, { ...base, consumer_type: "MIGRATION" }), "1.38"),
      put(`/allocations/${u()}`, dictBody(rp, { DISK_GB: 5 }, { ...base, user_id: "u2" }), "1.28"),
      get(`/usages?project_id=${proj}`, "1.38"),
      get(`/usages?project_id=${proj}`, "1.37"),
      get(`/usages?project_id=${proj}&consumer_type=all`, "1.38"),
      get(`/usages?project_id=${proj}&consumer_type=unknown`, "1.38"),
      get(`/usages?project_id=${proj}&consumer_type=INSTANCE`, "1.38"),
      get(`/usages?project_id=${proj}&consumer_type=NOPE`, "1.38"),
      get(`/usages?project_id=${proj}&user_id=u2`, "1.38"),
      get(`/usages?project_id=${proj}&consumer_type=bad`, "1.38"),
      get(`/usages?project_id=${proj}&consumer_type=INSTANCE`, "1.37"),
      get(`/usages`, "1.9"),
      get(`/usages?project_id=${proj}`, "1.8"),
      get(`/usages?project_id=`, "1.9"),
    );
  });

  it("reshapes a VGPU inventory from the root to a child", async () => {
    const [root, child, inst] = [u(), u(), u()];
    const base = { project_id: "p", user_id: "u" };
    await same(
      berth.app,
      post("/resource_providers", { name: `root-${root}`, uuid: root }, "1.20"),
      put(`/resource_providers/${root}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 8 }, VGPU: { total: 4 } } }, "1.20"),
      post("/resource_providers", { name: `child-${child}`, uuid: child, parent_provider_uuid: root }, "1.20"),
      put(`/allocations/${inst}`, dictBody(root, { VCPU: 2, VGPU: 1 }, { ...base, consumer_generation: null }), "1.28"),
      reshape({ inventories: {}, allocations: {} }, "1.29"),
      reshape({ inventories: {}, allocations: {} }, "1.30"),
      reshape({ inventories: { [u()]: { resource_provider_generation: 0, inventories: {} } }, allocations: {} }, "1.30"),
      reshape({ inventories: { [root]: { resource_provider_generation: 99, inventories: {} } }, allocations: {} }, "1.30"),
      reshape({ inventories: { [root]: { resource_provider_generation: 2, inventories: { VCPU: { total: 8 } } } }, allocations: {} }, "1.30"),
      reshape(
        {
          inventories: {
            [root]: { resource_provider_generation: 2, inventories: { VCPU: { total: 8 } } },
            [child]: { resource_provider_generation: 0, inventories: { VGPU: { total: 4 }, CUSTOM_NOPE: { total: 1 } } },
          },
          allocations: {},
        },
        "1.30",
      ),
      reshape(
        {
          inventories: {
            [root]: { resource_provider_generation: 2, inventories: { VCPU: { total: 8 } } },
            [child]: { resource_provider_generation: 0, inventories: { VGPU: { total: 4 } } },
          },
          allocations: {
            [inst]: { allocations: { [root]: { resources: { VCPU: 2 } }, [child]: { resources: { VGPU: 5 } } }, ...base, consumer_generation: 1 },
          },
        },
        "1.30",
      ),
      reshape(
        {
          inventories: {
            [root]: { resource_provider_generation: 2, inventories: { VCPU: { total: 8 } } },
            [child]: { resource_provider_generation: 0, inventories: { VGPU: { total: 4 } } },
          },
          allocations: {
            [inst]: { allocations: { [root]: { resources: { VCPU: 2 } }, [child]: { resources: { VGPU: 1 } } }, ...base, consumer_generation: 1 },
          },
        },
        "1.30",
      ),
      get(`/allocations/${inst}`, "1.30"),
      get(`/resource_providers/${root}/inventories`, "1.30"),
      get(`/resource_providers/${child}/inventories`, "1.30"),
      get(`/resource_providers/${root}`, "1.30"),
      get(`/resource_providers/${child}`, "1.30"),
      get(`/resource_providers/${child}/usages`, "1.30"),
    );
  });

  it("answers the odd requests the same way", async () => {
    const [rp, rp2, c] = [u(), u(), u()];
    const [P, P2] = [u(), u()];
    const who = { project_id: P, user_id: "u" };
    await same(
      berth.app,
      ...provider(rp),
      ...provider(rp2),
      // A provider listed twice in the list form: the last entry wins.
      put(
        `/allocations/${c}`,
        {
          allocations: [
            { resource_provider: { uuid: rp }, resources: { VCPU: 1 } },
            { resource_provider: { uuid: rp }, resources: { VCPU: 3 } },
          ],
        },
        "1.0",
      ),
      get(`/allocations/${c}`, "1.12"),
      // A different project and user move the consumer; the optional provider generation is ignored.
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 }, generation: 99 } }, project_id: P2, user_id: "u2" }, "1.12"),
      get(`/allocations/${c}`, "1.28"),
      get(`/usages?project_id=${P2}`, "1.9"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: "1" }, "1.28"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: 2, mappings: {} }, "1.34"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: 2, mappings: { x: [] } }, "1.34"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: 2, mappings: { x: [rp] } }, "1.33"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: 2, consumer_type: "lower" }, "1.38"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 }, [rp2]: { resources: { VCPU: 1 } } } }, ...who }, "1.12"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { vcpu: 1 } } }, ...who }, "1.12"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } }, [rp2]: { resources: { VGPU: 1, DISK_GB: 1 } } }, ...who }, "1.12"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VGPU: 1, PCI_DEVICE: 1 } } }, ...who }, "1.12"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: "", user_id: "u" }, "1.8"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, extra: 1 }, "1.8"),
      put(`/allocations/${c}`, { allocations: [{ resource_provider: { uuid: "nope" }, resources: { VCPU: 1 } }] }, "1.0"),
      put(`/allocations/${c}`, { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 1 } }], project_id: "p" }, "1.0"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 2 } } }, ...who, consumer_generation: 2 }, "latest"),
      put(`/allocations/${c}`, { allocations: { [rp]: { resources: { VCPU: 2 } } }, ...who, consumer_generation: 2, consumer_type: "INSTANCE" }, "latest"),
      get(`/allocations/${c}`, "latest"),
      get(`/allocations/not-a-uuid`, "latest"),
      { method: "DELETE", path: `/allocations/not-a-uuid`, version: "latest" },
      get(`/resource_providers/${rp}/allocations`, "1.0"),
      get(`/resource_providers/${rp}/allocations`, "latest"),
      get(`/resource_providers/${rp}/usages`, "1.0"),
      get(`/usages?project_id=${P}&project_id=${P2}`, "1.9"),
      get(`/usages?project_id=${P}&bogus=1`, "1.9"),
      { method: "PUT", path: `/allocations/${c}`, headers: { "x-roles": "reader" }, token: "someone:proj", body: {}, version: "1.28" },
      { path: `/allocations/${c}`, headers: { "x-roles": "reader" }, token: "someone:proj", version: "1.28" },
      { path: `/usages?project_id=${P}`, headers: { "x-roles": "reader" }, token: `someone:${P}`, version: "1.28" },
      { path: `/usages?project_id=${P2}`, headers: { "x-roles": "reader" }, token: `someone:${P}`, version: "1.28" },
    );
  });
});
