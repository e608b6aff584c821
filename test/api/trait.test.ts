// Traits: the catalog (GET/PUT/DELETE /traits) and a provider's traits, across versions 1.6 to latest.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { sql } from "kysely";
import { lastModified, storedTime, toSecond, useApi, uuid, type TestApi } from "../helpers/api.js";
import { insertId } from "../../src/db/tx.js";
import { nowUtc } from "../../src/db/time.js";
import { STANDARD_TRAITS } from "../../src/db/standard-names.js";
import { syncStandardNames } from "../../src/db/sync.js";

const INVALID_TRAIT =
  'The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"';

const custom = () => `CUSTOM_T_${uuid().replace(/-/g, "").slice(0, 12).toUpperCase()}`;
const detail = (r: { body: any }) => r.body.errors[0].detail as string;

/** A provider made through the API when POST /resource_providers is there, else as a row. */
async function provider(api: TestApi): Promise<string> {
  const id = uuid();
  const r = await api.post("/resource_providers", { name: `rp-${id}`, uuid: id }, { version: "1.20" });
  if (r.status === 200 || r.status === 201) return id;
  expect(r.status).toBe(501);
  const { store } = api;
  await store.db.transaction().execute(async (trx) => {
    const pk = await insertId(store, trx, "resource_providers", { uuid: id, name: `rp-${id}`, generation: 0, created_at: nowUtc() });
    await trx.updateTable("resource_providers").set({ root_provider_id: pk }).where("id", "=", pk).execute();
  });
  return id;
}

