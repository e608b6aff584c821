import { describe, it, expect } from "vitest";
import { ALL_DEFAULTS, policies } from "../../src/policies/index.js";
import { createEnforcer, defaultTarget, PolicyNotAuthorized, PolicyNotRegistered, type Credentials } from "../../src/policy/index.js";
import { personas, quietLogger, type Persona } from "./personas.js";

const enforcer = (enforceNewDefaults: boolean, enforceScope: boolean) => createEnforcer({ enforceNewDefaults, enforceScope, logger: quietLogger() });

const apiRules = ALL_DEFAULTS.filter((r) => r.operations.length > 0).map((r) => r.name);
const adminOrService = apiRules.filter((n) => n !== policies.reshaper.RESHAPE && n !== policies.usage.TOTAL_USAGES);

function allowedFor(e: ReturnType<typeof enforcer>, rule: string, who: Persona, target?: Record<string, unknown>) {
  const creds: Credentials = personas[who];
  return e.check(rule, target ?? defaultTarget(creds), creds);
}

describe("new defaults (upstream default configuration)", () => {
  const e = enforcer(true, true);

  it.each(adminOrService)("%s: admin and service only", (rule) => {
    expect(allowedFor(e, rule, "admin")).toBe(true);
    expect(allowedFor(e, rule, "keystoneAdmin")).toBe(true);
    expect(allowedFor(e, rule, "service")).toBe(true);
    expect(allowedFor(e, rule, "member")).toBe(false);
    expect(allowedFor(e, rule, "keystoneMember")).toBe(false);
    expect(allowedFor(e, rule, "reader")).toBe(false);
    expect(allowedFor(e, rule, "nobody")).toBe(false);
  });

  it("reshaper is for the service role alone", () => {
    const rule = policies.reshaper.RESHAPE;
    expect(allowedFor(e, rule, "service")).toBe(true);
    expect(allowedFor(e, rule, "admin")).toBe(false);
    expect(allowedFor(e, rule, "keystoneAdmin")).toBe(false);
    expect(allowedFor(e, rule, "member")).toBe(false);
  });

  it("total usages: admin and service for any project, readers for their own", () => {
    const rule = policies.usage.TOTAL_USAGES;
    const own = { project_id: "p1" };
    const other = { project_id: "p2" };
    for (const who of ["admin", "service"] as const) {
      expect(allowedFor(e, rule, who, own)).toBe(true);
      expect(allowedFor(e, rule, who, other)).toBe(true);
    }
    for (const who of ["reader", "keystoneMember"] as const) {
      expect(allowedFor(e, rule, who, own)).toBe(true);
      expect(allowedFor(e, rule, who, other)).toBe(false);
      // No project_id query parameter: the target holds null.
      expect(allowedFor(e, rule, who, { project_id: null })).toBe(false);
    }
    expect(allowedFor(e, rule, "member", own)).toBe(false);
    expect(allowedFor(e, rule, "nobody", own)).toBe(false);
  });

  it("the base rules are registered and enforceable too", () => {
    expect(allowedFor(e, "admin_api", "admin")).toBe(true);
    expect(allowedFor(e, "admin_api", "service")).toBe(false);
    expect(allowedFor(e, "service_api", "admin")).toBe(false);
  });
});

describe("legacy defaults (enforce_new_defaults = false)", () => {
  const e = enforcer(false, true);

  it.each(apiRules)("%s: admin always, service still", (rule) => {
    expect(allowedFor(e, rule, "admin", { project_id: "elsewhere" })).toBe(true);
    expect(allowedFor(e, rule, "service")).toBe(true);
    expect(allowedFor(e, rule, "member")).toBe(false);
  });

  it("admin may reshape again, through the deprecated role:admin", () => {
    expect(allowedFor(e, policies.reshaper.RESHAPE, "admin")).toBe(true);
    expect(e.describe("service_api")).toBe("(role:service or role:admin)");
  });

  it("leaves rules without a deprecated alternative alone", () => {
    expect(e.describe(policies.resourceProvider.LIST)).toBe("rule:admin_or_service_api");
    expect(e.describe("admin_api")).toBe("role:admin");
  });

  it("readers keep their own project's usages", () => {
    expect(allowedFor(e, policies.usage.TOTAL_USAGES, "reader", { project_id: "p1" })).toBe(true);
    expect(allowedFor(e, policies.usage.TOTAL_USAGES, "reader", { project_id: "p2" })).toBe(false);
  });
});

describe("scope", () => {
  it("refuses system-scoped tokens when scope is enforced, with the ordinary message", () => {
    const e = enforcer(true, true);
    const creds = personas.systemAdmin;
    expect(e.check(policies.resourceProvider.LIST, defaultTarget(creds), creds)).toBe(false);
    expect(() => e.authorize(policies.resourceProvider.LIST, defaultTarget(creds), creds)).toThrow(
      "Policy does not allow placement:resource_providers:list to be performed.",
    );
  });

  it("only warns, once per rule, when scope is not enforced", () => {
    const logger = quietLogger();
    const e = createEnforcer({ enforceNewDefaults: true, enforceScope: false, logger });
    const creds = personas.systemAdmin;
    expect(e.check(policies.resourceProvider.LIST, defaultTarget(creds), creds)).toBe(true);
    expect(e.check(policies.resourceProvider.LIST, defaultTarget(creds), creds)).toBe(true);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/placement:resource_providers:list failed scope check.*system/);
  });

  it("does not scope-check rules without scope types", () => {
    const logger = quietLogger();
    const e = createEnforcer({ enforceNewDefaults: true, enforceScope: true, logger });
    const creds: Credentials = { userId: "u", projectId: "p", roles: ["reader"], systemScope: "all" };
    expect(e.check("project_reader_api", { project_id: "p" }, creds)).toBe(true);
    expect(logger.warnings).toEqual([]);
  });

  it("a wrong scope is refused even when the rule itself would pass", () => {
    const e = enforcer(false, true);
    const creds = personas.systemAdmin;
    expect(e.check("admin_api", {}, creds)).toBe(false);
    expect(enforcer(false, false).check("admin_api", {}, creds)).toBe(true);
  });
});

describe("errors", () => {
  const e = enforcer(true, true);

  it("PolicyNotAuthorized carries the reference's exact message", () => {
    let caught: unknown;
    try {
      e.authorize(policies.trait.TRAITS_LIST, defaultTarget(personas.member), personas.member);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyNotAuthorized);
    expect((caught as PolicyNotAuthorized).message).toBe("Policy does not allow placement:traits:list to be performed.");
    expect((caught as PolicyNotAuthorized).action).toBe("placement:traits:list");
  });

  it("authorize returns quietly when allowed", () => {
    expect(() => e.authorize(policies.trait.TRAITS_LIST, defaultTarget(personas.admin), personas.admin)).not.toThrow();
  });

  it("unknown rule names are a programming error, from check as well", () => {
    expect(() => e.check("placement:nope", {}, personas.admin)).toThrow(PolicyNotRegistered);
    expect(() => e.authorize("placement:nope", {}, personas.admin)).toThrow(PolicyNotRegistered);
  });

  it("defaultTarget is the caller's own project and user", () => {
    expect(defaultTarget(personas.admin)).toEqual({ project_id: "p1", user_id: "u1" });
  });
});
