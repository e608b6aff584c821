// `berth allocation candidate explain` in process against an in-process Berth: the same flags as
// `list`, a readable table by default, the document with -f json|yaml (Berth's own path: skipped
// against another server).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runner } from "./run.js";
import { externalTarget, useTarget } from "../client/target.js";

describe.skipIf(externalTarget)("berth allocation candidate explain", () => {
  const target = useTarget();
  const admin = runner(() => ({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token } }));

  it("explains with the list's flags: a table, JSON and YAML", async () => {
    const name = `explain-${crypto.randomUUID().slice(0, 8)}`;
    const created = await admin("resource", "provider", "create", name, "-f", "json");
    expect(created.code).toBe(0);
    const uuid = created.json.uuid as string;
    expect((await admin("resource", "provider", "inventory", "set", uuid, "--resource", "VCPU=32", "--resource", "VCPU:reserved=2", "-f", "json")).code).toBe(
      0,
    );
    const flags = ["--resource", "VCPU=40", "--group", "_NET", "--resource", "SRIOV_NET_VF=1", "--group-policy", "isolate"];
    expect((await admin("allocation", "candidate", "list", ...flags, "-f", "json")).json).toEqual([]);

    const text = await admin("allocation", "candidate", "explain", ...flags);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^no candidates: group \(unsuffixed\) fits no tree after capacity of VCPU \(asks 40\); closest: /);
    expect(text.out).toContain("\ngroup (unsuffixed): VCPU=40\n");
    expect(text.out).toMatch(/\| capacity\s+\| VCPU=40\s+\|\s+0 \|\s+0 \|/);
    expect(text.out).toContain("\ngroup _NET: SRIOV_NET_VF=1\n");
    expect(text.out).toContain(`${name}: VCPU asks 40, free 30 = (32 - 2) x 1.0 - 0 used`);

    const j = await admin("allocation", "candidate", "explain", ...flags, "-f", "json");
    expect(j.code).toBe(0);
    expect(j.json).toMatchObject({ explain_version: "1.0", fits: false, candidates: 0 });
    expect(j.json.groups.map((g: { suffix: string }) => g.suffix)).toEqual(["", "_NET"]);
    const y = await admin("allocation", "candidate", "explain", "--resource", "VCPU=1", "--limit", "1", "-f", "yaml");
    expect(parse(y.out)).toMatchObject({ fits: true, candidates: 1 });

    // A bad flag value is the list's usage error; a bad query the server's 400.
    expect((await admin("allocation", "candidate", "explain", "--resource", "VCPU=1", "--group-policy", "maybe")).code).toBe(2);
    const bad = await admin("allocation", "candidate", "explain", "--resource", "CUSTOM_NO_SUCH=1");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("CUSTOM_NO_SUCH");
    expect((await admin("resource", "provider", "delete", uuid)).code).toBe(0);
  });
});
