// The feature -> microversion table and how a call's version is chosen, version by version.
import { describe, expect, it } from "vitest";
import { chooseVersion, compareVersions, FEATURES, has, MicroversionError, type Feature } from "../../packages/client/src/versions.js";

const range = (max: string) => ({ min: "1.0", max });
const ALL_VERSIONS = Array.from({ length: 40 }, (_, i) => `1.${i}`);

describe("the feature table", () => {
  it("names the microversion of each feature, as the reference's version history does", () => {
    expect(FEATURES).toEqual({
      providerAggregates: "1.1",
      resourceClasses: "1.2",
      providersMemberOf: "1.3",
      providersResources: "1.4",
      deleteAllInventories: "1.5",
      traits: "1.6",
      ensureResourceClass: "1.7",
      usagesByProject: "1.9",
      allocationCandidates: "1.10",
      allocationsDictForm: "1.12",
      postAllocations: "1.13",
      providerTree: "1.14",
      lastModified: "1.15",
      candidatesLimit: "1.16",
      candidatesRequired: "1.17",
      providersRequired: "1.18",
      aggregateGenerations: "1.19",
      createReturnsProvider: "1.20",
      candidatesMemberOf: "1.21",
      forbiddenTraits: "1.22",
      errorCodes: "1.23",
      multipleMemberOf: "1.24",
      granularGroups: "1.25",
      reservedEqualsTotal: "1.26",
      summariesAllResources: "1.27",
      consumerGenerations: "1.28",
      nestedCandidates: "1.29",
      reshaper: "1.30",
      candidatesInTree: "1.31",
      forbiddenAggregates: "1.32",
      namedGroupSuffixes: "1.33",
      allocationMappings: "1.34",
      rootRequired: "1.35",
      sameSubtree: "1.36",
      reparenting: "1.37",
      consumerTypes: "1.38",
      anyOfTraits: "1.39",
    });
  });

  it("lists features in version order, every version from 1.1 to 1.39 but 1.8 and 1.11 (which only change replies) has one", () => {
    const vs = Object.values(FEATURES);
    expect([...vs].sort(compareVersions)).toEqual(vs);
    const without = ALL_VERSIONS.slice(1).filter((v) => !vs.includes(v as never));
    expect(without).toEqual(["1.8", "1.11"]);
  });
});

describe("chooseVersion, for each server maximum 1.0 ... 1.39", () => {
  for (const max of ALL_VERSIONS) {
    it(`server max ${max}: each feature alone is sent at its own version, or refused when newer`, () => {
      for (const [f, v] of Object.entries(FEATURES) as [Feature, string][]) {
        if (compareVersions(v, max) <= 0) {
          expect(chooseVersion({ require: [f] }, range(max))).toBe(v);
          expect(has(max, f)).toBe(true);
        } else {
          expect(() => chooseVersion({ require: [f] }, range(max))).toThrow(MicroversionError);
          expect(has(max, f)).toBe(false);
        }
      }
      // A preferred feature never raises the version above the server's maximum.
      expect(chooseVersion({ prefer: ["anyOfTraits"] }, range(max))).toBe(max === "1.39" ? "1.39" : "1.0");
      const newestFeature =
        Object.values(FEATURES)
          .filter((v) => compareVersions(v, max) <= 0)
          .pop() ?? "1.0";
      expect(chooseVersion({ prefer: Object.keys(FEATURES) as Feature[] }, range(max))).toBe(newestFeature);
    });
  }
});

describe("chooseVersion", () => {
  const server = range("1.39");

  it("picks the lowest version the features need", () => {
    expect(chooseVersion({}, server)).toBe("1.0");
    expect(chooseVersion({ require: ["candidatesRequired", "forbiddenTraits"] }, server)).toBe("1.22");
    expect(chooseVersion({ require: ["allocationCandidates", "candidatesInTree"] }, server)).toBe("1.31");
    expect(chooseVersion({ require: ["sameSubtree", "granularGroups"] }, server)).toBe("1.36");
    expect(chooseVersion({ require: ["anyOfTraits"] }, server)).toBe("1.39");
    expect(chooseVersion({ require: ["providersMemberOf"] }, server)).toBe("1.3");
    expect(chooseVersion({ require: ["allocationsDictForm", "consumerGenerations"] }, server)).toBe("1.28");
  });

  it("ignores false entries (features computed from optional arguments)", () => {
    expect(chooseVersion({ require: [false, undefined, "traits"] }, server)).toBe("1.6");
  });

  it("raises to preferred features the server has, never lowers below required", () => {
    expect(chooseVersion({ require: ["traits"], prefer: ["errorCodes"] }, server)).toBe("1.23");
    expect(chooseVersion({ require: ["traits"], prefer: ["errorCodes"] }, range("1.20"))).toBe("1.6");
    expect(chooseVersion({ require: ["reshaper"], prefer: ["errorCodes"] }, server)).toBe("1.30");
  });

  it("sends a pinned version as is when it covers the required features", () => {
    expect(chooseVersion({ require: ["traits"], prefer: ["errorCodes"] }, server, "1.10")).toBe("1.10");
  });

  it("refuses a pinned version below what the features need, naming them", () => {
    const e = (() => {
      try {
        chooseVersion({ require: ["candidatesRequired", "forbiddenTraits"] }, server, "1.20");
      } catch (x) {
        return x as MicroversionError;
      }
    })();
    expect(e).toBeInstanceOf(MicroversionError);
    expect(e!.needed).toBe("1.22");
    expect(e!.features).toEqual(["forbiddenTraits"]);
    expect(e!.message).toBe("microversion 1.20 was requested, but forbiddenTraits needs 1.22");
  });

  it("refuses a pinned version outside the server's range", () => {
    expect(() => chooseVersion({}, range("1.30"), "1.31")).toThrow("outside the server's range 1.0-1.30");
    expect(() => chooseVersion({}, server, "banana")).toThrow(TypeError);
  });

  it("says which features a too-old server lacks", () => {
    expect(() => chooseVersion({ require: ["sameSubtree", "anyOfTraits", "traits"] }, range("1.35"))).toThrow(
      "the server supports microversions up to 1.35, but sameSubtree, anyOfTraits need 1.39",
    );
  });

  it("starts at the server's minimum when it is above 1.0", () => {
    expect(chooseVersion({ require: ["traits"] }, { min: "1.10", max: "1.39" })).toBe("1.10");
  });
});

describe("docs/sdk.md", () => {
  it("lists every feature with its version", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(new URL("../../docs/sdk.md", import.meta.url), "utf8");
    for (const [f, v] of Object.entries(FEATURES)) expect(doc).toContain(`| \`${f}\` | ${v} |`);
  });
});
