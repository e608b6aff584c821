import { describe, it, expect } from "vitest";
import { ALL_DEFAULTS, policies } from "../../src/policies/index.js";

const byName = new Map(ALL_DEFAULTS.map((r) => [r.name, r]));
const apiNames = Object.entries(policies)
  .filter(([noun]) => noun !== "base")
  .flatMap(([, catalog]) => Object.values(catalog));

describe("policy catalog", () => {
  it("registers every upstream rule exactly once, and Berth's own explain rule", () => {
    expect(ALL_DEFAULTS).toHaveLength(39);
    expect(byName.size).toBe(ALL_DEFAULTS.length);
    expect(apiNames).toHaveLength(34);
    expect(byName.get(policies.allocationCandidate.EXPLAIN)!.checkStr).toBe(byName.get(policies.allocationCandidate.LIST)!.checkStr);
    for (const name of [...apiNames, ...Object.values(policies.base)]) expect(byName.has(name), name).toBe(true);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(policies)).toBe(true);
    expect(Object.isFrozen(policies.resourceProvider)).toBe(true);
    expect(Object.isFrozen(ALL_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(ALL_DEFAULTS[0])).toBe(true);
    expect(policies.resourceProvider.LIST).toBe("placement:resource_providers:list");
  });

  it("has upstream's base rules", () => {
    const base = Object.fromEntries(
      ALL_DEFAULTS.filter((r) => r.operations.length === 0).map((r) => [r.name, [r.checkStr, r.scopeTypes.join(","), r.deprecatedRule?.checkStr ?? null]]),
    );
    expect(base).toEqual({
      admin_api: ["role:admin", "project", null],
      service_api: ["role:service", "project", "role:admin"],
      admin_or_service_api: ["role:admin or role:service", "project", "role:admin"],
      project_reader_api: ["role:reader and project_id:%(project_id)s", "", "role:admin"],
      admin_or_project_reader_or_service_api: ["role:admin or rule:project_reader_api or role:service", "project", "role:admin"],
    });
  });

  it("scopes every API rule to project tokens and points it at a base rule", () => {
    const special: Record<string, string> = {
      "placement:reshaper:reshape": "rule:service_api",
      "placement:usages": "rule:admin_or_project_reader_or_service_api",
    };
    for (const name of apiNames) {
      const rule = byName.get(name)!;
      expect(rule.scopeTypes, name).toEqual(["project"]);
      expect(rule.checkStr, name).toBe(special[name] ?? "rule:admin_or_service_api");
      expect(rule.deprecatedRule, name).toBeUndefined();
      expect(rule.operations.length, name).toBeGreaterThan(0);
    }
  });

  it("names the operations each rule guards", () => {
    const ops = (n: string) => byName.get(n)!.operations.map((o) => `${o.method} ${o.path}`);
    expect(ops(policies.inventory.UPDATE)).toEqual([
      "PUT /resource_providers/{uuid}/inventories",
      "PUT /resource_providers/{uuid}/inventories/{resource_class}",
    ]);
    expect(ops(policies.allocation.ALLOC_MANAGE)).toEqual(["POST /allocations"]);
    expect(ops(policies.usage.TOTAL_USAGES)).toEqual(["GET /usages"]);
  });
});
