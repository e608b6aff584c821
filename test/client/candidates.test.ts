// The candidate request builder and its encoding: query parameters and the version they need.
import { describe, expect, it } from "vitest";
import { candidateRequest, encodeCandidateRequest, type CandidateRequest } from "../../packages/client/src/candidates.js";
import { encodeProviderFilter } from "../../packages/client/src/resources/providers.js";
import { chooseVersion } from "../../packages/client/src/versions.js";

const server = { min: "1.0", max: "1.39" };
const versionOf = (r: CandidateRequest) => chooseVersion({ require: encodeCandidateRequest(r).require }, server);

describe("encodeCandidateRequest", () => {
  it("sends plain resources at 1.12 (dict-form allocation requests)", () => {
    const e = encodeCandidateRequest({ resources: { VCPU: 2, MEMORY_MB: 512 } });
    expect(e.query).toEqual({ resources: "MEMORY_MB:512,VCPU:2" });
    expect(versionOf({ resources: { VCPU: 1 } })).toBe("1.12");
  });

  it.each<[string, CandidateRequest, string]>([
    ["limit", { resources: { VCPU: 1 }, limit: 5 }, "1.16"],
    ["required", { resources: { VCPU: 1 }, required: ["HW_CPU_X86_AVX2"] }, "1.17"],
    ["member_of", { resources: { VCPU: 1 }, memberOf: [["a", "b"]] }, "1.21"],
    ["forbidden trait", { resources: { VCPU: 1 }, required: ["A", "!B"] }, "1.22"],
    ["two member_of", { resources: { VCPU: 1 }, memberOf: ["a", "b"] }, "1.24"],
    ["numbered group", { groups: { "1": { resources: { VCPU: 1 } } }, groupPolicy: "isolate" }, "1.25"],
    ["in_tree", { resources: { VCPU: 1 }, inTree: "t" }, "1.31"],
    ["forbidden aggregate", { resources: { VCPU: 1 }, notMemberOf: ["a"] }, "1.32"],
    ["named group", { groups: { _NET: { resources: { VF: 1 } } } }, "1.33"],
    ["root_required", { resources: { VCPU: 1 }, rootRequired: ["!COMPUTE_STATUS_DISABLED"] }, "1.35"],
    ["same_subtree", { groups: { _A: { resources: { VF: 1 } }, _B: {} }, sameSubtree: [["_A", "_B"]] }, "1.36"],
    ["any-of traits", { resources: { VCPU: 1 }, anyOf: [["A", "B"]] }, "1.39"],
  ])("%s needs %s", (_name, req, version) => {
    expect(versionOf(req)).toBe(version);
  });

  it("keeps plain traits in one required parameter and any-of sets in their own", () => {
    const e = encodeCandidateRequest({ resources: { VCPU: 1 }, required: ["A", "!B"], anyOf: [["C", "D"], ["E"]] });
    expect(e.query.required).toEqual(["A,!B,E", "in:C,D"]);
  });

  it("encodes aggregates: any-of lists, single ones, and forbidden ones in one !in:", () => {
    const e = encodeCandidateRequest({ resources: { VCPU: 1 }, memberOf: [["a", "b"], "c"], notMemberOf: ["x", "y"] });
    expect(e.query.member_of).toEqual(["in:a,b", "c", "!in:x,y"]);
    expect(encodeCandidateRequest({ resources: { VCPU: 1 }, notMemberOf: ["x"] }).query.member_of).toBe("!x");
  });

  it("suffixes every parameter of a granular group", () => {
    const e = encodeCandidateRequest({
      resources: { VCPU: 1 },
      groups: { _NET: { resources: { VF: 2 }, required: ["P1"], memberOf: ["agg"], inTree: "root" } },
      groupPolicy: "none",
      sameSubtree: [["_NET", ""]],
    });
    expect(e.query).toEqual({
      resources: "VCPU:1",
      resources_NET: "VF:2",
      required_NET: "P1",
      member_of_NET: "agg",
      in_tree_NET: "root",
      group_policy: "none",
      same_subtree: ["_NET,"],
    });
  });

  it("rejects a suffix the API cannot carry", () => {
    expect(() => encodeCandidateRequest({ groups: { "a b": { resources: { VCPU: 1 } } } })).toThrow("invalid request group suffix");
  });
});

describe("the builder", () => {
  it("builds the same request as the literal", () => {
    const built = candidateRequest()
      .resources({ VCPU: 2 })
      .required("HW_CPU_X86_AVX2")
      .forbidden("CUSTOM_OLD")
      .anyOf("HW_NIC_A", "HW_NIC_B")
      .memberOf("a1", "a2")
      .notMemberOf("bad")
      .inTree("root")
      .group("_NET", (g) => g.resources({ VF: 1 }).required("CUSTOM_PHYSNET1"))
      .group("_ACC", (g) => g.required("CUSTOM_FPGA"))
      .groupPolicy("isolate")
      .limit(3)
      .rootRequired("!COMPUTE_STATUS_DISABLED")
      .sameSubtree("_NET", "_ACC")
      .build();
    expect(built).toEqual({
      resources: { VCPU: 2 },
      required: ["HW_CPU_X86_AVX2", "!CUSTOM_OLD"],
      anyOf: [["HW_NIC_A", "HW_NIC_B"]],
      memberOf: [["a1", "a2"]],
      notMemberOf: ["bad"],
      inTree: "root",
      groups: { _NET: { resources: { VF: 1 }, required: ["CUSTOM_PHYSNET1"] }, _ACC: { required: ["CUSTOM_FPGA"] } },
      groupPolicy: "isolate",
      limit: 3,
      rootRequired: ["!COMPUTE_STATUS_DISABLED"],
      sameSubtree: [["_NET", "_ACC"]],
    });
    expect(versionOf(built)).toBe("1.39");
  });

  it("returns a copy: later builder calls do not change a built request", () => {
    const b = candidateRequest().resources({ VCPU: 1 });
    const first = b.build();
    b.resources({ MEMORY_MB: 1 });
    expect(first).toEqual({ resources: { VCPU: 1 } });
  });
});

describe("encodeProviderFilter", () => {
  const v = (f: Parameters<typeof encodeProviderFilter>[0]) => chooseVersion({ require: encodeProviderFilter(f).require }, server);
  it("needs the provider-list versions of each filter", () => {
    expect(v({ name: "x" })).toBe("1.0");
    expect(v({ memberOf: [["a", "b"]] })).toBe("1.3");
    expect(v({ resources: { VCPU: 1 } })).toBe("1.4");
    expect(v({ inTree: "t" })).toBe("1.14");
    expect(v({ required: ["A"] })).toBe("1.18");
    expect(v({ required: ["!A"] })).toBe("1.22");
    expect(v({ memberOf: ["a", "b"] })).toBe("1.24");
    expect(v({ notMemberOf: ["a"] })).toBe("1.32");
    expect(v({ anyOf: [["A", "B"]] })).toBe("1.39");
  });
});
