import { describe, it, expect } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policies } from "../../src/policies/index.js";
import { createEnforcer, defaultTarget, parsePolicyDocument, PolicyFileError, type Credentials } from "../../src/policy/index.js";
import { personas, quietLogger } from "./personas.js";

const RP_LIST = policies.resourceProvider.LIST;

function withFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-policy-"));
  writeFileSync(join(dir, name), content);
  return dir;
}

function enforcerFor(dir: string, file: string, enforceNewDefaults = true) {
  return createEnforcer({ policyFile: file, configDir: dir, enforceNewDefaults, enforceScope: true, logger: quietLogger() });
}

const can = (e: ReturnType<typeof enforcerFor>, rule: string, who: Credentials) => e.check(rule, defaultTarget(who), who);

describe("policy_dirs", () => {
  it("reads every file of each directory in name order, each overriding the policy file and the files before it", () => {
    const dir = withFile("policy.yaml", `"${RP_LIST}": "role:reader"\n`);
    mkdirSync(join(dir, "policy.d"));
    writeFileSync(join(dir, "policy.d", "10-members.yaml"), `"${RP_LIST}": "role:member"\n"${policies.resourceProvider.SHOW}": "role:member"\n`);
    writeFileSync(join(dir, "policy.d", "20-admins.json"), `{"${RP_LIST}": "role:admin"}`);
    const e = createEnforcer({
      policyFile: "policy.yaml",
      policyDirs: ["policy.d", "missing.d"],
      configDir: dir,
      enforceNewDefaults: true,
      enforceScope: true,
      logger: quietLogger(),
    });
    expect(can(e, RP_LIST, personas.admin)).toBe(true);
    expect(can(e, RP_LIST, personas.member)).toBe(false);
    expect(can(e, policies.resourceProvider.SHOW, personas.member)).toBe(true);
  });

  it("stops on a file it cannot parse, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-policy-"));
    mkdirSync(join(dir, "policy.d"));
    writeFileSync(join(dir, "policy.d", "bad.yaml"), `- [unclosed\n`);
    expect(() => createEnforcer({ policyDirs: ["policy.d"], configDir: dir, enforceNewDefaults: true, enforceScope: true, logger: quietLogger() })).toThrow(
      /bad\.yaml/,
    );
  });
});