describeEachDb("traits", (dialect) => {
  const api = useApi(dialect);

  it("appear at 1.6", async () => {
    for (const path of ["/traits", "/traits/HW_CPU_X86_AVX", `/resource_providers/${uuid()}/traits`]) {
      const r = await api().get(path, { version: "1.5" });
      expect(r.status).toBe(404);
    }
    expect((await api().get("/traits", { version: "1.6" })).status).toBe(200);
  });

  it("lists every standard trait, with caching headers from 1.15", async () => {
    const old = await api().get("/traits", { version: "1.14" });
    expect(old.status).toBe(200);
    expect(old.headers.get("last-modified")).toBeNull();
    expect(old.headers.get("cache-control")).toBeNull();
    expect(old.body.traits).toEqual(expect.arrayContaining([...STANDARD_TRAITS]));
    const r = await api().get("/traits", { version: "1.15" });
    expect(r.headers.get("cache-control")).toBe("no-cache");
    // The newest trait's time.
    expect(lastModified(r)).toBe(await storedTime(api().store, "traits"));
    expect(r.headers.get("vary")).toBe("openstack-api-version");
  });

  it("serves the current os-traits names, and syncs one an older database lacks", async () => {
    expect([...STANDARD_TRAITS]).toEqual([...new Set(STANDARD_TRAITS)].sort());
    const newer = ["COMPUTE_SOUND_MODEL_VIRTIO", "COMPUTE_NET_VIRTIO_PACKED", "HW_PCI_ONE_TIME_USE", "HW_NVME_CES"];
    const r = await api().get(`/traits?name=in:${newer.join(",")}`, { version: "1.6" });
    expect(r.body.traits).toEqual([...newer].sort());
    await api().store.db.deleteFrom("traits").where("name", "=", "HW_NVME_CES").execute();
    expect((await api().get("/traits/HW_NVME_CES", { version: "1.6" })).status).toBe(404);
    await syncStandardNames(api().store);
    expect((await api().get("/traits/HW_NVME_CES", { version: "1.6" })).status).toBe(204);
  });

  it("creates a custom trait once: 201 with Location, then 204", async () => {
    const name = custom();
    const a = await api().put(`/traits/${name}`, undefined, { version: "1.6" });
    expect(a.status).toBe(201);
    expect(a.text).toBe("");
    expect(new URL(a.headers.get("location")!).pathname).toBe(`/traits/${name}`);
    expect(a.headers.get("last-modified")).toBeNull();
    const b = await api().put(`/traits/${name}`, undefined, { version: "1.15" });
    expect(b.status).toBe(204);
    expect(new URL(b.headers.get("location")!).pathname).toBe(`/traits/${name}`);
    expect(b.headers.get("cache-control")).toBe("no-cache");
    expect(lastModified(b)).toBe(await storedTime(api().store, "traits", sql`name = ${name}`));
    expect(b.headers.get("content-type")).toBeNull();
  });

  it.each([["custom_lower"], ["HW_CPU_X86_AVX"], ["CUSTOM_"], ["CUSTOM_a"], ["NOT_CUSTOM"], [`CUSTOM_${"A".repeat(249)}`]])(
    "refuses to create %s",
    async (name) => {
      const r = await api().put(`/traits/${name}`, undefined, { version: "latest" });
      expect(r.status).toBe(400);
      expect(detail(r)).toContain(INVALID_TRAIT);
      expect(r.body.errors[0].code).toBe("placement.undefined_code");
      expect(r.headers.get("vary")).toBe("openstack-api-version");
    },
  );

  it("accepts the longest custom name", async () => {
    const name = `CUSTOM_${"B".repeat(248)}`;
    expect((await api().put(`/traits/${name}`, undefined, { version: "latest" })).status).toBe(201);
  });

  it("shows a trait as 204, and 404 for unknown or differently cased names", async () => {
    const old = await api().get("/traits/HW_CPU_X86_AVX", { version: "1.14" });
    expect(old.status).toBe(204);
    expect(old.headers.get("last-modified")).toBeNull();
    const r = await api().get("/traits/HW_CPU_X86_AVX", { version: "1.15" });
    expect(r.status).toBe(204);
    expect(lastModified(r)).toBe(await storedTime(api().store, "traits", sql`name = 'HW_CPU_X86_AVX'`));
    expect(r.headers.get("cache-control")).toBe("no-cache");
    for (const name of ["NOPE_NOT_A_TRAIT", "hw_cpu_x86_avx"]) {
      const n = await api().get(`/traits/${name}`, { version: "latest" });
      expect(n.status).toBe(404);
      expect(detail(n)).toBe(`The resource could not be found.\n\n No such trait(s): ${name}.  `);
      expect(n.headers.get("vary")).toBe("openstack-api-version");
    }
  });

  it("filters by name=in:, name=startswith: and associated", async () => {
    const [a, b] = [custom(), custom()];
    for (const t of [a, b]) await api().put(`/traits/${t}`, undefined, { version: "1.6" });
    const rp = await provider(api());
    await api().put(`/resource_providers/${rp}/traits`, { traits: [a], resource_provider_generation: 0 }, { version: "1.6" });
    const names = async (q: string) => {
      const r = await api().get(`/traits?${q}`, { version: "1.6" });
      expect(r.status).toBe(200);
      return r.body.traits as string[];
    };
    expect(await names(`name=in:${b},${a},NOPE_X`)).toEqual([a, b].sort());
    expect(await names("name=in:")).toEqual([]);
    expect(await names("name=startswith:HW_CPU_X86_AV")).toEqual(expect.arrayContaining(["HW_CPU_X86_AVX", "HW_CPU_X86_AVX2"]));
    expect((await names("name=startswith:HW_CPU_X86_AV")).every((t) => t.startsWith("HW_CPU_X86_AV"))).toBe(true);
    expect(await names(`name=startswith:${a}`)).toEqual([a]);
    expect(await names(`name=in:${a},${b}&associated=true`)).toEqual([a]);
    expect(await names(`name=in:${a},${b}&associated=FALSE`)).toEqual([b]);
    expect(await names("associated=true")).toContain(a);
    expect(await names("associated=false")).not.toContain(a);
    // An unknown operator filters nothing, as in the reference.
    expect((await names("name=foo:bar")).length).toBe((await names("")).length);
    expect(await names("name=startswith:")).toEqual(await names(""));
  });

  it("refuses malformed list queries", async () => {
    const bad = async (q: string, msg: string) => {
      const r = await api().get(`/traits?${q}`, { version: "latest" });
      expect(r.status).toBe(400);
      expect(detail(r)).toContain(msg);
      expect(r.body.errors[0].code).toBe("placement.undefined_code");
      expect(r.headers.get("vary")).toBe("openstack-api-version");
    };
    await bad(
      "name=HW_CPU",
      'Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "HW_CPU"',
    );
    await bad("name=", 'Got: ""');
    await bad("associated=yes", 'The query parameter "associated" only accepts "true" or "false"');
    await bad("associated=", 'The query parameter "associated" only accepts "true" or "false"');
    await bad("foo=bar", "Invalid query string parameters: Additional properties are not allowed ('foo' was unexpected)");
  });

  it("deletes custom traits only, and only when no provider has them", async () => {
    const name = custom();
    const unknown = await api().del(`/traits/${name}`, { version: "1.6" });
    expect(unknown.status).toBe(404);
    expect(detail(unknown)).toContain(`No such trait(s): ${name}.`);
    const std = await api().del("/traits/HW_CPU_X86_AVX", { version: "latest" });
    expect(std.status).toBe(400);
    expect(detail(std)).toContain("Cannot delete standard trait HW_CPU_X86_AVX.");
    await api().put(`/traits/${name}`, undefined, { version: "1.6" });
    const rp = await provider(api());
    await api().put(`/resource_providers/${rp}/traits`, { traits: [name], resource_provider_generation: 0 }, { version: "1.6" });
    const inUse = await api().del(`/traits/${name}`, { version: "latest" });
    expect(inUse.status).toBe(409);
    expect(detail(inUse)).toContain(`The trait ${name} is in use by a resource provider.`);
    expect(inUse.body.errors[0].code).toBe("placement.undefined_code");
    await api().del(`/resource_providers/${rp}/traits`, { version: "1.6" });
    const ok = await api().del(`/traits/${name}`, { version: "1.6" });
    expect(ok.status).toBe(204);
    expect(ok.text).toBe("");
    expect((await api().get(`/traits/${name}`, { version: "1.6" })).status).toBe(404);
  });

  it("replaces and clears a provider's traits, bumping the generation only on change", async () => {
    const rp = await provider(api());
    const path = `/resource_providers/${rp}/traits`;
    const before = toSecond(Date.now());
    const empty = await api().get(path, { version: "1.15" });
    expect(empty.body).toEqual({ traits: [], resource_provider_generation: 0 });
    // No traits: the time of the request.
    expect(lastModified(empty)).toBeGreaterThanOrEqual(before);
    expect(empty.headers.get("cache-control")).toBe("no-cache");

    const set = await api().put(path, { traits: ["STORAGE_DISK_SSD", "HW_CPU_X86_AVX"], resource_provider_generation: 0 }, { version: "1.6" });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ traits: ["HW_CPU_X86_AVX", "STORAGE_DISK_SSD"], resource_provider_generation: 1 });
    expect(set.headers.get("last-modified")).toBeNull();

    const again = await api().put(path, { traits: ["HW_CPU_X86_AVX", "STORAGE_DISK_SSD"], resource_provider_generation: 1 }, { version: "1.15" });
    expect(again.body.resource_provider_generation).toBe(1);
    expect(again.headers.get("last-modified")).not.toBeNull();

    const swap = await api().put(path, { traits: ["HW_CPU_X86_SSE"], resource_provider_generation: 1 }, { version: "latest" });
    expect(swap.body).toEqual({ traits: ["HW_CPU_X86_SSE"], resource_provider_generation: 2 });
    const got = await api().get(path, { version: "1.14" });
    expect(got.body).toEqual({ traits: ["HW_CPU_X86_SSE"], resource_provider_generation: 2 });
    expect(got.headers.get("last-modified")).toBeNull();

    const cleared = await api().del(path, { version: "1.6" });
    expect(cleared.status).toBe(204);
    expect(cleared.text).toBe("");
    expect((await api().get(path, { version: "1.6" })).body).toEqual({ traits: [], resource_provider_generation: 3 });
    expect((await api().del(path, { version: "1.6" })).status).toBe(204);
    expect((await api().get(path, { version: "1.6" })).body.resource_provider_generation).toBe(3);
  });

  it("refuses a stale generation with placement.concurrent_update and changes nothing", async () => {
    const rp = await provider(api());
    const path = `/resource_providers/${rp}/traits`;
    await api().put(path, { traits: ["HW_CPU_X86_AVX"], resource_provider_generation: 0 }, { version: "1.6" });
    const msg = "Resource provider's generation already changed. Please update the generation and try again.";
    const r = await api().put(path, { traits: ["HW_CPU_X86_SSE"], resource_provider_generation: 0 }, { version: "1.23" });
    expect(r.status).toBe(409);
    expect(detail(r)).toBe(`There was a conflict when trying to complete your request.\n\n ${msg}  `);
    expect(r.body.errors[0].code).toBe("placement.concurrent_update");
    const old = await api().put(path, { traits: [], resource_provider_generation: 5 }, { version: "1.22" });
    expect(old.status).toBe(409);
    expect(old.body.errors[0].code).toBeUndefined();
    expect((await api().get(path, { version: "1.6" })).body).toEqual({ traits: ["HW_CPU_X86_AVX"], resource_provider_generation: 1 });
  });

  it("refuses unknown traits and bad bodies", async () => {
    const rp = await provider(api());
    const path = `/resource_providers/${rp}/traits`;
    const unknown = await api().put(path, { traits: ["HW_CPU_X86_AVX", "NOPE_ONE", "NOPE_ONE"], resource_provider_generation: 0 }, { version: "latest" });
    expect(unknown.status).toBe(400);
    expect(detail(unknown)).toContain("No such trait NOPE_ONE  ");
    const lower = await api().put(path, { traits: ["hw_cpu_x86_avx"], resource_provider_generation: 0 }, { version: "latest" });
    expect(detail(lower)).toContain("No such trait hw_cpu_x86_avx");
    const cases: [unknown, string][] = [
      [{ traits: [] }, "'resource_provider_generation' is a required property"],
      [{ resource_provider_generation: 0 }, "'traits' is a required property"],
      [{ traits: "x", resource_provider_generation: 0 }, "'x' is not of type 'array'"],
      [{ traits: [""], resource_provider_generation: 0 }, "'' is too short"],
      [{ traits: [], resource_provider_generation: "0" }, "'0' is not of type 'integer'"],
      [{ traits: [], resource_provider_generation: 0, x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
    ];
    for (const [body, msg] of cases) {
      const r = await api().put(path, body, { version: "latest" });
      expect(r.status).toBe(400);
      expect(detail(r)).toContain(`JSON does not validate: ${msg}`);
      expect(r.headers.get("vary")).toBe("openstack-api-version");
    }
    const malformed = await api().request("PUT", path, { raw: "{", headers: { "content-type": "application/json" }, version: "latest" });
    expect(malformed.status).toBe(400);
    expect(detail(malformed)).toContain("Malformed JSON");
    const media = await api().request("PUT", path, { raw: "{}", headers: { "content-type": "text/plain" }, version: "latest" });
    expect(media.status).toBe(415);
    expect((await api().get(path, { version: "1.6" })).body.resource_provider_generation).toBe(0);
  });

  it("answers 404 for an unknown provider; only the read is stamped with vary", async () => {
    const id = uuid();
    const path = `/resource_providers/${id}/traits`;
    const read = await api().get(path, { version: "latest" });
    expect(read.status).toBe(404);
    expect(detail(read)).toBe(`The resource could not be found.\n\n No resource provider with uuid ${id} found: No resource provider with uuid ${id} found  `);
    expect(read.headers.get("vary")).toBe("openstack-api-version");
    const put = await api().put(path, { traits: [], resource_provider_generation: 0 }, { version: "latest" });
    const del = await api().del(path, { version: "latest" });
    for (const r of [put, del]) {
      expect(r.status).toBe(404);
      expect(detail(r)).toBe(`The resource could not be found.\n\n No resource provider with uuid ${id} found  `);
      expect(r.headers.get("vary")).toBeNull();
    }
  });

  it("applies the policies, after the media type check", async () => {
    const rp = await provider(api());
    const who = { token: "bob", version: "latest" };
    for (const [m, p] of [
      ["GET", "/traits"],
      ["GET", "/traits/HW_CPU_X86_AVX"],
      ["PUT", "/traits/CUSTOM_BOB"],
      ["DELETE", "/traits/CUSTOM_BOB"],
      ["GET", `/resource_providers/${rp}/traits`],
      ["DELETE", `/resource_providers/${rp}/traits`],
    ] as const) {
      const r = await api().request(m, p, who);
      expect(r.status).toBe(403);
      expect(r.headers.get("vary")).toBeNull();
    }
    const path = `/resource_providers/${rp}/traits`;
    const media = await api().request("PUT", path, { ...who, raw: "x", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    const forbidden = await api().request("PUT", path, { ...who, raw: "x", headers: { "content-type": "application/json" } });
    expect(forbidden.status).toBe(403);
    expect(detail(forbidden)).toContain("Policy does not allow placement:resource_providers:traits:update to be performed.");
  });
});
