// The reference and Berth answer the inventory endpoints the same way at every version the issue
// names (1.0, 1.14, 1.20, 1.37, latest) and at the versions where inventories change (1.5: DELETE
// all, 1.15: last-modified, 1.23: error codes, 1.26: reserved may equal total).
import { describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { ask, reachable, same, type Answer, type Step, useBerthUnderTest } from "./harness.js";

const up = await reachable();
const u = () => crypto.randomUUID();
const tag = () => u().replace(/-/g, "").slice(0, 12).toUpperCase();
const VERSIONS = ["1.0", "1.5", "1.14", "1.15", "1.20", "1.23", "1.26", "1.37", "latest"];

/**
 * Sends a POST of an inventory that may exist already; says whether it was created. NOTE: accepted
 * difference: for an existing class the reference's 409 detail is its raw database error (SQL and
 * parameters), so a 409 is compared without its detail.
 */
async function postExisting(app: Hono, step: Step): Promise<Answer> {
  const { ref, ours } = await ask(step, app);
  const strip = (a: Answer) => {
    if (a.status === 409) for (const e of (a.body as { errors: { detail?: string }[] }).errors) delete e.detail;
    return a;
  };
  expect({ step: `POST ${step.path} @${step.version}`, ...strip(ours) }).toEqual({ step: `POST ${step.path} @${step.version}`, ...strip(ref) });
  return ours;
}

describe.skipIf(!up)("inventories against the reference", () => {
  const berth = useBerthUnderTest();

  it.each(VERSIONS)("a provider's inventories at %s", async (version) => {
    const rp = u();
    const missing = u();
    const custom = `CUSTOM_INV_${tag()}`;
    const inv = `/resource_providers/${rp}/inventories`;
    const gone = `/resource_providers/${missing}/inventories`;
    // The provider's generation as both sides last reported it (they are compared equal first).
    let gen = 0;
    const step = async (s: Omit<Step, "version">) => {
      const [a] = await same(berth.app, { ...s, version });
      const g = (a!.body as { resource_provider_generation?: number } | null)?.resource_provider_generation;
      if (typeof g === "number") gen = g;
      return a!;
    };
    const post = (body: unknown) => step({ method: "POST", path: inv, body });
    const put = (path: string, body: () => unknown) => step({ method: "PUT", path, body: body() });

    await same(berth.app, { method: "POST", path: "/resource_providers", body: { name: `inv-${rp}`, uuid: rp }, version: "1.20" });
    await same(berth.app, { method: "POST", path: "/resource_classes", body: { name: custom }, version: "1.2" });
    await step({ path: inv });
    await post({ resource_class: "VCPU", total: 8 });
    await post({ resource_class: "CUSTOM_NOPE_INV_ZZ", total: 8 });
    await post({ resource_class: "DISK_GB", total: 8, reserved: 8 });
    await post({ resource_class: "MEMORY_MB", total: 8, reserved: 9 });
    await post({ resource_class: custom, total: 3, max_unit: 2, min_unit: 2, step_size: 1, allocation_ratio: 2 });
    // From 1.26 DISK_GB exists by now: the reference's detail is then its raw database error.
    const again = await postExisting(berth.app, { method: "POST", path: inv, body: { resource_class: "DISK_GB", total: 100, allocation_ratio: 1 }, version });
    if (again.status === 201) gen = (again.body as { resource_provider_generation: number }).resource_provider_generation;
    await step({ path: `${inv}/VCPU` });
    await step({ path: `${inv}/MEMORY_MB` });
    await step({ path: `${inv}/${custom}` });
    // Class names match exactly (MySQL's collations would not by themselves).
    await step({ path: `${inv}/vcpu` });
    await put(`${inv}/vcpu`, () => ({ resource_provider_generation: gen, total: 16 }));
    await step({ method: "DELETE", path: `${inv}/vcpu` });
    await put(inv, () => ({ resource_provider_generation: gen, inventories: { "VCPU ": { total: 8 } } }));
    await put(`${inv}/VCPU`, () => ({ resource_provider_generation: gen, total: 16, reserved: 16 }));
    await put(`${inv}/VCPU`, () => ({ resource_provider_generation: gen, total: 16, reserved: 2, allocation_ratio: 1.5, step_size: 2 }));
    await put(`${inv}/VCPU`, () => ({ resource_provider_generation: 0, total: 16 }));
    await put(`${inv}/MEMORY_MB`, () => ({ resource_provider_generation: gen, total: 16 }));
    await put(`${inv}/CUSTOM_NOPE_INV_ZZ`, () => ({ resource_provider_generation: gen, total: 16 }));
    await put(`${inv}/VCPU`, () => ({ resource_provider_generation: gen, total: 16, min_unit: 4, max_unit: 2 }));
    await step({ path: inv });
    await put(inv, () => ({
      resource_provider_generation: gen,
      inventories: { VCPU: { total: 4 }, DISK_GB: { total: 10, allocation_ratio: 1.5 }, MEMORY_MB: { total: 512, reserved: 512 } },
    }));
    await put(inv, () => ({ resource_provider_generation: gen, inventories: { VCPU: { total: 4 }, DISK_GB: { total: 10, allocation_ratio: 1.5 } } }));
    await put(inv, () => ({ resource_provider_generation: gen, inventories: { VCPU: { total: 4 }, CUSTOM_NOPE_INV_ZZ: { total: 1 } } }));
    await put(inv, () => ({ resource_provider_generation: 99, inventories: {} }));
    await step({ path: inv });

    // Inventory in use: allocations hold it (the allocation format is the 1.0 list everywhere).
    const consumer = u();
    await same(berth.app, {
      method: "PUT",
      path: `/allocations/${consumer}`,
      body: { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 2, DISK_GB: 5 } }] },
      version: "1.0",
    });
    await step({ path: inv });
    await step({ method: "DELETE", path: `${inv}/VCPU` });
    await put(`${inv}/DISK_GB`, () => ({ resource_provider_generation: gen, total: 2 }));
    await put(inv, () => ({ resource_provider_generation: gen, inventories: { DISK_GB: { total: 10 } } }));
    await step({ method: "DELETE", path: inv });
    await step({ path: inv });
    await same(berth.app, { method: "DELETE", path: `/allocations/${consumer}`, version: "1.0" });

    await step({ method: "DELETE", path: `${inv}/DISK_GB` });
    await step({ method: "DELETE", path: `${inv}/DISK_GB` });
    await step({ method: "DELETE", path: `${inv}/CUSTOM_NOPE_INV_ZZ` });
    await step({ method: "DELETE", path: inv });
    await step({ path: inv });
    await step({ path: `${inv}/VCPU` });
    await step({ path: `/resource_providers/${rp}` });

    // An unknown provider.
    await step({ path: gone });
    await step({ path: `${gone}/VCPU` });
    await step({ method: "POST", path: gone, body: { resource_class: "VCPU", total: 8 } });
    await step({ method: "PUT", path: gone, body: { resource_provider_generation: 0, inventories: {} } });
    await step({ method: "PUT", path: `${gone}/VCPU`, body: { resource_provider_generation: 0, total: 1 } });
    await step({ method: "DELETE", path: gone });
    await step({ method: "DELETE", path: `${gone}/VCPU` });

    // Routing, media type and policy.
    await step({ method: "PATCH", path: inv });
    await step({ method: "PATCH", path: `${inv}/VCPU` });
    await step({ method: "POST", path: inv, raw: "{}", headers: { "content-type": "text/plain" } });
    await step({ method: "PUT", path: `${inv}/VCPU`, raw: "{}", headers: { "content-type": "text/plain" } });
    await step({ path: inv, token: "bob" });
    await step({ method: "POST", path: inv, body: { resource_class: "VCPU", total: 1 }, token: "bob" });
    await step({ method: "DELETE", path: `${inv}/VCPU`, token: "bob" });
    await same(berth.app, { method: "DELETE", path: `/resource_classes/${custom}`, version: "1.2" });
  });

  it.each(["1.0", "1.23", "latest"])("refuses to POST a class the provider already has at %s", async (version) => {
    const rp = u();
    const body = { resource_class: "VCPU", total: 8 };
    await same(
      berth.app,
      { method: "POST", path: "/resource_providers", body: { name: `inv-${rp}`, uuid: rp }, version: "1.20" },
      { method: "POST", path: `/resource_providers/${rp}/inventories`, body, version },
    );
    expect((await postExisting(berth.app, { method: "POST", path: `/resource_providers/${rp}/inventories`, body, version })).status).toBe(409);
  });

  it.each(["1.0", "1.26", "latest"])("validates bodies at %s", async (version) => {
    const rp = u();
    await same(berth.app, { method: "POST", path: "/resource_providers", body: { name: `inv-${rp}`, uuid: rp }, version: "1.20" });
    const one = `/resource_providers/${rp}/inventories/VCPU`;
    const all = `/resource_providers/${rp}/inventories`;
    const cases: Step[] = [
      { method: "PUT", path: one, body: { total: "x" } },
      { method: "PUT", path: one, body: { total: "x", foo: 1, resource_provider_generation: 0 } },
      { method: "PUT", path: one, body: { total: 0, reserved: "x", resource_provider_generation: 0 } },
      { method: "PUT", path: one, body: { total: true, resource_provider_generation: 0 } },
      { method: "PUT", path: one, body: { total: 1.5, resource_provider_generation: 0 } },
      { method: "PUT", path: one, body: { total: null, resource_provider_generation: null } },
      { method: "PUT", path: one, body: { total: 5, resource_provider_generation: 0, allocation_ratio: true } },
      { method: "PUT", path: one, body: { total: 2147483648, resource_provider_generation: 0 } },
      { method: "PUT", path: all, body: { inventories: { VCPU: { total: "x" } }, foo: 1 } },
      { method: "PUT", path: all, body: { resource_provider_generation: 0, inventories: { VCPU: { total: "x", bar: 1 } } } },
      { method: "PUT", path: all, body: { resource_provider_generation: 0, inventories: { VCPU: { total: 0 }, DISK_GB: "x" } } },
      { method: "PUT", path: all, body: { resource_provider_generation: 0, inventories: { vcpu: { total: 1 } } } },
      { method: "PUT", path: all, body: { resource_provider_generation: 0 } },
      { method: "PUT", path: all, body: { inventories: [], foo: 1 } },
      { method: "PUT", path: one, body: { foo: 1 } },
      { method: "PUT", path: one, body: { total: 2147483648, reserved: -1, resource_provider_generation: "0" } },
      { method: "POST", path: all, body: { foo: 1, total: "1" } },
      { method: "POST", path: all, body: { resource_class: 5, total: 0 } },
      { method: "POST", path: all, body: { resource_class: "x", total: 0 } },
      { method: "POST", path: all, body: { total: 0 } },
      { method: "POST", path: all, body: { resource_class: "VCPU", total: 0 } },
      { method: "POST", path: all, body: { resource_class: "VCPU", total: 1, allocation_ratio: 0 } },
      { method: "POST", path: all, raw: '{"resource_class": "VCPU", "total": 1, "allocation_ratio": 1e400}', headers: { "content-type": "application/json" } },
      { method: "POST", path: all, body: "x" },
      { method: "POST", path: all, raw: "", headers: { "content-type": "application/json" } },
    ];
    // Every case runs, and all mismatches are reported together.
    const off: unknown[] = [];
    for (const c of cases) {
      const { ref, ours } = await ask({ ...c, version }, berth.app);
      try {
        expect(ours).toEqual(ref);
      } catch {
        off.push({ step: `${c.method} ${c.path} ${c.raw ?? JSON.stringify(c.body)} @${version}`, ref, ours });
      }
    }
    expect(off).toEqual([]);
  });
});