describe("policy file overrides", () => {
  it("YAML overrides a rule by name and leaves the others at their defaults", () => {
    const dir = withFile("policy.yaml", `"${RP_LIST}": "role:member"\n`);
    const e = enforcerFor(dir, "policy.yaml");
    expect(can(e, RP_LIST, personas.member)).toBe(true);
    expect(can(e, RP_LIST, personas.admin)).toBe(false);
    expect(can(e, policies.resourceProvider.SHOW, personas.member)).toBe(false);
    expect(can(e, policies.resourceProvider.SHOW, personas.admin)).toBe(true);
  });

  it("JSON works the same, including tab indentation", () => {
    const dir = withFile("policy.json", `{\n\t"${RP_LIST}": "role:member or role:admin"\n}\n`);
    const e = enforcerFor(dir, "policy.json");
    expect(can(e, RP_LIST, personas.member)).toBe(true);
    expect(can(e, RP_LIST, personas.admin)).toBe(true);
  });

  it("overriding a base rule changes every rule built on it", () => {
    const dir = withFile("p.yaml", "admin_or_service_api: role:service\n");
    const e = enforcerFor(dir, "p.yaml");
    expect(can(e, RP_LIST, personas.admin)).toBe(false);
    expect(can(e, policies.trait.TRAITS_LIST, personas.service)).toBe(true);
  });

  it("an overridden rule gets no legacy alternative in legacy mode", () => {
    const dir = withFile("p.yaml", "admin_or_service_api: role:service\n");
    const e = enforcerFor(dir, "p.yaml", false);
    expect(can(e, RP_LIST, personas.admin)).toBe(false);
    // service_api was not overridden, so it still accepts the legacy role:admin.
    expect(can(e, policies.reshaper.RESHAPE, personas.admin)).toBe(true);
  });

  it("an override under the deprecated name carries over to the new rules", () => {
    const dir = withFile("p.yaml", `"rule:admin_api": "role:superuser"\n`);
    const e = enforcerFor(dir, "p.yaml");
    const superuser: Credentials = { userId: "u", projectId: "p", roles: ["superuser"] };
    expect(can(e, RP_LIST, superuser)).toBe(true);
    expect(can(e, RP_LIST, personas.admin)).toBe(false);
  });

  it("file-only rules can be referenced, and `default` catches unknown references", () => {
    const dir = withFile(
      "p.yaml",
      [`my_rule: role:operator`, `"${RP_LIST}": rule:my_rule`, `"${policies.trait.TRAITS_LIST}": rule:undefined_rule`, `default: role:fallback`].join("\n"),
    );
    const logger = quietLogger();
    const e = createEnforcer({ policyFile: "p.yaml", configDir: dir, enforceNewDefaults: true, enforceScope: true, logger });
    expect(logger.warnings).toEqual([`Policies ["${policies.trait.TRAITS_LIST}"] reference a rule that is not defined.`]);
    expect(can(e, RP_LIST, { userId: "u", projectId: "p", roles: ["operator"] })).toBe(true);
    expect(can(e, policies.trait.TRAITS_LIST, { userId: "u", projectId: "p", roles: ["fallback"] })).toBe(true);
  });

  it("accepts the legacy list form and empty values", () => {
    const dir = withFile("p.json", JSON.stringify({ [RP_LIST]: [["role:member"], ["role:reader"]], [policies.resourceProvider.SHOW]: "" }));
    const e = enforcerFor(dir, "p.json");
    expect(can(e, RP_LIST, personas.reader)).toBe(true);
    expect(can(e, RP_LIST, personas.nobody)).toBe(false);
    expect(can(e, policies.resourceProvider.SHOW, personas.nobody)).toBe(true);
  });

  it("a malformed rule fails closed and is logged, without stopping startup", () => {
    const dir = withFile("p.yaml", `"${RP_LIST}": "role:admin or"\n`);
    const logger = quietLogger();
    const e = createEnforcer({ policyFile: "p.yaml", configDir: dir, enforceNewDefaults: true, enforceScope: true, logger });
    expect(can(e, RP_LIST, personas.admin)).toBe(false);
    expect(logger.warnings.join()).toMatch(/role:admin or/);
  });

  it("resolves absolute paths as given", () => {
    const dir = withFile("abs.yaml", `"${RP_LIST}": "@"\n`);
    const e = createEnforcer({ policyFile: join(dir, "abs.yaml"), enforceNewDefaults: true, enforceScope: true });
    expect(can(e, RP_LIST, personas.nobody)).toBe(true);
  });
});

describe("policy file errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-policy-"));

  it("a missing explicitly configured file fails at load time", () => {
    expect(() => enforcerFor(dir, "custom-policy.yaml")).toThrow(PolicyFileError);
    expect(() => enforcerFor(dir, "custom-policy.yaml")).toThrow(/custom-policy\.yaml not found/);
  });

  it("the oslo default name may be absent, like under oslo.policy", () => {
    const e = enforcerFor(dir, "policy.yaml");
    expect(can(e, RP_LIST, personas.admin)).toBe(true);
  });

  it("no policy file at all means defaults", () => {
    const e = createEnforcer({ enforceNewDefaults: true, enforceScope: true });
    expect(can(e, RP_LIST, personas.service)).toBe(true);
  });

  it("rejects unparseable and non-mapping documents", () => {
    expect(() => parsePolicyDocument("a: [unclosed")).toThrow(PolicyFileError);
    expect(() => parsePolicyDocument("- role:admin\n")).toThrow(/mapping/);
    expect(() => parsePolicyDocument("rule: 3\n")).toThrow(/check string/);
    expect(() => enforcerFor(withFile("bad.yaml", "x: [\n"), "bad.yaml")).toThrow(/cannot parse/);
  });

  it("an empty file or a bare key is valid", () => {
    expect(parsePolicyDocument("").size).toBe(0);
    expect(parsePolicyDocument("# only comments\n").size).toBe(0);
    expect(parsePolicyDocument("some_rule:\n").get("some_rule")).toBe("");
  });
});
