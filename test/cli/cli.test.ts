// `berth` client commands run in process against a server (in-process Berth, or $BERTH_SDK_TARGET).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runner, type RunOptions } from "./run.js";
import { useTarget, type Target } from "../client/target.js";

const uuid = () => crypto.randomUUID();

/** berth with the target's endpoint and token in OS_ENDPOINT / OS_TOKEN. */
const runnerFor = (target: () => Target, o: RunOptions = {}) => runner(() => ({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token }, ...o }));

describe("resource provider", () => {
  const target = useTarget();
  const berth = runnerFor(target);
  const json = (...argv: string[]) => berth(...argv, "-f", "json");

  it("create, show, list, set, tree and delete, as table, JSON and YAML", async () => {
    const name = `cli-${uuid().slice(0, 8)}`;
    const root = await json("resource", "provider", "create", name);
    expect(root.code).toBe(0);
    expect(root.json).toMatchObject({ name, generation: 0, parent_provider_uuid: null });
    const child = (await json("resource", "provider", "create", `${name}-c`, "--parent-provider", root.json.uuid)).json;
    expect(child.root_provider_uuid).toBe(root.json.uuid);

    const table = await runnerFor(target, { tty: true, columns: 200 })("resource", "provider", "list", "--name", name);
    expect(table.out).toMatch(/^\+-+\+/);
    expect(table.out).toContain(`| ${root.json.uuid} | ${name} |          0 |`);
    const yaml = await berth("resource", "provider", "show", root.json.uuid, "-f", "yaml");
    expect(parse(yaml.out)).toMatchObject({ uuid: root.json.uuid, name });

    const renamed = await json("resource", "provider", "set", root.json.uuid, "--name", `${name}-r`);
    expect(renamed.json.name).toBe(`${name}-r`);

    await berth("resource", "provider", "inventory", "set", root.json.uuid, "--resource", "VCPU=8", "--resource", "VCPU:allocation_ratio=2");
    await berth("resource", "provider", "inventory", "set", child.uuid, "--resource", "DISK_GB=100", "--resource", "DISK_GB:reserved=10");
    const tree = await runnerFor(target, { tty: true, columns: 200 })("resource", "provider", "tree", child.uuid);
    expect(tree.out).toBe(`${name}-r (${root.json.uuid})  VCPU 0/16\n└── ${name}-c (${child.uuid})  DISK_GB 0/90\n`);
    const treeJson = (await json("resource", "provider", "tree", root.json.uuid)).json;
    expect(treeJson.children[0].resources.DISK_GB).toEqual({ capacity: 90, used: 0, total: 100, reserved: 10 });

    const refused = await berth("resource", "provider", "delete", root.json.uuid);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^berth: 409 Conflict: Unable to delete parent resource provider .*: It has child resource providers\. \(placement\.resource_provider\.cannot_delete_parent, request req-[0-9a-f-]+\)\n$/,
    );
    expect((await berth("resource", "provider", "delete", child.uuid)).code).toBe(0);
    expect((await berth("resource", "provider", "delete", root.json.uuid)).code).toBe(0);
    const gone = await berth("resource", "provider", "show", root.json.uuid);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain("404 Not Found: No resource provider with uuid");
  });

  it("inventory set replaces, --amend merges, --dry-run changes nothing; show, list and delete", async () => {
    const rp = (await json("resource", "provider", "create", `inv-${uuid().slice(0, 8)}`)).json.uuid;
    const set = await json("resource", "provider", "inventory", "set", rp, "--resource", "VCPU=8", "--resource", "MEMORY_MB=1024");
    expect(set.json.map((r: any) => r.resource_class).sort()).toEqual(["MEMORY_MB", "VCPU"]);
    const dry = await json("resource", "provider", "inventory", "set", rp, "--resource", "VCPU:reserved=2", "--amend", "--dry-run");
    expect(dry.json.find((r: any) => r.resource_class === "VCPU")).toMatchObject({ total: 8, reserved: 2 });
    expect((await json("resource", "provider", "inventory", "show", rp, "VCPU")).json).toMatchObject({ total: 8, reserved: 0 });
    await berth("resource", "provider", "inventory", "set", rp, "--resource", "VCPU:reserved=2", "--amend");
    const list = (await json("resource", "provider", "inventory", "list", rp)).json;
    expect(list).toHaveLength(2);
    expect(list.find((r: any) => r.resource_class === "VCPU")).toMatchObject({ total: 8, reserved: 2 });
    const replaced = await json("resource", "provider", "inventory", "set", rp, "--resource", "DISK_GB=5");
    expect(replaced.json.map((r: any) => r.resource_class)).toEqual(["DISK_GB"]);
    await berth("resource", "provider", "inventory", "delete", rp, "--resource-class", "DISK_GB");
    expect((await json("resource", "provider", "inventory", "list", rp)).json).toEqual([]);
    const bad = await berth("resource", "provider", "inventory", "set", rp, "--resource", "VCPU:colour=2");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown inventory field colour");
    await berth("resource", "provider", "delete", rp);
  });

  it("aggregates, traits, classes and the --os-placement-api-version override", async () => {
    const rp = (await json("resource", "provider", "create", `at-${uuid().slice(0, 8)}`)).json.uuid;
    const [a, b] = [uuid(), uuid()];
    expect((await json("resource", "provider", "aggregate", "set", rp, "--aggregate", a)).json).toEqual([{ uuid: a }]);
    await berth("resource", "provider", "aggregate", "set", rp, "--aggregate", b, "--amend");
    expect((await json("resource", "provider", "aggregate", "list", rp)).json.map((x: any) => x.uuid).sort()).toEqual([a, b].sort());
    const stale = await berth("resource", "provider", "aggregate", "set", rp, "--aggregate", a, "--generation", "0");
    expect(stale.code).toBe(1);
    expect(stale.err).toContain("placement.concurrent_update");

    const trait = `CUSTOM_CLI_${uuid().slice(0, 8).toUpperCase()}`;
    expect((await berth("trait", "create", trait)).code).toBe(0);
    expect((await json("trait", "show", trait)).json).toEqual({ name: trait });
    expect((await json("trait", "list", "--name", `in:${trait}`)).json).toEqual([{ name: trait }]);
    await berth("resource", "provider", "trait", "set", rp, "--trait", trait, "--trait", "HW_CPU_X86_AVX2");
    // In the server's order (trait ids), as osc-placement prints them.
    expect((await json("resource", "provider", "trait", "list", rp)).json).toEqual([{ name: "HW_CPU_X86_AVX2" }, { name: trait }]);
    expect((await json("resource", "provider", "list", "--required", trait)).json.map((x: any) => x.uuid)).toEqual([rp]);
    await berth("resource", "provider", "trait", "delete", rp);
    expect((await json("resource", "provider", "trait", "list", rp)).json).toEqual([]);
    expect((await berth("trait", "delete", trait)).code).toBe(0);
    expect((await berth("trait", "show", trait)).err).toContain("404 Not Found");

    const rc = `CUSTOM_CLI_${uuid().slice(0, 8).toUpperCase()}`;
    expect((await berth("resource", "class", "create", rc)).code).toBe(0);
    expect((await json("resource", "class", "show", rc)).json).toEqual({ name: rc });
    expect((await json("resource", "class", "list")).json).toContainEqual({ name: "VCPU" });
    expect((await berth("resource", "class", "delete", rc)).code).toBe(0);

    const old = await berth("resource", "class", "list", "--os-placement-api-version", "1.1");
    expect(old.code).toBe(1);
    expect(old.err).toBe("berth: microversion 1.1 was requested, but resourceClasses needs 1.2\n");
    const pinned = await json("resource", "provider", "show", rp, "--os-placement-api-version", "1.10");
    expect(pinned.json.root_provider_uuid).toBeUndefined();
    await berth("resource", "provider", "delete", rp);
  });
});

