// Inventories of a provider: the story of a provider's capacity from empty to full and back,
// with every way a request can go wrong on the way.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { sql } from "kysely";
import { lastModified, storedTime, toSecond, useApi, uuid, type Reply, type TestApi } from "../helpers/api.js";
import { nowUtc } from "../../src/db/time.js";
import { insertId } from "../../src/db/tx.js";

const BAD = "The server could not comply with the request since it is either malformed or otherwise incorrect.\n\n ";
const GONE = "The resource could not be found.\n\n ";
const CONFLICT = "There was a conflict when trying to complete your request.\n\n ";

function expectError(r: Reply, status: number, detail: string, code?: string): void {
  expect(r.status, r.text).toBe(status);
  const err = r.body.errors[0];
  expect(err.detail).toBe(detail);
  if (code) expect(err.code).toBe(code);
}

/** Providers are made directly in the database so these tests stand on their own. */
async function makeProvider(api: TestApi, generation = 0): Promise<{ id: number; uuid: string }> {
  const u = uuid();
  const db = api.store.db;
  const id = await insertId(api.store, db, "resource_providers", { uuid: u, name: `rp-${u}`, generation, created_at: nowUtc() });
  await db.updateTable("resource_providers").set({ root_provider_id: id }).where("id", "=", id).execute();
  return { id, uuid: u };
}

async function allocate(api: TestApi, providerId: number, rc: string, used: number): Promise<void> {
  const rcRow = await api.store.db.selectFrom("resource_classes").select("id").where("name", "=", rc).executeTakeFirstOrThrow();
  await api.store.db
    .insertInto("allocations")
    .values({ resource_provider_id: providerId, consumer_id: uuid(), resource_class_id: rcRow.id, used, created_at: nowUtc() })
    .execute();
}

const std = (total: number, extra: Record<string, number> = {}) => ({
  total,
  reserved: 0,
  min_unit: 1,
  max_unit: 2147483647,
  step_size: 1,
  allocation_ratio: 1.0,
  ...extra,
});

