import { describe, it, expect } from "vitest";
import { evaluate, parseRule, parseText, render, type Check } from "../../src/policy/rules.js";
import { entry } from "@berth/client/common";

const creds = {
  user_id: "u1",
  project_id: "p1",
  roles: ["Member", "reader"],
  system_scope: null,
  is_admin: true,
  token: { user: { id: "u1", groups: ["g1", "g2"] } },
};
const named: Record<string, string> = { yes: "@", no: "!", member: "role:member" };

function allowed(rule: string | unknown[], target: Record<string, unknown> = { project_id: "p1" }): boolean {
  const errors: string[] = [];
  const check = parseRule(rule as string, (m) => errors.push(m));
  return evaluate(check, {
    target,
    creds,
    resolve: (n) => (n in named ? parseText(entry(named, n)) : undefined),
  });
}

describe("atoms", () => {
  it("@ and the empty rule always allow, ! never does", () => {
    expect(allowed("@")).toBe(true);
    expect(allowed("")).toBe(true);
    expect(allowed("!")).toBe(false);
  });

  it("whitespace-only and colon-less checks fail closed and are reported", () => {
    const errors: string[] = [];
    expect(render(parseText("   ", (m) => errors.push(m)))).toBe("!");
    expect(render(parseText("admin", (m) => errors.push(m)))).toBe("!");
    expect(errors).toHaveLength(2);
  });

  it("role: compares case-insensitively in both directions", () => {
    expect(allowed("role:member")).toBe(true);
    expect(allowed("role:MEMBER")).toBe(true);
    expect(allowed("role:READER")).toBe(true);
    expect(allowed("role:admin")).toBe(false);
  });

  it("role: substitutes from the target and fails when the key is missing", () => {
    expect(allowed("role:%(wanted)s", { wanted: "Reader" })).toBe(true);
    expect(allowed("role:%(wanted)s", {})).toBe(false);
  });

  it("rule: defers to the named rule, unknown names fail closed", () => {
    expect(allowed("rule:yes")).toBe(true);
    expect(allowed("rule:no")).toBe(false);
    expect(allowed("rule:member")).toBe(true);
    expect(allowed("rule:nonexistent")).toBe(false);
  });

  it("rule cycles fail closed instead of overflowing", () => {
    const loop: Check = { kind: "rule", name: "loop" };
    expect(evaluate(loop, { target: {}, creds, resolve: () => loop })).toBe(false);
  });

  it("http checks are unsupported and never allow", () => {
    const errors: string[] = [];
    expect(render(parseText("http://example.com/check", (m) => errors.push(m)))).toBe("!");
    expect(errors[0]).toMatch(/not supported/);
  });
});

describe("generic checks", () => {
  it("compare a credential with a substituted target value", () => {
    expect(allowed("project_id:%(project_id)s", { project_id: "p1" })).toBe(true);
    expect(allowed("project_id:%(project_id)s", { project_id: "p2" })).toBe(false);
    expect(allowed("project_id:%(project_id)s", {})).toBe(false);
  });

  it("compare a credential with a literal", () => {
    expect(allowed("user_id:u1")).toBe(true);
    expect(allowed("user_id:u2")).toBe(false);
  });

  it("render booleans and null as Python does", () => {
    expect(allowed("is_admin:True")).toBe(true);
    expect(allowed("is_admin:true")).toBe(false);
    expect(allowed("is_admin:False")).toBe(false);
    expect(allowed("system_scope:None")).toBe(true);
    // Both sides null: "None" == "None", a known oslo quirk we keep.
    expect(allowed("system_scope:%(p)s", { p: null })).toBe(true);
  });

  it("treat a literal on the left as a value, not a credential", () => {
    expect(allowed("True:%(enabled)s", { enabled: true })).toBe(true);
    expect(allowed("True:%(enabled)s", { enabled: false })).toBe(false);
    expect(allowed("'Member':%(role)s", { role: "Member" })).toBe(true);
    expect(allowed("42:%(n)s", { n: 42 })).toBe(true);
    expect(allowed("1.0:%(n)s", { n: "1.0" })).toBe(true);
  });

  it("walk dotted credential paths, matching any list element", () => {
    expect(allowed("token.user.id:u1")).toBe(true);
    expect(allowed("token.user.groups:g2")).toBe(true);
    expect(allowed("token.user.groups:g3")).toBe(false);
    expect(allowed("token.missing.id:u1")).toBe(false);
    expect(allowed("roles:reader")).toBe(true);
    expect(allowed("roles:READER")).toBe(false);
  });

  it("substitute dotted target keys, flat keys first", () => {
    expect(allowed("user_id:%(target.user_id)s", { "target.user_id": "u1" })).toBe(true);
    expect(allowed("user_id:%(target.user_id)s", { target: { user_id: "u1" } })).toBe(true);
    expect(allowed("user_id:%(target.user_id)s", { "target.user_id": "x", target: { user_id: "u1" } })).toBe(false);
  });

  it("reads %% as %, and keeps % sequences it does not understand", () => {
    const as = (user_id: string, rule: string, target: Record<string, unknown> = {}) =>
      evaluate(parseRule(rule), { target, creds: { ...creds, user_id }, resolve: () => undefined });
    expect(as("u%1", "user_id:u%%1")).toBe(true);
    expect(as("u%%1", "user_id:u%%1")).toBe(false);
    expect(as("u%d", "user_id:u%d")).toBe(true);
    expect(as("u%(x)d", "user_id:u%(x)d", { x: 1 })).toBe(true);
    expect(as("u%1-v", "user_id:u%%1-%(y)s", { y: "v" })).toBe(true);
  });

  it("splits only on the first colon", () => {
    const check = parseText("role:compute:admin");
    expect(check).toEqual({ kind: "role", match: "compute:admin" });
  });
});