describe("allocations", () => {
  const target = useTarget();
  const berth = runnerFor(target);
  const json = (...argv: string[]) => berth(...argv, "-f", "json");

  it("candidates with granular groups, allocation set/show/unset/delete, usages", async () => {
    const host = (await json("resource", "provider", "create", `h-${uuid().slice(0, 8)}`)).json.uuid;
    const nic = (await json("resource", "provider", "create", `n-${uuid().slice(0, 8)}`, "--parent-provider", host)).json.uuid;
    await berth("resource", "provider", "inventory", "set", host, "--resource", "VCPU=4");
    await berth("resource", "provider", "inventory", "set", nic, "--resource", "SRIOV_NET_VF=8");
    const cands = await json(
      "allocation",
      "candidate",
      "list",
      "--resource",
      "VCPU=1",
      "--in-tree",
      host,
      "--group",
      "_NET",
      "--resource",
      "SRIOV_NET_VF=2",
      "--group-policy",
      "isolate",
    );
    expect(cands.code).toBe(0);
    expect(cands.json).toEqual([
      { "#": 1, allocation: "VCPU=1", "resource provider": host, "inventory used/capacity": "VCPU=0/4", traits: "" },
      { "#": 1, allocation: "SRIOV_NET_VF=2", "resource provider": nic, "inventory used/capacity": "SRIOV_NET_VF=0/8", traits: "" },
    ]);

    const consumer = uuid();
    const project = uuid();
    const set = await json(
      "resource",
      "provider",
      "allocation",
      "set",
      consumer,
      "--allocation",
      `rp=${host},VCPU=2`,
      "--allocation",
      `rp=${nic},SRIOV_NET_VF=1`,
      "--project-id",
      project,
      "--user-id",
      "u",
    );
    expect(set.code).toBe(0);
    expect(set.json).toHaveLength(2);
    expect((await json("resource", "provider", "usage", "show", host)).json).toEqual([{ resource_class: "VCPU", usage: 2 }]);
    // The project as osc-placement takes it (an argument), or --project-id.
    expect((await json("resource", "usage", "show", project, "-c", "usage", "--sort-column", "usage")).json).toEqual([{ usage: 1 }, { usage: 2 }]);
    expect((await berth("resource", "usage", "show")).code).toBe(2);
    expect((await json("resource", "usage", "show", "--project-id", project)).json).toEqual(
      expect.arrayContaining([
        { resource_class: "VCPU", usage: 2 },
        { resource_class: "SRIOV_NET_VF", usage: 1 },
      ]),
    );
    const unset = await json("resource", "provider", "allocation", "unset", consumer, "--provider", nic);
    expect(unset.json.map((r: any) => r.resource_provider)).toEqual([host]);
    const tree = await runnerFor(target, { tty: true, columns: 200 })("resource", "provider", "tree", host);
    expect(tree.out).toContain("VCPU 2/4");
    expect((await berth("resource", "provider", "allocation", "delete", consumer)).code).toBe(0);
    expect((await json("resource", "provider", "allocation", "show", consumer)).json).toEqual([]);
    await berth("resource", "provider", "delete", nic);
    await berth("resource", "provider", "delete", host);
  });
});

describe("usage errors", () => {
  const none = runner(() => ({ env: {} }));
  it("exit 1 with a message when there is no connection (as openstack), 2 when a flag is unknown", async () => {
    const r = await none("trait", "list");
    expect(r.code).toBe(1);
    expect(r.err).toContain("no connection");
    const unknown = await none("trait", "list", "--bogus");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown option '--bogus'");
  });
});