describeEachDb("inventories", (dialect) => {
  const api = useApi(dialect);

  it("lists no inventory for a new provider, with cache-control but no last-modified from 1.15", async () => {
    const rp = await makeProvider(api());
    const old = await api().get(`/resource_providers/${rp.uuid}/inventories`, { version: "1.14" });
    expect(old.status).toBe(200);
    expect(old.text).toBe('{"resource_provider_generation": 0, "inventories": {}}');
    expect(old.headers.get("cache-control")).toBeNull();
    const r = await api().get(`/resource_providers/${rp.uuid}/inventories`, { version: "1.15" });
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expect(r.headers.get("last-modified")).toBeNull();
  });

  it("creates one inventory with POST: 201, Location, defaults and the new generation", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const before = toSecond(Date.now());
    const r = await api().post(path, { resource_class: "VCPU", total: 8, allocation_ratio: 2 }, { version: "1.15" });
    expect(r.status, r.text).toBe(201);
    expect(r.headers.get("location")).toBe(`http://localhost${path}/VCPU`);
    expect(r.text).toBe(
      '{"total": 8, "reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 2, "resource_provider_generation": 1}',
    );
    // A write answers with the time of the request.
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    expect(r.headers.get("cache-control")).toBe("no-cache");
    const one = await api().get(`${path}/VCPU`, { version: "1.15" });
    expect(one.status).toBe(200);
    expect(one.text).toBe(
      '{"total": 8, "reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 2.0, "resource_provider_generation": 1}',
    );
    // A read answers with the inventory's stored time.
    const rpId = sql`resource_provider_id = (SELECT id FROM resource_providers WHERE uuid = ${rp.uuid})`;
    expect(lastModified(one)).toBe(await storedTime(api().store, "inventories", rpId));
    const all = await api().get(path, { version: "1.0" });
    expect(all.body).toEqual({ resource_provider_generation: 1, inventories: { VCPU: std(8, { allocation_ratio: 2 }) } });
    expect(all.headers.get("last-modified")).toBeNull();
  });

  it("refuses a second POST of the same class and a class that does not exist", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    expect((await api().post(path, { resource_class: "DISK_GB", total: 10 })).status).toBe(201);
    const dup = await api().post(path, { resource_class: "DISK_GB", total: 10 }, { version: "1.23" });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].code).toBe("placement.concurrent_update");
    expect(dup.body.errors[0].detail).toContain("Update conflict: ");
    const unknown = await api().post(path, { resource_class: "CUSTOM_NOPE", total: 10 }, { version: "1.23" });
    expectError(
      unknown,
      400,
      `${BAD}Unable to create inventory for resource provider ${rp.uuid}: No such resource class CUSTOM_NOPE.  `,
      "placement.undefined_code",
    );
    const all = await api().get(path);
    expect(all.body.resource_provider_generation).toBe(1);
    expect(Object.keys(all.body.inventories)).toEqual(["DISK_GB"]);
  });

  it("validates POST bodies as the reference does", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const cases: [unknown, string][] = [
      [{ resource_class: "VCPU", total: "8" }, "'8' is not of type 'integer'"],
      [{ resource_class: "VCPU", total: 0 }, "0 is less than the minimum of 1"],
      [{ resource_class: "VCPU", total: 2147483648 }, "2147483648 is greater than the maximum of 2147483647"],
      [{ resource_class: "VCPU", total: 8, reserved: -1 }, "-1 is less than the minimum of 0"],
      [{ resource_class: "VCPU", total: 8, step_size: 0 }, "0 is less than the minimum of 1"],
      [{ resource_class: "VCPU", total: 8, allocation_ratio: 4e38 }, "4e+38 is greater than the maximum of 3.40282e+38"],
      [{ resource_class: "VCPU", total: 8, allocation_ratio: "x" }, "'x' is not of type 'number'"],
      [{ resource_class: "vcpu", total: 8 }, "'vcpu' does not match '^[A-Z0-9_]+$'"],
      [{ total: 8 }, "'resource_class' is a required property"],
      [{ resource_class: "VCPU", total: 8, resource_provider_generation: "x" }, "'x' is not of type 'integer'"],
    ];
    for (const [body, msg] of cases) {
      const r = await api().post(path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors[0].detail).toContain(`JSON does not validate: ${msg}`);
    }
    const bad = await api().request("POST", path, { raw: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].detail).toContain("Malformed JSON: ");
    const media = await api().request("POST", path, { raw: "{}", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    // Nothing above changed the provider.
    expect((await api().get(path)).body).toEqual({ resource_provider_generation: 0, inventories: {} });
  });

  it("checks reserved against total by microversion: equal is allowed from 1.26", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const eq = await api().post(path, { resource_class: "VCPU", total: 8, reserved: 8 }, { version: "1.25" });
    expectError(
      eq,
      400,
      `${BAD}Unable to create inventory for resource provider ${rp.uuid}: Invalid inventory for 'VCPU' on resource provider '${rp.uuid}'. The reserved value is greater than or equal to total.  `,
    );
    const over = await api().post(path, { resource_class: "VCPU", total: 8, reserved: 9 }, { version: "1.26" });
    expectError(
      over,
      400,
      `${BAD}Unable to create inventory for resource provider ${rp.uuid}: Invalid inventory for 'VCPU' on resource provider '${rp.uuid}'. The reserved value is greater than total.  `,
    );
    expect((await api().post(path, { resource_class: "VCPU", total: 8, reserved: 8 }, { version: "1.26" })).status).toBe(201);
    // A ratio of zero leaves no capacity: refused before 1.26, allowed from it.
    const zero = await api().put(`${path}/VCPU`, { resource_provider_generation: 1, total: 8, allocation_ratio: 0 }, { version: "1.2" });
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].detail).toContain("Unable to update inventory for resource provider");
    const ok = await api().put(`${path}/VCPU`, { resource_provider_generation: 1, total: 8, allocation_ratio: 0 }, { version: "1.26" });
    expect(ok.status).toBe(200);
    expect(ok.body.allocation_ratio).toBe(0);
  });

  it("updates one inventory with PUT, checking the generation first", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    await api().post(path, { resource_class: "MEMORY_MB", total: 1024 });
    const stale = await api().put(`${path}/MEMORY_MB`, { resource_provider_generation: 0, total: 2048 }, { version: "1.23" });
    expectError(stale, 409, `${CONFLICT}resource provider generation conflict  `, "placement.concurrent_update");
    const missingGen = await api().put(`${path}/MEMORY_MB`, { total: 2048 });
    expect(missingGen.status).toBe(400);
    expect(missingGen.body.errors[0].detail).toContain("'resource_provider_generation' is a required property");
    const extra = await api().put(`${path}/MEMORY_MB`, { resource_provider_generation: 1, total: 2048, foo: 1 });
    expect(extra.body.errors[0].detail).toContain("Additional properties are not allowed ('foo' was unexpected)");
    // The reference does not compare min_unit with max_unit.
    const before = toSecond(Date.now());
    const r = await api().put(`${path}/MEMORY_MB`, { resource_provider_generation: 1, total: 2048, min_unit: 5, max_unit: 2 }, { version: "1.15" });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ ...std(2048, { min_unit: 5, max_unit: 2 }), resource_provider_generation: 2 });
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    expect((await api().get(`${path}/MEMORY_MB`)).body.total).toBe(2048);
  });

  it("answers PUT of one inventory for a class the provider lacks, or that does not exist", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const lacking = await api().put(`${path}/DISK_GB`, { resource_provider_generation: 0, total: 8 });
    expectError(lacking, 400, `${BAD}No inventory record with resource class for resource provider ${rp.uuid}: No inventory of class DISK_GB found.  `);
    const unknown = await api().put(`${path}/CUSTOM_NOPE`, { resource_provider_generation: 0, total: 8 }, { version: "1.23" });
    expectError(unknown, 404, `${GONE}No such resource class CUSTOM_NOPE.  `, "placement.undefined_code");
    const media = await api().request("PUT", `${path}/DISK_GB`, { raw: "{}" });
    expect(media.status).toBe(415);
    expect((await api().get(path)).body.resource_provider_generation).toBe(0);
  });

  it("replaces all inventory with PUT, in request order", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const before = toSecond(Date.now());
    const r = await api().put(
      path,
      { resource_provider_generation: 0, inventories: { DISK_GB: { total: 100, reserved: 100 }, VCPU: { total: 8, allocation_ratio: 16.0 } } },
      { version: "1.26" },
    );
    expect(r.status, r.text).toBe(200);
    expect(r.text).toBe(
      '{"resource_provider_generation": 1, "inventories": {"DISK_GB": {"total": 100, "reserved": 100, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 1.0}, "VCPU": {"total": 8, "reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 16}}}',
    );
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    // Listings show classes in the order their records were created (class id order for one PUT).
    const all = await api().get(path);
    expect(Object.keys(all.body.inventories)).toEqual(["VCPU", "DISK_GB"]);
    const again = await api().put(path, { resource_provider_generation: 1, inventories: { VCPU: { total: 4 } } });
    expect(again.body).toEqual({ resource_provider_generation: 2, inventories: { VCPU: std(4) } });
    const empty = await api().put(path, { resource_provider_generation: 2, inventories: {} }, { version: "1.15" });
    expect(empty.body).toEqual({ resource_provider_generation: 3, inventories: {} });
    expect(empty.headers.get("last-modified")).toBeNull();
    expect(empty.headers.get("cache-control")).toBe("no-cache");
  });

  it("rejects bad PUT-all bodies and changes nothing", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    await api().post(path, { resource_class: "VCPU", total: 8 });
    const stale = await api().put(path, { resource_provider_generation: 9, inventories: {} }, { version: "1.23" });
    expectError(stale, 409, `${CONFLICT}resource provider generation conflict  `, "placement.concurrent_update");
    const unknown = await api().put(path, { resource_provider_generation: 1, inventories: { vcpu: { total: 4 } } });
    expectError(unknown, 400, `${BAD}Unknown resource class in inventory for resource provider ${rp.uuid}: No such resource class vcpu.  `);
    // Capacity is checked before classes are looked up.
    const both = await api().put(path, {
      resource_provider_generation: 1,
      inventories: { CUSTOM_NOPE: { total: 4 }, VCPU: { total: 4, reserved: 5 } },
    });
    expect(both.body.errors[0].detail).toContain("Invalid inventory for 'VCPU'");
    const missing = await api().put(path, { resource_provider_generation: 1, inventories: { VCPU: { reserved: 5 } } });
    expect(missing.body.errors[0].detail).toContain("JSON does not validate: 'total' is a required property");
    const low = await api().put(path, { resource_provider_generation: 1, inventories: { VCPU: { total: 0 } } });
    expect(low.body.errors[0].detail).toContain(
      "Failed validating 'minimum' in schema['properties']['inventories']['patternProperties']['^[A-Z0-9_]+$']['properties']['total']",
    );
    const list = await api().put(path, { resource_provider_generation: 1, inventories: [] });
    expect(list.body.errors[0].detail).toContain("[] is not of type 'object'");
    const noInv = await api().put(path, { resource_provider_generation: 1 });
    expect(noInv.body.errors[0].detail).toContain("'inventories' is a required property");
    // An unchecked key with a non-number total breaks the reference's arithmetic: a 500.
    const weird = await api().put(path, { resource_provider_generation: 1, inventories: { vcpu: { total: "x" } } });
    expectError(
      weird,
      500,
      "The server has either erred or is incapable of performing the requested operation.\n\n unsupported operand type(s) for -: 'str' and 'int'  ",
    );
    expect((await api().get(path)).body).toEqual({ resource_provider_generation: 1, inventories: { VCPU: std(8) } });
  });

  it("refuses to remove inventory that has allocations, but lets it shrink below them", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    await api().put(path, {
      resource_provider_generation: 0,
      inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 1024 }, DISK_GB: { total: 100 } },
    });
    await allocate(api(), rp.id, "VCPU", 4);
    await allocate(api(), rp.id, "MEMORY_MB", 10);
    const drop = await api().put(path, { resource_provider_generation: 1, inventories: { DISK_GB: { total: 100 } } }, { version: "1.23" });
    expectError(
      drop,
      409,
      `${CONFLICT}update conflict: Inventory for 'VCPU, MEMORY_MB' on resource provider '${rp.uuid}' in use.  `,
      "placement.inventory.inuse",
    );
    const one = await api().del(`${path}/VCPU`, { version: "1.23" });
    expectError(
      one,
      409,
      `${CONFLICT}Unable to delete inventory of class VCPU: Inventory for 'VCPU' on resource provider '${rp.uuid}' in use.  `,
      "placement.concurrent_update",
    );
    const every = await api().del(path, { version: "1.23" });
    expectError(every, 409, `${CONFLICT}Inventory for 'VCPU, MEMORY_MB' on resource provider '${rp.uuid}' in use.  `, "placement.inventory.inuse");
    expect((await api().get(path)).body.resource_provider_generation).toBe(1);
    // Shrinking below usage is only logged by the reference, not refused.
    const shrink = await api().put(path, { resource_provider_generation: 1, inventories: { VCPU: { total: 2 }, MEMORY_MB: { total: 1024 } } });
    expect(shrink.status, shrink.text).toBe(200);
    expect(Object.keys(shrink.body.inventories)).toEqual(["VCPU", "MEMORY_MB"]);
    const single = await api().put(`${path}/VCPU`, { resource_provider_generation: 2, total: 1 });
    expect(single.status).toBe(200);
  });

  it("deletes one inventory, and says why when it cannot", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    await api().post(path, { resource_class: "DISK_GB", total: 10 });
    const r = await api().del(`${path}/DISK_GB`);
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await api().get(path)).body).toEqual({ resource_provider_generation: 2, inventories: {} });
    const again = await api().del(`${path}/DISK_GB`, { version: "1.23" });
    expectError(
      again,
      404,
      `${GONE}No inventory of class DISK_GB found for delete: No inventory of class DISK_GB found for delete  `,
      "placement.undefined_code",
    );
    const unknown = await api().del(`${path}/CUSTOM_NOPE`);
    expectError(unknown, 404, `${GONE}No inventory of class CUSTOM_NOPE found for delete: No such resource class CUSTOM_NOPE.  `);
    const show = await api().get(`${path}/DISK_GB`);
    expectError(show, 404, `${GONE}No inventory of class DISK_GB for ${rp.uuid}  `);
  });

  it("deletes all inventory from 1.5 only, without a generation", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    await api().post(path, { resource_class: "VCPU", total: 8 });
    const early = await api().del(path, { version: "1.4" });
    expect(early.status).toBe(405);
    const r = await api().del(path, { version: "1.5" });
    expect(r.status).toBe(204);
    expect((await api().get(path)).body).toEqual({ resource_provider_generation: 2, inventories: {} });
    // Deleting nothing still bumps the generation, as the reference does.
    expect((await api().del(path, { version: "latest" })).status).toBe(204);
    expect((await api().get(path)).body.resource_provider_generation).toBe(3);
  });

  it("answers 404 for an unknown provider on every endpoint", async () => {
    const u = uuid();
    const path = `/resource_providers/${u}/inventories`;
    const plain = `${GONE}No resource provider with uuid ${u} found  `;
    const twice = `${GONE}No resource provider with uuid ${u} found : No resource provider with uuid ${u} found  `;
    expectError(await api().get(path, { version: "1.23" }), 404, twice, "placement.undefined_code");
    expectError(await api().get(`${path}/VCPU`), 404, twice);
    expectError(await api().post(path, { resource_class: "VCPU", total: 1 }), 404, plain);
    // The provider is looked up before the body is read.
    expectError(await api().post(path, { nonsense: true }), 404, plain);
    expectError(await api().put(path, { resource_provider_generation: 0, inventories: {} }), 404, plain);
    expectError(await api().put(`${path}/VCPU`, { resource_provider_generation: 0, total: 1 }), 404, plain);
    expectError(await api().del(path, { version: "1.5" }), 404, plain);
    expectError(await api().del(`${path}/VCPU`), 404, plain);
  });

  it("checks the media type before the policy, and the policy before the provider", async () => {
    const path = `/resource_providers/${uuid()}/inventories`;
    const media = await api().request("POST", path, { token: "bob", raw: "x", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    expect((await api().post(path, { resource_class: "VCPU", total: 1 }, { token: "bob" })).status).toBe(403);
    expect((await api().get(path, { token: "bob" })).status).toBe(403);
    expect((await api().del(`${path}/VCPU`, { token: "bob" })).status).toBe(403);
  });

  it("echoes each field of a write as the client sent it (8.0 stays 8.0), as the reference does", async () => {
    // Answers of the reference (Placement 8.0.0) to the same requests, checked by hand.
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const json = { "content-type": "application/json" };
    const all = await api().request("PUT", path, {
      version: "1.39",
      headers: json,
      raw: '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8.0, "reserved": 1.0, "min_unit": 1.0, "max_unit": 8.0, "step_size": 1.0, "allocation_ratio": 2}}}',
    });
    expect(all.text).toBe(
      '{"resource_provider_generation": 1, "inventories": {"VCPU": {"total": 8.0, "reserved": 1.0, "min_unit": 1.0, "max_unit": 8.0, "step_size": 1.0, "allocation_ratio": 2}}}',
    );
    const one = await api().request("PUT", `${path}/VCPU`, {
      version: "1.39",
      headers: json,
      raw: '{"resource_provider_generation": 1.0, "total": 4.0, "allocation_ratio": 1}',
    });
    expect(one.text).toBe(
      '{"total": 4.0, "reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 1, "resource_provider_generation": 2}',
    );
    const created = await api().request("POST", path, {
      version: "1.39",
      headers: json,
      raw: '{"resource_provider_generation": 2, "resource_class": "DISK_GB", "total": 1e1, "reserved": 0.0}',
    });
    expect(created.status).toBe(201);
    expect(created.text).toBe(
      '{"total": 10.0, "reserved": 0.0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 1.0, "resource_provider_generation": 3}',
    );
    // What is stored is the integer: reads show it as one.
    expect((await api().get(`${path}/VCPU`, { version: "1.39" })).text).toBe(
      '{"total": 4, "reserved": 0, "min_unit": 1, "max_unit": 2147483647, "step_size": 1, "allocation_ratio": 1.0, "resource_provider_generation": 3}',
    );
  });

  it("omits the generation from one inventory while it is 0, as the reference does", async () => {
    const rp = await makeProvider(api());
    await api()
      .store.db.insertInto("inventories")
      .values({
        resource_provider_id: rp.id,
        resource_class_id: 0,
        total: 4,
        reserved: 0,
        min_unit: 1,
        max_unit: 4,
        step_size: 1,
        allocation_ratio: 1.5,
        created_at: nowUtc(),
      })
      .execute();
    const r = await api().get(`/resource_providers/${rp.uuid}/inventories/VCPU`);
    expect(r.text).toBe('{"total": 4, "reserved": 0, "min_unit": 1, "max_unit": 4, "step_size": 1, "allocation_ratio": 1.5}');
  });

  it("lets only one of two racing writers win the generation", async () => {
    const rp = await makeProvider(api());
    const path = `/resource_providers/${rp.uuid}/inventories`;
    const [a, b] = await Promise.all([
      api().post(path, { resource_class: "VCPU", total: 1 }, { version: "1.23" }),
      api().post(path, { resource_class: "DISK_GB", total: 1 }, { version: "1.23" }),
    ]);
    const statuses = [a.status, b.status].sort();
    const final = await api().get(path);
    if (statuses[1] === 409) {
      const loser = a.status === 409 ? a : b;
      expect(loser.body.errors[0].code).toBe("placement.concurrent_update");
      expect(final.body.resource_provider_generation).toBe(1);
      expect(Object.keys(final.body.inventories)).toHaveLength(1);
    } else {
      // Serialized by the database: both won, one after the other.
      expect(final.body.resource_provider_generation).toBe(2);
    }
  });
});