describe("operators", () => {
  it("and / or / not", () => {
    expect(allowed("@ and @")).toBe(true);
    expect(allowed("@ and !")).toBe(false);
    expect(allowed("! or @")).toBe(true);
    expect(allowed("! or !")).toBe(false);
    expect(allowed("not !")).toBe(true);
    expect(allowed("not @")).toBe(false);
    expect(allowed("not not @")).toBe(true);
  });

  it("keywords are case-insensitive", () => {
    expect(allowed("! OR @")).toBe(true);
    expect(allowed("@ AND !")).toBe(false);
    expect(allowed("NOT !")).toBe(true);
  });

  it("binds not tighter than and, and tighter than or", () => {
    expect(render(parseText("role:a or role:b and role:c"))).toBe("(role:a or (role:b and role:c))");
    expect(render(parseText("role:a and role:b or role:c"))).toBe("((role:a and role:b) or role:c)");
    expect(render(parseText("not role:a and role:b"))).toBe("(not role:a and role:b)");
    expect(render(parseText("role:a or not role:b and role:c"))).toBe("(role:a or (not role:b and role:c))");
    expect(allowed("@ or ! and !")).toBe(true);
    expect(allowed("! and ! or @")).toBe(true);
    expect(allowed("not @ and !")).toBe(false);
    expect(allowed("not @ or @")).toBe(true);
  });

  it("parentheses override precedence, including against substitution parens", () => {
    expect(allowed("(@ or !) and !")).toBe(false);
    expect(allowed("not (@ and !)")).toBe(true);
    expect(allowed("((role:member))")).toBe(true);
    expect(allowed("(project_id:%(project_id)s or !)", { project_id: "p1" })).toBe(true);
    expect(render(parseText("(role:a or role:b) and (role:c or not role:d)"))).toBe("((role:a or role:b) and (role:c or not role:d))");
  });

  it("malformed expressions fail closed", () => {
    for (const bad of ["@ and", "or @", "(@", "@)", "()", "@ @", "not", "'quoted' or @"]) {
      const errors: string[] = [];
      expect(render(parseText(bad, (m) => errors.push(m))), bad).toBe("!");
      expect(errors.length, bad).toBeGreaterThan(0);
    }
  });
});

describe("legacy list form", () => {
  it("ORs outer lists and ANDs inner ones", () => {
    expect(allowed([["role:member", "user_id:u1"], ["role:admin"]])).toBe(true);
    expect(allowed([["role:member", "user_id:u2"], ["role:admin"]])).toBe(false);
    expect(allowed(["role:admin", "role:reader"])).toBe(true);
  });

  it("[] always allows, a list of empty lists never does", () => {
    expect(allowed([])).toBe(true);
    expect(allowed([[]])).toBe(false);
  });
});
