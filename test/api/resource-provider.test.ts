// Resource providers: create, show, list with every filter, update and re-parent, delete.
// Inventories, traits and allocations are seeded as rows (their endpoints live elsewhere).
import { beforeAll, describe, expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { sql } from "kysely";
import { lastModified, storedTime, toSecond, useApi, uuid, type TestApi } from "../helpers/api.js";
import { inventoryRow, type SeedInventory } from "../helpers/seed.js";

type Inv = SeedInventory;

async function providerId(api: TestApi, rp: string): Promise<number> {
  const row = await api.store.db.selectFrom("resource_providers").select("id").where("uuid", "=", rp).executeTakeFirstOrThrow();
  return row.id;
}

async function classId(api: TestApi, name: string): Promise<number> {
  return (await api.store.db.selectFrom("resource_classes").select("id").where("name", "=", name).executeTakeFirstOrThrow()).id;
}

async function seedInventory(api: TestApi, rp: string, rc: string, inv: Inv, used = 0): Promise<void> {
  const db = api.store.db;
  const [id, rcId] = [await providerId(api, rp), await classId(api, rc)];
  await db
    .insertInto("inventories")
    .values(inventoryRow(id, rcId, inv))
    .execute();
  if (used) {
    await db
      .insertInto("allocations")
      .values({ resource_provider_id: id, resource_class_id: rcId, consumer_id: uuid(), used, created_at: null, updated_at: null })
      .execute();
  }
}

async function seedTraits(api: TestApi, rp: string, names: string[]): Promise<void> {
  const db = api.store.db;
  const id = await providerId(api, rp);
  for (const name of names) {
    let t = await db.selectFrom("traits").select("id").where("name", "=", name).executeTakeFirst();
    if (!t) {
      await db.insertInto("traits").values({ name, created_at: null, updated_at: null }).execute();
      t = await db.selectFrom("traits").select("id").where("name", "=", name).executeTakeFirstOrThrow();
    }
    await db.insertInto("resource_provider_traits").values({ resource_provider_id: id, trait_id: t.id, created_at: null, updated_at: null }).execute();
  }
}

const detail = (r: { body: any }) => r.body.errors[0].detail as string;
const uuids = (r: { body: any }) => (r.body.resource_providers as { uuid: string }[]).map((p) => p.uuid).sort();

describeEachDb("resource providers", (dialect) => {
  const api = useApi(dialect);
  const create = async (name: string, version = "1.20", extra: Record<string, unknown> = {}) => {
    const id = uuid();
    const r = await api().post("/resource_providers", { name, uuid: id, ...extra }, { version });
    expect(r.status).toBeLessThan(300);
    return id;
  };

  describe("create", () => {
    it("answers 201 with a Location and no body before 1.20", async () => {
      const id = uuid();
      const r = await api().post("/resource_providers", { name: `n-${id}`, uuid: id }, { version: "1.19" });
      expect(r.status).toBe(201);
      expect(r.text).toBe("");
      expect(r.headers.get("location")).toMatch(new RegExp(`/resource_providers/${id}$`));
      expect(r.headers.get("content-type")).toBeNull();
    });

    it("answers 200 with the provider from 1.20, with caching headers", async () => {
      const before = toSecond(Date.now());
      const r = await api().post("/resource_providers", { name: "twenty" }, { version: "1.20" });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name: "twenty", generation: 0, parent_provider_uuid: null });
      expect(r.body.root_provider_uuid).toBe(r.body.uuid);
      expect(r.headers.get("location")).toMatch(new RegExp(`/resource_providers/${r.body.uuid}$`));
      // The time of the request, as the reference's.
      expect(lastModified(r)).toBeGreaterThanOrEqual(before);
      expect(r.headers.get("cache-control")).toBe("no-cache");
    });

    it("stores a uuid without dashes in canonical form", async () => {
      const id = uuid();
      const r = await api().post("/resource_providers", { name: `c-${id}`, uuid: id.replace(/-/g, "").toUpperCase() }, { version: "1.20" });
      expect(r.body.uuid).toBe(id);
    });

    it("stores a uuid given in braces or as a urn in canonical form, as the reference does", async () => {
      for (const form of [(u: string) => `{${u.toUpperCase()}}`, (u: string) => `urn:uuid:${u}`]) {
        const id = uuid();
        const r = await api().post("/resource_providers", { name: `c-${id}`, uuid: form(id) }, { version: "1.20" });
        expect(r.status).toBe(200);
        expect(r.body.uuid).toBe(id);
        expect((await api().get(`/resource_providers/${id}`)).status).toBe(200);
      }
    });

    it("refuses bodies the schema refuses", async () => {
      const r = await api().post("/resource_providers", { uuid: uuid() });
      expect(r.status).toBe(400);
      expect(detail(r)).toContain("JSON does not validate: 'name' is a required property");
      const p = await api().post("/resource_providers", { name: "x", parent_provider_uuid: uuid() }, { version: "1.13" });
      expect(detail(p)).toContain("Additional properties are not allowed ('parent_provider_uuid' was unexpected)");
      const t = await api().request("POST", "/resource_providers", { raw: "{}", headers: { "content-type": "text/plain" } });
      expect(t.status).toBe(415);
    });

    it("refuses an empty name", async () => {
      const id = uuid();
      const r = await api().post("/resource_providers", { name: "", uuid: id });
      expect(r.status).toBe(400);
      expect(detail(r)).toContain(`Unable to create resource provider "", ${id}: Object action create failed because: name is required`);
    });

    it("answers 409 duplicate_name for a taken uuid or name", async () => {
      const id = await create("dup-name");
      const a = await api().post("/resource_providers", { name: "other", uuid: id }, { version: "1.23" });
      expect(a.status).toBe(409);
      expect(a.body.errors[0].code).toBe("placement.duplicate_name");
      expect(detail(a)).toContain(`Conflicting resource provider uuid: ${id} already exists.`);
      const b = await api().post("/resource_providers", { name: "dup-name" }, { version: "1.23" });
      expect(detail(b)).toContain("Conflicting resource provider name: dup-name already exists.");
      const c = await api().post("/resource_providers", { name: "dup-name" }, { version: "1.22" });
      expect(c.body.errors[0].code).toBeUndefined();
    });

    it("creates children from 1.14 and refuses bad parents", async () => {
      const root = await create("parent-root");
      const child = await create("parent-child", "1.14", { parent_provider_uuid: root });
      const shown = await api().get(`/resource_providers/${child}`, { version: "1.14" });
      expect(shown.body).toMatchObject({ parent_provider_uuid: root, root_provider_uuid: root });
      const missing = uuid();
      const m = await api().post("/resource_providers", { name: "orphan", uuid: missing, parent_provider_uuid: uuid() }, { version: "1.14" });
      expect(m.status).toBe(400);
      expect(detail(m)).toContain(
        `Unable to create resource provider "orphan", ${missing}: Object action create failed because: parent provider UUID does not exist.`,
      );
      const self = uuid();
      const s = await api().post("/resource_providers", { name: "selfish", uuid: self, parent_provider_uuid: self }, { version: "1.14" });
      expect(detail(s)).toContain("parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if there is no parent.");
    });
  });

  describe("show", () => {
    let id: string;
    beforeAll(async () => {
      id = await create("shown");
    });

    it.each([
      ["1.0", ["self", "inventories", "usages"]],
      ["1.1", ["self", "inventories", "usages", "aggregates"]],
      ["1.6", ["self", "inventories", "usages", "aggregates", "traits"]],
      ["1.11", ["self", "inventories", "usages", "aggregates", "traits", "allocations"]],
    ])("links at %s", async (version, rels) => {
      const r = await api().get(`/resource_providers/${id}`, { version });
      expect(r.body.links.map((l: { rel: string }) => l.rel)).toEqual(rels);
      expect(r.body.links[1].href).toBe(`/resource_providers/${id}/inventories`);
    });

    it("adds the tree from 1.14 and caching headers from 1.15", async () => {
      const a = await api().get(`/resource_providers/${id}`, { version: "1.13" });
      expect(a.body).not.toHaveProperty("root_provider_uuid");
      expect(a.headers.get("last-modified")).toBeNull();
      const b = await api().get(`/resource_providers/${id}`, { version: "1.14" });
      expect(b.body).toMatchObject({ root_provider_uuid: id, parent_provider_uuid: null });
      expect(b.headers.get("last-modified")).toBeNull();
      const c = await api().get(`/resource_providers/${id}`, { version: "1.15" });
      expect(lastModified(c)).toBe(await storedTime(api().store, "resource_providers", sql`uuid = ${id}`));
      expect(c.headers.get("cache-control")).toBe("no-cache");
    });

    it("answers 404 with the uuid and without vary", async () => {
      const missing = uuid();
      const r = await api().get(`/resource_providers/${missing}`, { version: "1.30" });
      expect(r.status).toBe(404);
      expect(detail(r)).toContain(`No resource provider with uuid ${missing} found`);
      expect(r.headers.get("vary")).toBeNull();
    });
  });

  describe("list", () => {
    let root: string, c1: string, c2: string, c3: string, other: string;
    const [agg1, agg2, agg3] = [uuid(), uuid(), uuid()];
    const list = (q: string, version = "latest") => api().get(`/resource_providers?${q}`, { version });
    const inTree = (q: string, version = "latest") => list(`in_tree=${root}&${q}`, version);

    beforeAll(async () => {
      root = await create("tree-root");
      c1 = await create("tree-c1", "1.14", { parent_provider_uuid: root });
      c2 = await create("tree-c2", "1.14", { parent_provider_uuid: root });
      c3 = await create("tree-c3", "1.14", { parent_provider_uuid: c1 });
      other = await create("elsewhere");
      // c1: VCPU capacity (8-2)*2 = 12 with 10 used; c2: VCPU in steps of 2 between 2 and 4.
      await seedInventory(api(), c1, "VCPU", { total: 8, reserved: 2, allocation_ratio: 2 }, 10);
      await seedInventory(api(), c2, "VCPU", { total: 4, min_unit: 2, max_unit: 4, step_size: 2 });
      await seedInventory(api(), c3, "MEMORY_MB", { total: 1024 });
      await seedTraits(api(), c1, ["HW_CPU_X86_AVX", "CUSTOM_GOLD"]);
      await seedTraits(api(), c2, ["HW_CPU_X86_SSE"]);
      await api().put(`/resource_providers/${c1}/aggregates`, [agg1, agg2], { version: "1.1" });
      await api().put(`/resource_providers/${c2}/aggregates`, [agg2], { version: "1.1" });
      await api().put(`/resource_providers/${other}/aggregates`, [agg3], { version: "1.1" });
    });

    it("lists everything in id order with caching headers from 1.15", async () => {
      const r = await list("", "1.15");
      expect(r.body.resource_providers.map((p: { uuid: string }) => p.uuid)).toEqual(expect.arrayContaining([root, c1, c2, c3, other]));
      // The newest provider's time.
      expect(lastModified(r)).toBe(await storedTime(api().store, "resource_providers"));
      expect((await list("", "1.14")).headers.get("last-modified")).toBeNull();
    });

    it("filters by name and uuid", async () => {
      expect(uuids(await list("name=tree-c2", "1.0"))).toEqual([c2]);
      expect(uuids(await list(`uuid=${c3}`, "1.0"))).toEqual([c3]);
      expect(uuids(await list(`uuid=${c3}&name=tree-c2`, "1.0"))).toEqual([]);
    });

    it("checks the query against the version's schema", async () => {
      const a = await list(`member_of=${agg1}`, "1.2");
      expect(a.status).toBe(400);
      expect(detail(a)).toContain("Invalid query string parameters: Additional properties are not allowed ('member_of' was unexpected)");
      expect((await list("resources=VCPU:1", "1.3")).status).toBe(400);
      expect((await list(`in_tree=${root}`, "1.13")).status).toBe(400);
      expect((await list("required=HW_CPU_X86_AVX", "1.17")).status).toBe(400);
      const b = await list("zoo=1&foo=2", "1.0");
      expect(detail(b)).toContain("Additional properties are not allowed ('foo', 'zoo' were unexpected)");
      const c = await list("uuid=nope", "1.0");
      expect(detail(c)).toContain("Invalid query string parameters: 'nope' is not a 'uuid'");
    });

    it("filters by member_of from 1.3", async () => {
      expect(uuids(await list(`member_of=${agg1}`, "1.3"))).toEqual([c1]);
      expect(uuids(await list(`member_of=in:${agg1},${agg2}`, "1.3"))).toEqual([c1, c2].sort());
      expect(uuids(await list(`member_of=${uuid()}`, "1.3"))).toEqual([]);
    });

    it("ANDs repeated member_of from 1.24 and refuses them before", async () => {
      expect(uuids(await list(`member_of=${agg1}&member_of=${agg2}`, "1.24"))).toEqual([c1]);
      expect(uuids(await list(`member_of=in:${agg1},${agg3}&member_of=${agg2}`, "1.24"))).toEqual([c1]);
      const r = await list(`member_of=${agg1}&member_of=${agg2}`, "1.23");
      expect(r.status).toBe(400);
      expect(detail(r)).toContain("Multiple member_of parameters are not supported");
    });

    it("excludes forbidden aggregates from 1.32 and refuses them before", async () => {
      expect(uuids(await list(`member_of=${agg2}&member_of=!${agg1}`, "1.32"))).toEqual([c2]);
      expect(uuids(await inTree(`member_of=!in:${agg1},${agg2}`, "1.32"))).toEqual([root, c3].sort());
      const r = await list(`member_of=!${agg1}`, "1.31");
      expect(r.status).toBe(400);
      expect(detail(r)).toContain("Forbidden member_of parameters are not supported in the specified microversion");
    });

    it("refuses malformed member_of values", async () => {
      const a = await list(`member_of=${agg1},${agg2}`, "1.3");
      expect(detail(a)).toContain(
        `Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${agg1},${agg2}`,
      );
      const b = await list(`member_of=in:${agg1},nope`, "1.3");
      expect(detail(b)).toContain("Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: nope");
    });

    it("filters by capacity from 1.4", async () => {
      expect(uuids(await list("resources=VCPU:1", "1.4"))).toEqual([c1]); // c2's min_unit is 2
      expect(uuids(await list("resources=VCPU:2", "1.4"))).toEqual([c1, c2].sort());
      expect(uuids(await list("resources=VCPU:3", "1.4"))).toEqual([]); // c1 full, c2 step 2
      expect(uuids(await list("resources=VCPU:4", "1.4"))).toEqual([c2]);
      expect(uuids(await list("resources=VCPU:2,MEMORY_MB:1", "1.4"))).toEqual([]);
      expect(uuids(await list("resources=MEMORY_MB:1024", "1.4"))).toEqual([c3]);
    });

    it("refuses malformed and unknown resources", async () => {
      const cases: [string, string][] = [
        ["", "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: empty string."],
        ["VCPU", "Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: VCPU."],
        ["VCPU:x", "Requested resource VCPU expected positive integer amount. Got: x."],
        ["VCPU:-2", "Requested resource VCPU requires amount >= 1. Got: -2."],
        ["CUSTOM_NOPE:1", "Invalid resource class in resources parameter: No such resource class CUSTOM_NOPE."],
      ];
      for (const [q, msg] of cases) {
        const r = await list(`resources=${q}`, "1.4");
        expect(r.status).toBe(400);
        expect(detail(r)).toContain(msg);
      }
    });

    it("filters by tree from 1.14; an unknown tree is empty", async () => {
      expect(uuids(await list(`in_tree=${c3}`, "1.14"))).toEqual([root, c1, c2, c3].sort());
      expect(uuids(await list(`in_tree=${uuid()}&resources=CUSTOM_NOPE:1`, "1.14"))).toEqual([]);
    });

    it("filters by required traits from 1.18", async () => {
      expect(uuids(await list("required=HW_CPU_X86_AVX", "1.18"))).toEqual([c1]);
      expect(uuids(await list("required=HW_CPU_X86_AVX,HW_CPU_X86_SSE", "1.18"))).toEqual([]);
      const r = await list("required=CUSTOM_MISSING", "1.18");
      expect(r.status).toBe(400);
      expect(detail(r)).toContain('Invalid trait(s) in "required" parameter: No such trait(s): CUSTOM_MISSING.');
      // No provider has the trait, so the unknown class is never looked at.
      expect((await list("required=HW_CPU_X86_3DNOW&resources=CUSTOM_NOPE:1", "1.18")).status).toBe(200);
    });

    it("forbids traits from 1.22 and refuses them before", async () => {
      expect(uuids(await inTree("required=!HW_CPU_X86_AVX", "1.22"))).toEqual([root, c2, c3].sort());
      expect(uuids(await inTree("required=HW_CPU_X86_SSE,!HW_CPU_X86_AVX", "1.22"))).toEqual([c2]);
      const r = await list("required=!HW_CPU_X86_AVX", "1.21");
      expect(detail(r)).toContain("Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: !HW_CPU_X86_AVX");
      const e = await list("required=HW_CPU_X86_AVX,", "1.22");
      expect(detail(e)).toContain("Expected 'required' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got an empty trait in: HW_CPU_X86_AVX,");
    });

    it("takes any-of and repeated required from 1.39, only the last one before", async () => {
      expect(uuids(await list("required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE", "1.39"))).toEqual([c1, c2].sort());
      expect(uuids(await list("required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE&required=CUSTOM_GOLD", "1.39"))).toEqual([c1]);
      expect(uuids(await list("required=HW_CPU_X86_AVX&required=HW_CPU_X86_SSE", "1.38"))).toEqual([c2]);
      const a = await list("required=in:HW_CPU_X86_AVX,HW_CPU_X86_SSE", "1.38");
      expect(detail(a)).toContain("The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: in:HW_CPU_X86_AVX,HW_CPU_X86_SSE");
      const b = await list("required=in:HW_CPU_X86_AVX,!HW_CPU_X86_SSE", "1.39");
      expect(detail(b)).toContain("The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits.");
      const c = await list("required=in:HW_CPU_X86_AVX,", "1.39");
      expect(detail(c)).toContain("Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: in:HW_CPU_X86_AVX,");
    });

    it("combines filters", async () => {
      expect(uuids(await list(`in_tree=${root}&member_of=${agg2}&required=HW_CPU_X86_SSE&resources=VCPU:2`, "1.39"))).toEqual([c2]);
    });
  });

  describe("update", () => {
    it("renames without changing the generation, answering the old updated_at", async () => {
      const id = await create("before");
      const old = await storedTime(api().store, "resource_providers", sql`uuid = ${id}`);
      const r = await api().put(`/resource_providers/${id}`, { name: "after" }, { version: "1.15" });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name: "after", generation: 0 });
      expect(lastModified(r)).toBe(old);
      expect(r.headers.get("cache-control")).toBe("no-cache");
    });

    it("answers 404, 400 and 409 for a missing provider, a bad body and a taken name", async () => {
      const missing = await api().put(`/resource_providers/${uuid()}`, { name: "x" });
      expect(missing.status).toBe(404);
      const id = await create("rename-me");
      await create("taken");
      const bad = await api().put(`/resource_providers/${id}`, {});
      expect(bad.status).toBe(400);
      const dup = await api().put(`/resource_providers/${id}`, { name: "taken" }, { version: "1.23" });
      expect(dup.status).toBe(409);
      expect(dup.body.errors[0].code).toBe("placement.duplicate_name");
      expect(detail(dup)).toContain("Conflicting resource provider taken already exists.");
    });

    it("sets a parent from 1.14 only where there was none", async () => {
      const [a, b, c] = [await create("p-a"), await create("p-b"), await create("p-c")];
      const set = await api().put(`/resource_providers/${c}`, { name: "p-c", parent_provider_uuid: a }, { version: "1.14" });
      expect(set.body).toMatchObject({ parent_provider_uuid: a, root_provider_uuid: a });
      const again = await api().put(`/resource_providers/${c}`, { name: "p-c", parent_provider_uuid: b }, { version: "1.36" });
      expect(again.status).toBe(400);
      expect(detail(again)).toContain(
        `Unable to save resource provider ${c}: Object action update failed because: re-parenting a provider is not currently allowed.`,
      );
      const un = await api().put(`/resource_providers/${c}`, { name: "p-c", parent_provider_uuid: null }, { version: "1.36" });
      expect(detail(un)).toContain("un-parenting a provider is not currently allowed.");
      const missing = await api().put(`/resource_providers/${c}`, { name: "p-c", parent_provider_uuid: uuid() }, { version: "1.37" });
      expect(detail(missing)).toContain("Object action create failed because: parent provider UUID does not exist.");
      const keep = await api().put(`/resource_providers/${c}`, { name: "p-c2" }, { version: "1.14" });
      expect(keep.body).toMatchObject({ parent_provider_uuid: a, name: "p-c2" });
    });

    it("re-parents and un-parents from 1.37, moving the whole subtree, refusing loops", async () => {
      const [r1, r2] = [await create("rp-r1"), await create("rp-r2")];
      const mid = await create("rp-mid", "1.14", { parent_provider_uuid: r1 });
      const leaf = await create("rp-leaf", "1.14", { parent_provider_uuid: mid });
      const loop = await api().put(`/resource_providers/${r1}`, { name: "rp-r1", parent_provider_uuid: leaf }, { version: "1.37" });
      expect(loop.status).toBe(400);
      expect(detail(loop)).toContain("creating loop in the provider tree is not allowed.");
      const moved = await api().put(`/resource_providers/${mid}`, { name: "rp-mid", parent_provider_uuid: r2 }, { version: "1.37" });
      expect(moved.body).toMatchObject({ parent_provider_uuid: r2, root_provider_uuid: r2 });
      expect((await api().get(`/resource_providers/${leaf}`, { version: "1.37" })).body.root_provider_uuid).toBe(r2);
      const freed = await api().put(`/resource_providers/${mid}`, { name: "rp-mid", parent_provider_uuid: null }, { version: "1.37" });
      expect(freed.body).toMatchObject({ parent_provider_uuid: null, root_provider_uuid: mid });
      expect((await api().get(`/resource_providers/${leaf}`, { version: "1.37" })).body.root_provider_uuid).toBe(mid);
      expect(uuids(await api().get(`/resource_providers?in_tree=${r2}`, { version: "1.37" }))).toEqual([r2]);
    });
  });

  describe("delete", () => {
    it("answers 404 with its own message", async () => {
      const missing = uuid();
      const r = await api().del(`/resource_providers/${missing}`);
      expect(r.status).toBe(404);
      expect(detail(r)).toContain(`No resource provider with uuid ${missing} found for delete`);
      expect(r.headers.get("vary")).toBe("openstack-api-version");
    });

    it("refuses to delete a parent or a provider with allocations", async () => {
      const parent = await create("del-parent");
      const child = await create("del-child", "1.14", { parent_provider_uuid: parent });
      const a = await api().del(`/resource_providers/${parent}`, { version: "1.23" });
      expect(a.status).toBe(409);
      expect(a.body.errors[0].code).toBe("placement.resource_provider.cannot_delete_parent");
      expect(detail(a)).toContain(`Unable to delete parent resource provider ${parent}: It has child resource providers.`);
      await seedInventory(api(), child, "VCPU", { total: 4 }, 1);
      const b = await api().del(`/resource_providers/${child}`, { version: "1.23" });
      expect(b.status).toBe(409);
      expect(b.body.errors[0].code).toBe("placement.resource_provider.inuse");
      expect(detail(b)).toContain(`Unable to delete resource provider ${child}: Resource provider has allocations.`);
    });

    it("deletes the provider with its inventories, traits and aggregate links", async () => {
      const id = await create("del-me");
      await seedInventory(api(), id, "DISK_GB", { total: 10 });
      await seedTraits(api(), id, ["HW_CPU_X86_AVX2"]);
      await api().put(`/resource_providers/${id}/aggregates`, [uuid()], { version: "1.1" });
      const rpId = await providerId(api(), id);
      const r = await api().del(`/resource_providers/${id}`);
      expect(r.status).toBe(204);
      const db = api().store.db;
      for (const table of ["inventories", "resource_provider_traits", "resource_provider_aggregates"] as const) {
        const rows = await db.selectFrom(table).selectAll().where("resource_provider_id", "=", rpId).execute();
        expect(rows).toEqual([]);
      }
      expect((await api().get(`/resource_providers/${id}`)).status).toBe(404);
    });
  });

  it("refuses callers the policy refuses with 403 and no vary", async () => {
    const r = await api().get("/resource_providers", { token: "bob", headers: { "x-roles": "reader" } });
    expect(r.status).toBe(403);
    expect(r.headers.get("vary")).toBeNull();
  });
});
