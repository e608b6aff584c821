// Capabilities documents (GET /capabilities, /capabilities/{type}, /capabilities/{type}/{id}): for
// reader, member, admin and service callers in project and system scope, each operation's verdict is
// the one the real request gets; the catalog's operations and query parameters are the API's; an
// instance's state refuses what its writes would refuse; every document matches the JSON Schema in
// docs/capabilities.schema.json; answers revalidate with their ETag.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { startApi, useApi, uuid, type TestApi } from "../helpers/api.js";
import { ROUTES } from "../../src/routes.js";
import { OPERATIONS, QUERY } from "../../src/http/capabilities.js";
import { entry } from "@berth/client/common";

const schema = JSON.parse(readFileSync(new URL("../../docs/capabilities.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const valid = (doc: unknown) => {
  const ok = validate(doc);
  return ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
};

/** Callers as noauth2 sees them: the token names user (and project), X-Roles the roles. */
const CALLERS: Record<string, Record<string, string>> = {
  "project admin": { "x-auth-token": "admin" },
  "project service": { "x-auth-token": "nova:service-project", "x-roles": "service" },
  "project member": { "x-auth-token": "alice:proj-a", "x-roles": "member" },
  "project reader": { "x-auth-token": "bob:proj-a", "x-roles": "reader" },
  "system admin": { "x-auth-token": "root", "x-roles": "admin", "openstack-system-scope": "all" },
  "system reader": { "x-auth-token": "auditor", "x-roles": "reader", "openstack-system-scope": "all" },
};

const fill = (path: string, params: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, n: string) => params[n] ?? n);

describe("the capabilities catalog", () => {
  it("lists every operation of the route table once, and only those", () => {
    const routed = ROUTES.flatMap((r) =>
      Object.keys(r.methods)
        .filter((m) => !["/", "/healthcheck"].includes(r.path) && !/^\/(capabilities|ui)(\/|$)/.test(r.path) && m !== "HEAD")
        .map((m) => `${m} ${r.path}`),
    ).sort();
    expect(OPERATIONS.map((o) => `${o.method} ${o.path}`).sort()).toEqual(routed);
    expect(new Set(OPERATIONS.map((o) => o.id)).size).toBe(OPERATIONS.length);
  });
});

describeEachDb("capabilities", (dialect) => {
  const api = useApi(dialect);
  const get = (path: string, who: string, extra: Record<string, string> = {}) =>
    api().get(path, { token: null, headers: { ...entry(CALLERS, who), ...extra } });

  it("service level: each operation's verdict is the one the real request gets, for every caller", async () => {
    const rp = uuid();
    expect((await api().post("/resource_providers", { name: `cap-${rp}`, uuid: rp }, { version: "1.20" })).status).toBe(200);
    const consumer = uuid();
    for (const [who, headers] of Object.entries(CALLERS)) {
      const doc = (await get("/capabilities", who)).body;
      expect(valid(doc)).toEqual([]);
      expect(doc.microversions).toEqual({ min: "1.0", max: "1.39" });
      // Every read, sent for real at the newest microversion: 403 exactly where the document refuses.
      for (const op of doc.operations.filter((o: { method: string }) => o.method === "GET")) {
        const path = fill(op.path, { uuid: rp, consumer_uuid: consumer, name: "CUSTOM_NOPE", resource_class: "VCPU" });
        const project = (entry(headers, "x-auth-token").split(":")[1] ?? headers["x-auth-token"])!;
        const query = op.path.startsWith("/allocation_candidates") ? "?resources=VCPU:1" : op.path === "/usages" ? `?project_id=${project}` : "";
        const real = await api().get(path + query, { token: null, version: "1.39", headers });
        expect({ who, op: op.id, forbidden: real.status === 403 }).toEqual({ who, op: op.id, forbidden: !op.allowed });
      }
      const verdict = (id: string) => doc.operations.find((o: { id: string }) => o.id === id);
      if (who === "project admin") {
        expect(doc.operations.filter((o: { allowed: boolean }) => !o.allowed).map((o: { id: string }) => o.id)).toEqual(["reshaper:reshape"]);
        expect(verdict("reshaper:reshape").refused_by[0]).toMatchObject({
          reason: "policy",
          rule: "placement:reshaper:reshape",
          check: "rule:service_api",
          expanded: "(role:service)",
        });
      }
      if (who === "project service") expect(doc.operations.every((o: { allowed: boolean }) => o.allowed)).toBe(true);
      if (who === "project reader") {
        expect(doc.operations.filter((o: { allowed: boolean }) => o.allowed).map((o: { id: string }) => o.id)).toEqual(["usages"]);
        expect(verdict("usages").conditions).toEqual(["only for project_id=proj-a (the token's project)"]);
        expect((await api().get("/usages?project_id=proj-b", { token: null, version: "1.39", headers })).status).toBe(403);
      }
      if (who === "project member") expect(doc.operations.some((o: { allowed: boolean }) => o.allowed)).toBe(false);
      if (who.startsWith("system")) {
        expect(doc.operations.some((o: { allowed: boolean }) => o.allowed)).toBe(false);
        expect(verdict("resource_providers:list").refused_by[0].reason).toBe("scope");
      }
      expect(doc.caller.scope).toBe(who.startsWith("system") ? "system" : "project");
    }
  });

  it("type level: the operations of the type, its query parameters and fields", async () => {
    const doc = (await get("/capabilities/allocation_candidates", "project service")).body;
    expect(valid(doc)).toEqual([]);
    expect(doc.operations.map((o: { id: string }) => o.id)).toEqual(["allocation_candidates:list", "allocation_candidates:explain"]);
    expect(doc.query_parameters.find((q: { name: string }) => q.name === "same_subtree").since).toBe("1.36");
    expect(doc.fields.map((f: { name: string }) => f.name)).toContain("provider_summaries.*.traits");
    expect((await get("/capabilities/widgets", "project admin")).status).toBe(404);
    for (const t of ["resource_providers", "inventories", "usages", "aggregates", "traits", "resource_classes", "allocations", "reshaper"])
      expect(valid((await get(`/capabilities/${t}`, "project reader")).body)).toEqual([]);
  });

  it("the query parameters listed exist from their microversion, and not before", async () => {
    for (const params of Object.values(QUERY)) {
      for (const q of params!) {
        const path = q.operation.replace(/^GET /, "");
        const [, minor] = q.since.split(".").map(Number) as [number, number];
        const base = path === "/allocation_candidates" && q.name !== "resources" ? "resources=VCPU:1&" : "";
        const value = q.name.startsWith("resources")
          ? "VCPU:1"
          : ((
              {
                limit: "1",
                group_policy: "none",
                associated: "true",
                uuid: uuid(),
                member_of: uuid(),
                member_of1: uuid(),
                in_tree: uuid(),
                in_tree1: uuid(),
                same_subtree: "_A",
              } as Record<string, string>
            )[q.name] ?? "x");
        const unknown = (r: { status: number; text: string }) =>
          r.status === 400 && /Additional properties are not allowed|was unexpected/.test(r.text) && r.text.includes(q.name);
        const at = await api().get(`${path}?${base}${q.name}=${value}`, { version: q.since });
        expect({ param: q.name, at: q.since, unknown: unknown(at), text: at.text.slice(0, 200) }).toMatchObject({ param: q.name, unknown: false });
        // Below its microversion (when the path itself exists there) the parameter is refused.
        const routeSince = { "/usages": 9, "/traits": 6, "/allocation_candidates": 10, "/resource_providers": 0 }[path] ?? 0;
        if (minor - 1 >= routeSince && q.name !== "resources1" && !q.name.endsWith("1")) {
          const before = await api().get(`${path}?${base}${q.name}=${value}`, { version: `1.${minor - 1}` });
          expect({ param: q.name, before: `1.${minor - 1}`, status: before.status }).toEqual({ param: q.name, before: `1.${minor - 1}`, status: 400 });
        }
      }
    }
  });

  it("instance level: a provider's state refuses what its writes would refuse", async () => {
    const parent = uuid();
    const child = uuid();
    const lone = uuid();
    for (const [u, extra] of [
      [parent, {}],
      [child, { parent_provider_uuid: parent }],
      [lone, {}],
    ] as const)
      expect((await api().post("/resource_providers", { name: `cap-${u}`, uuid: u, ...extra }, { version: "1.20" })).status).toBe(200);
    expect(
      (await api().put(`/resource_providers/${parent}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 8 } } })).status,
    ).toBe(200);
    const consumer = uuid();
    expect(
      (
        await api().put(
          `/allocations/${consumer}`,
          { allocations: { [parent]: { resources: { VCPU: 3 } } }, project_id: "p", user_id: "u", consumer_generation: null },
          { version: "1.28" },
        )
      ).status,
    ).toBe(204);
    const doc = (await get(`/capabilities/resource_providers/${parent}`, "project admin")).body;
    expect(valid(doc)).toEqual([]);
    expect(doc.state).toMatchObject({ children: 1, consumers: 1, usages: { VCPU: 3 }, parent_provider_uuid: null, root_provider_uuid: parent });
    const op = (d: typeof doc, method: string, path: string) =>
      d.operations.find((o: { method: string; path: string }) => o.method === method && o.path === path);
    const del = op(doc, "DELETE", "/resource_providers/{uuid}");
    expect(del.allowed).toBe(false);
    expect(del.refused_by.map((r: { reason: string }) => r.reason)).toEqual(["state", "state"]);
    expect(op(doc, "DELETE", "/resource_providers/{uuid}/inventories").allowed).toBe(false);
    expect(op(doc, "PUT", "/resource_providers/{uuid}/inventories").allowed).toBe(true);
    expect(op(doc, "PUT", "/resource_providers/{uuid}/inventories").conditions[0]).toContain("VCPU (3 used)");
    // The real writes agree.
    expect((await api().del(`/resource_providers/${parent}`)).status).toBe(409);
    expect((await api().del(`/resource_providers/${parent}/inventories`, { version: "1.5" })).status).toBe(409);
    const free = (await get(`/capabilities/resource_providers/${lone}`, "project admin")).body;
    expect(op(free, "DELETE", "/resource_providers/{uuid}").allowed).toBe(true);
    expect((await get(`/capabilities/resource_providers/${uuid()}`, "project admin")).status).toBe(404);
    // Only a caller who may see the provider learns anything about it.
    expect((await get(`/capabilities/resource_providers/${parent}`, "project reader")).status).toBe(403);
    const allowedAsService = (await get(`/capabilities/resource_providers/${lone}`, "project service")).body;
    expect(allowedAsService.operations.every((o: { allowed: boolean }) => o.allowed)).toBe(true);
    expect((await api().del(`/resource_providers/${lone}`)).status).toBe(204);

    const c = (await get(`/capabilities/allocations/${consumer}`, "project admin")).body;
    expect(valid(c)).toEqual([]);
    expect(c.state).toMatchObject({ exists: true, consumer_generation: 1, providers: [parent] });
    const none = (await get(`/capabilities/allocations/${uuid()}`, "project admin")).body;
    expect(none.state).toEqual({ exists: false, consumer_generation: null });
    expect(none.operations.find((o: { method: string }) => o.method === "DELETE").allowed).toBe(false);
    expect((await get(`/capabilities/traits/CUSTOM_X`, "project admin")).status).toBe(404);
  });

  it("answers are private to the caller and revalidate with their ETag", async () => {
    const first = await get("/capabilities", "project admin");
    expect(first.headers.get("cache-control")).toBe("private, max-age=60");
    expect(first.headers.get("vary")).toContain("X-Auth-Token");
    const etag = first.headers.get("etag")!;
    const again = await get("/capabilities", "project admin", { "if-none-match": etag });
    expect(again.status).toBe(304);
    const other = await get("/capabilities", "project reader", { "if-none-match": etag });
    expect(other.status).toBe(200);
  });
});

describe("capabilities under the legacy policy defaults (enforce_new_defaults = False, enforce_scope = False)", () => {
  it("a system-scoped admin may do what the legacy rules let an admin do", async () => {
    const api: TestApi & { close(): Promise<void> } = await startApi("sqlite", { oslo_policy: { enforce_new_defaults: "false", enforce_scope: "false" } });
    try {
      const doc = (await api.get("/capabilities", { token: null, headers: entry(CALLERS, "system admin") })).body;
      expect(doc.operations.find((o: { id: string }) => o.id === "resource_providers:list").allowed).toBe(true);
      const real = await api.get("/resource_providers", { token: null, headers: entry(CALLERS, "system admin") });
      expect(real.status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
