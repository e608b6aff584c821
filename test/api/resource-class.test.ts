// Resource classes: listing the standard ones, creating, renaming (1.2-1.6), ensuring (1.7+) and
// deleting custom ones, and the ids custom classes get.
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
  expect(r.body.errors[0].detail).toBe(detail);
  if (code) expect(r.body.errors[0].code).toBe(code);
}

let n = 0;
const fresh = () => `CUSTOM_T${++n}_${uuid().slice(0, 8).toUpperCase().replace(/-/g, "_")}`;

async function classId(api: TestApi, name: string): Promise<number | undefined> {
  const row = await api.store.db.selectFrom("resource_classes").select("id").where("name", "=", name).executeTakeFirst();
  return row?.id;
}

describeEachDb("resource classes", (dialect) => {
  const api = useApi(dialect);

  it("does not exist before 1.2", async () => {
    expect((await api().get("/resource_classes", { version: "1.1" })).status).toBe(404);
    expect((await api().get("/resource_classes/VCPU", { version: "1.1" })).status).toBe(404);
    expect((await api().post("/resource_classes", { name: "CUSTOM_A" }, { version: "1.1" })).status).toBe(404);
  });

  it("lists the standard classes in id order with self links; caching headers from 1.15", async () => {
    const r = await api().get("/resource_classes", { version: "1.2" });
    expect(r.status).toBe(200);
    expect(r.body.resource_classes.slice(0, 3)).toEqual([
      { name: "VCPU", links: [{ rel: "self", href: "/resource_classes/VCPU" }] },
      { name: "MEMORY_MB", links: [{ rel: "self", href: "/resource_classes/MEMORY_MB" }] },
      { name: "DISK_GB", links: [{ rel: "self", href: "/resource_classes/DISK_GB" }] },
    ]);
    expect(r.headers.get("last-modified")).toBeNull();
    const cached = await api().get("/resource_classes", { version: "1.15" });
    expect(cached.headers.get("cache-control")).toBe("no-cache");
    // The newest class's time (a class without one counts as now).
    expect(lastModified(cached)).toBeGreaterThanOrEqual(await storedTime(api().store, "resource_classes"));
  });

  it("shows one class", async () => {
    const before = toSecond(Date.now());
    const r = await api().get("/resource_classes/VCPU", { version: "1.15" });
    expect(r.body).toEqual({ name: "VCPU", links: [{ rel: "self", href: "/resource_classes/VCPU" }] });
    // The class's stored time, or now for a class stored without one.
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM resource_classes WHERE name = 'VCPU' AND coalesce(updated_at, created_at) IS NOT NULL`.execute(api().store.db);
    if (Number(rows[0]?.n) > 0) expect(lastModified(r)).toBe(await storedTime(api().store, "resource_classes", sql`name = 'VCPU'`));
    else expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expectError(
      await api().get("/resource_classes/CUSTOM_NOPE", { version: "1.23" }),
      404,
      `${GONE}No such resource class CUSTOM_NOPE.  `,
      "placement.undefined_code",
    );
  });

  it("creates custom classes with POST, numbered from 10000", async () => {
    const a = fresh();
    const r = await api().post("/resource_classes", { name: a }, { version: "1.2" });
    expect(r.status, r.text).toBe(201);
    expect(r.text).toBe("");
    expect(r.headers.get("location")).toBe(`http://localhost/resource_classes/${a}`);
    const first = (await classId(api(), a))!;
    expect(first).toBeGreaterThanOrEqual(10000);
    const b = fresh();
    await api().post("/resource_classes", { name: b }, { version: "1.2" });
    expect(await classId(api(), b)).toBe(first + 1);
    const shown = await api().get(`/resource_classes/${a}`, { version: "1.2" });
    expect(shown.body.name).toBe(a);
    const names = (await api().get("/resource_classes", { version: "1.2" })).body.resource_classes.map((c: { name: string }) => c.name);
    expect(names.slice(-2)).toEqual([a, b]);
  });

  it("refuses duplicate and invalid names", async () => {
    const a = fresh();
    await api().post("/resource_classes", { name: a }, { version: "1.2" });
    expectError(
      await api().post("/resource_classes", { name: a }, { version: "1.23" }),
      409,
      `${CONFLICT}Conflicting resource class already exists: ${a}  `,
      "placement.undefined_code",
    );
    const cases: [unknown, string][] = [
      [{ name: "VCPU" }, "'VCPU' does not match '^CUSTOM_[A-Z0-9_]+$'"],
      [{ name: "CUSTOM_lower" }, "'CUSTOM_lower' does not match '^CUSTOM_[A-Z0-9_]+$'"],
      [{ name: `CUSTOM_${"A".repeat(250)}` }, "is too long"],
      [{ name: 1 }, "1 is not of type 'string'"],
      [{}, "'name' is a required property"],
      [{ name: "CUSTOM_X", x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
    ];
    for (const [body, msg] of cases) {
      const r = await api().post("/resource_classes", body, { version: "1.2" });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].detail).toContain(msg);
    }
    const pattern = await api().post("/resource_classes", { name: "VCPU" }, { version: "1.2" });
    expect(pattern.body.errors[0].detail).toContain(
      "Failed validating 'pattern' in schema['properties']['name']:     {'maxLength': 255, 'pattern': '^CUSTOM_[A-Z0-9_]+$', 'type': 'string'}  On instance['name']:     'VCPU'",
    );
    const media = await api().request("POST", "/resource_classes", { version: "1.2", raw: "{}", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    const malformed = await api().request("POST", "/resource_classes", { version: "1.2", raw: "{", headers: { "content-type": "application/json" } });
    expect(malformed.body.errors[0].detail).toContain("Malformed JSON");
  });

  it("gives every one of several concurrent creators its own id", async () => {
    const names = Array.from({ length: 6 }, fresh);
    const replies = await Promise.all(names.map((name) => api().post("/resource_classes", { name }, { version: "1.2" })));
    expect(replies.map((r) => r.status)).toEqual(names.map(() => 201));
    const ids = await Promise.all(names.map((name) => classId(api(), name)));
    expect(new Set(ids).size).toBe(names.length);
  });

  it("renames a custom class with PUT from 1.2 to 1.6", async () => {
    const a = fresh();
    const b = fresh();
    await api().post("/resource_classes", { name: a }, { version: "1.2" });
    const id = await classId(api(), a);
    const r = await api().put(`/resource_classes/${a}`, { name: b }, { version: "1.6" });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ name: b, links: [{ rel: "self", href: `/resource_classes/${b}` }] });
    expect(await classId(api(), b)).toBe(id);
    expect(await classId(api(), a)).toBeUndefined();
    // The same name again is fine.
    expect((await api().put(`/resource_classes/${b}`, { name: b }, { version: "1.6" })).status).toBe(200);
    const c = fresh();
    await api().post("/resource_classes", { name: c }, { version: "1.2" });
    expectError(await api().put(`/resource_classes/${b}`, { name: c }, { version: "1.6" }), 409, `${CONFLICT}Resource class already exists: ${c}  `);
    expectError(await api().put("/resource_classes/VCPU", { name: fresh() }, { version: "1.6" }), 400, `${BAD}Cannot update standard resource class VCPU  `);
    expectError(await api().put("/resource_classes/CUSTOM_NOPE", { name: fresh() }, { version: "1.6" }), 404, `${GONE}No such resource class CUSTOM_NOPE.  `);
    // The body is checked before the class is looked up.
    const invalid = await api().put("/resource_classes/CUSTOM_NOPE", { name: "VCPU" }, { version: "1.6" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].detail).toContain("'VCPU' does not match");
    const media = await api().request("PUT", `/resource_classes/${b}`, { version: "1.6", raw: "{}", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    expect(await classId(api(), b)).toBe(id);
  });

  it("creates or confirms a class with a bodiless PUT from 1.7", async () => {
    const a = fresh();
    const created = await api().request("PUT", `/resource_classes/${a}`, { version: "1.7" });
    expect(created.status).toBe(201);
    expect(created.text).toBe("");
    expect(created.headers.get("location")).toBe(`http://localhost/resource_classes/${a}`);
    const again = await api().request("PUT", `/resource_classes/${a}`, { version: "latest" });
    expect(again.status).toBe(204);
    expect(again.headers.get("location")).toBe(`http://localhost/resource_classes/${a}`);
    // A body is ignored.
    expect((await api().put(`/resource_classes/${a}`, { name: "x" }, { version: "1.7" })).status).toBe(204);
    const std = await api().request("PUT", "/resource_classes/VCPU", { version: "1.7" });
    expect(std.status).toBe(400);
    expect(std.body.errors[0].detail).toContain("JSON does not validate: 'VCPU' does not match '^CUSTOM_[A-Z0-9_]+$'");
    const lower = await api().request("PUT", "/resource_classes/custom_x", { version: "1.7" });
    expect(lower.body.errors[0].detail).toContain("'custom_x' does not match");
    // The reference splices the name into a JSON document, so a name can break that document.
    const broken: [string, string][] = [
      ["CUSTOM_%22X", "Expecting ',' delimiter: line 1 column 19 (char 18)"],
      ["CUSTOM_X%22%7D", "Extra data: line 1 column 21 (char 20)"],
      ["CUSTOM_X%22,", "Unterminated string starting at: line 1 column 21 (char 20)"],
      ["CUSTOM_%5Cq", "Invalid \\escape: line 1 column 18 (char 17)"],
      ["CUSTOM_%5Cu00", "Invalid \\uXXXX escape: line 1 column 19 (char 18)"],
      ["CUSTOM_%0AX", "Invalid control character at: line 1 column 18 (char 17)"],
    ];
    for (const [name, msg] of broken) {
      expectError(await api().request("PUT", `/resource_classes/${name}`, { version: "1.7" }), 400, `${BAD}Malformed JSON: ${msg}  `);
    }
  });

  it("deletes custom classes that no inventory uses; never standard ones", async () => {
    const a = fresh();
    await api().post("/resource_classes", { name: a }, { version: "1.2" });
    const u = uuid();
    const rpId = await insertId(api().store, api().store.db, "resource_providers", { uuid: u, name: u, generation: 0, created_at: nowUtc() });
    await api().put(`/resource_providers/${u}/inventories`, { resource_provider_generation: 0, inventories: { [a]: { total: 1 } } });
    expectError(
      await api().del(`/resource_classes/${a}`, { version: "1.23" }),
      409,
      `${CONFLICT}Error in delete resource class: Cannot delete resource class ${a}. Class is in use in inventory.  `,
      "placement.undefined_code",
    );
    expect(await classId(api(), a)).toBeDefined();
    await api().del(`/resource_providers/${u}/inventories`, { version: "1.5" });
    const r = await api().del(`/resource_classes/${a}`, { version: "1.2" });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect(await classId(api(), a)).toBeUndefined();
    expectError(await api().del(`/resource_classes/${a}`, { version: "1.2" }), 404, `${GONE}No such resource class ${a}.  `);
    expectError(
      await api().del("/resource_classes/VCPU", { version: "1.2" }),
      400,
      `${BAD}Error in delete resource class: Cannot delete standard resource class VCPU.  `,
    );
    expect(rpId).toBeGreaterThan(0);
  });

  it("numbers a new class after the highest custom id, even after deletes", async () => {
    const a = fresh();
    await api().post("/resource_classes", { name: a }, { version: "1.2" });
    const top = (await classId(api(), a))!;
    await api().del(`/resource_classes/${a}`, { version: "1.2" });
    const b = fresh();
    await api().request("PUT", `/resource_classes/${b}`, { version: "1.7" });
    expect(await classId(api(), b)).toBe(top);
  });
});
