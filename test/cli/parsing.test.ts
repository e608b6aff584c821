// The CLI's argument parsers and table rendering.
import { describe, expect, it } from "vitest";
import { parseAllocations } from "../../src/cli/allocation.js";
import { GroupCollector } from "../../src/cli/allocation-candidate.js";
import { clientFrom, UsageError } from "../../src/cli/connection.js";
import { merge, parseResources } from "../../src/cli/inventory.js";
import { table } from "../../src/cli/output.js";
import { KeystonePasswordAuth } from "../../src/client/auth.js";

describe("inventory --resource", () => {
  it("reads CLASS=TOTAL and CLASS:FIELD=VALUE", () => {
    expect(parseResources(["VCPU=8", "VCPU:allocation_ratio=1.5", "DISK_GB:reserved=2"])).toEqual({
      VCPU: { total: 8, allocation_ratio: 1.5 },
      DISK_GB: { reserved: 2 },
    });
    expect(() => parseResources(["VCPU:reserved=1.5"])).toThrow(UsageError);
    expect(() => parseResources(["vcpu"])).toThrow(UsageError);
  });

  it("replaces, or with --amend merges field by field", () => {
    const cur = { VCPU: { total: 8, reserved: 1 }, DISK_GB: { total: 10 } };
    expect(merge(cur, { VCPU: { reserved: 2 } }, true)).toEqual({ VCPU: { total: 8, reserved: 2 }, DISK_GB: { total: 10 } });
    expect(merge(cur, { MEMORY_MB: { total: 5 } }, false)).toEqual({ MEMORY_MB: { total: 5 } });
    expect(() => merge(cur, { VCPU: { reserved: 2 } }, false)).toThrow("VCPU needs a total");
  });
});

describe("allocation --allocation", () => {
  it("reads rp=UUID,CLASS=N and merges repeats", () => {
    expect(parseAllocations(["rp=a,VCPU=2", "rp=a,MEMORY_MB=5", "rp=b,DISK_GB=1"])).toEqual({
      a: { resources: { VCPU: 2, MEMORY_MB: 5 } },
      b: { resources: { DISK_GB: 1 } },
    });
    expect(() => parseAllocations(["VCPU=2"])).toThrow("needs rp=UUID");
  });
});

describe("candidate groups", () => {
  it("puts options after --group into that group, in argv order", () => {
    const g = new GroupCollector();
    g.resource("VCPU=1");
    g.required("A");
    g.group("1");
    g.resource("VF=2");
    g.required("B,C");
    g.forbidden("D");
    g.memberOf("!x,y");
    g.group("_ACC");
    g.memberOf("m1,m2");
    expect(g.request({ limit: 2 })).toEqual({
      resources: { VCPU: 1 },
      required: ["A"],
      limit: 2,
      groups: {
        "1": { resources: { VF: 2 }, anyOf: [["B", "C"]], required: ["!D"], notMemberOf: ["x", "y"] },
        _ACC: { memberOf: [["m1", "m2"]] },
      },
    });
  });
});

describe("connection", () => {
  it("prefers flags over OS_* variables and uses Keystone when there is no token", () => {
    const env = { OS_ENDPOINT: "http://env", OS_TOKEN: "t", OS_PLACEMENT_API_VERSION: "1.20" };
    expect(clientFrom({}, env).transport).toBeDefined();
    const ks = clientFrom({ osAuthUrl: "http://ks", osUsername: "u", osPassword: "p" }, {});
    expect((ks.transport as any).auth).toBeInstanceOf(KeystonePasswordAuth);
    expect(() => clientFrom({ osAuthUrl: "http://ks" }, {})).toThrow("--os-username and --os-password");
    expect(() => clientFrom({ osEndpoint: "http://x" }, {})).toThrow("needs --os-token");
  });
});

describe("table", () => {
  it("draws prettytable-style tables", () => {
    expect(table(["a", "bb"], [["xyz", 1], [null, undefined]])).toBe(
      "+------+----+\n| a    | bb |\n+------+----+\n| xyz  | 1  |\n| None |    |\n+------+----+\n",
    );
  });
});
