// The CLI's argument parsers and table rendering.
import { describe, expect, it } from "vitest";
import { parseAllocations } from "../../packages/cli/src/allocation.js";
import { GroupCollector } from "../../packages/cli/src/allocation-candidate.js";
import { searchPath, type Files } from "../../packages/cli/src/clouds.js";
import { resolveConnection } from "../../packages/cli/src/connection.js";
import { CliError, UsageError } from "../../packages/cli/src/errors.js";
import { merge, parseResources } from "../../packages/cli/src/inventory.js";
import { pyJson, PyFloat, pyRepr, pyStr, table, wrap } from "../../packages/cli/src/output.js";
import { KeystoneApplicationCredentialAuth, KeystonePasswordAuth, KeystoneTokenAuth } from "../../packages/client/src/auth.js";
import { entry } from "@berth/client/common";

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

/** A disk of the given files (path -> text), for clouds.yaml lookups. */
function disk(files: Record<string, string>, env: Record<string, string> = {}): Files {
  return {
    env,
    home: "/home/op",
    cwd: "/work/here",
    exists: (p) => p in files,
    read: (p) => {
      if (!(p in files)) throw new Error(`ENOENT: ${p}`);
      return entry(files, p);
    },
  };
}

const opts = (auth: unknown) => (auth as { opts: Record<string, unknown> }).opts;
const identity = (auth: unknown) => (auth as { request(): { identity: any; scope?: any } }).request();

describe("connection", () => {
  it("prefers flags over OS_* variables, and those over clouds.yaml: user, region and microversion", () => {
    const f = disk(
      {
        "/home/op/.config/openstack/clouds.yaml": [
          "clouds:",
          "  prod:",
          "    auth:",
          "      auth_url: http://ks-prod/v3",
          "      username: cloud-user",
          "      project_name: cloud-project",
          "    region_name: RegionTwo",
          "    interface: internal",
          "    placement_api_version: '1.20'",
        ].join("\n"),
        "/home/op/.config/openstack/secure.yaml": "clouds:\n  prod:\n    auth:\n      password: from-secure\n",
      },
      { OS_CLOUD: "prod", OS_USERNAME: "env-user" },
    );
    const c = resolveConnection({}, f);
    expect(c.authType).toBe("password");
    expect(c.version).toBe("1.20");
    expect(c.auth).toBeInstanceOf(KeystonePasswordAuth);
    expect(opts(c.auth)).toMatchObject({ authUrl: "http://ks-prod/v3", interface: "internal", regionName: "RegionTwo" });
    expect(identity(c.auth)).toEqual({
      identity: { methods: ["password"], password: { user: { name: "env-user", domain: { name: "Default" }, password: "from-secure" } } },
      scope: { project: { name: "cloud-project", domain: { name: "Default" } } },
    });
    const flagged = resolveConnection({ osUsername: "flag-user", osRegionName: "R3", osPlacementApiVersion: "1.30" }, f);
    expect(identity(flagged.auth).identity.password.user.name).toBe("flag-user");
    expect(opts(flagged.auth).regionName).toBe("R3");
    expect(flagged.version).toBe("1.30");
  });

  it("takes the endpoint and token from flags over OS_* variables, and those over clouds.yaml", async () => {
    const clouds = {
      "/work/here/clouds.yaml": "clouds:\n  c:\n    auth_type: admin_token\n    auth:\n      endpoint: http://from-cloud\n      token: cloud-token\n",
    };
    const env = { OS_CLOUD: "c", OS_ENDPOINT: "http://from-env", OS_TOKEN: "env-token" };
    const token = async (c: { auth?: { headers(): Promise<Record<string, string>> } }) => (await c.auth?.headers())?.["x-auth-token"];
    const cloudOnly = resolveConnection({}, disk(clouds, { OS_CLOUD: "c" }));
    expect([cloudOnly.endpoint, await token(cloudOnly)]).toEqual(["http://from-cloud", "cloud-token"]);
    const fromEnv = resolveConnection({}, disk(clouds, env));
    expect([fromEnv.endpoint, await token(fromEnv)]).toEqual(["http://from-env", "env-token"]);
    const fromFlags = resolveConnection({ osEndpoint: "http://from-flag", osToken: "flag-token" }, disk(clouds, env));
    expect([fromFlags.authType, fromFlags.endpoint, await token(fromFlags)]).toEqual(["admin_token", "http://from-flag", "flag-token"]);
    // Each setting on its own: a flag for one does not bring the other's flag-less source down.
    const mixed = resolveConnection({ osToken: "flag-token" }, disk(clouds, env));
    expect([mixed.endpoint, await token(mixed)]).toEqual(["http://from-env", "flag-token"]);
  });

  it("finds clouds.yaml in the current directory first, or where OS_CLIENT_CONFIG_FILE says", () => {
    expect(searchPath("clouds", { env: {}, home: "/h", cwd: "/c" }).filter((p) => p.endsWith(".yaml"))).toEqual([
      "/c/clouds.yaml",
      "/h/.config/openstack/clouds.yaml",
      "/etc/openstack/clouds.yaml",
    ]);
    const cloud = (url: string) => `clouds:\n  c:\n    auth_type: admin_token\n    auth:\n      endpoint: ${url}\n      token: t\n`;
    const files = { "/work/here/clouds.yaml": cloud("http://cwd"), "/etc/openstack/clouds.yaml": cloud("http://etc"), "/x.yaml": cloud("http://explicit") };
    expect(resolveConnection({ osCloud: "c" }, disk(files)).endpoint).toBe("http://cwd");
    expect(resolveConnection({ osCloud: "c" }, disk({ "/etc/openstack/clouds.yaml": files["/etc/openstack/clouds.yaml"] })).endpoint).toBe("http://etc");
    expect(resolveConnection({}, disk(files, { OS_CLOUD: "c", OS_CLIENT_CONFIG_FILE: "/x.yaml" })).endpoint).toBe("http://explicit");
    expect(() => resolveConnection({ osCloud: "other" }, disk(files))).toThrow(CliError);
    expect(() => resolveConnection({ osCloud: "other" }, disk(files))).toThrow("cloud other was not found in /work/here/clouds.yaml");
  });

  it("picks the auth type from what is given, or from auth_type", () => {
    const none = disk({});
    expect(resolveConnection({ osEndpoint: "http://p", osToken: "t" }, none)).toMatchObject({ authType: "admin_token", endpoint: "http://p" });
    const ac = resolveConnection({ osAuthUrl: "http://ks", osApplicationCredentialId: "id1", osApplicationCredentialSecret: "s" }, none);
    expect(ac.auth).toBeInstanceOf(KeystoneApplicationCredentialAuth);
    expect(identity(ac.auth)).toEqual({ identity: { methods: ["application_credential"], application_credential: { id: "id1", secret: "s" } } });
    const byName = resolveConnection(
      { osAuthType: "v3applicationcredential", osAuthUrl: "http://ks", osApplicationCredentialName: "n", osApplicationCredentialSecret: "s", osUsername: "u" },
      none,
    );
    expect(identity(byName.auth).identity.application_credential).toEqual({ name: "n", secret: "s", user: { name: "u", domain: { name: "Default" } } });
    const tok = resolveConnection({ osAuthUrl: "http://ks", osToken: "t", osProjectId: "p" }, none);
    expect(tok.auth).toBeInstanceOf(KeystoneTokenAuth);
    expect(identity(tok.auth)).toEqual({ identity: { methods: ["token"], token: { id: "t" } }, scope: { project: { id: "p" } } });
    expect(resolveConnection({ osAuthType: "none", osEndpoint: "http://p" }, none)).toMatchObject({ authType: "none", auth: undefined });
    expect(() => resolveConnection({ osAuthUrl: "http://ks" }, none)).toThrow(CliError);
    expect(() => resolveConnection({ osAuthUrl: "http://ks" }, none)).toThrow("--os-username (or --os-user-id) and --os-password");
    expect(() => resolveConnection({ osEndpoint: "http://x" }, none)).toThrow("needs --os-token");
    expect(() => resolveConnection({ osAuthType: "v3oidcpassword", osAuthUrl: "http://ks" }, none)).toThrow("auth type v3oidcpassword is not supported");
    expect(() => resolveConnection({ osAuthUrl: "http://ks", osUsername: "u", osPassword: "p", osInterface: "sideways" }, none)).toThrow("unknown interface");
  });

  it("reads TLS settings: cacert from the flag or the cloud, verify: false or --insecure, --verify over both", () => {
    const f = disk(
      {
        "/ca.pem": "CA",
        "/work/here/clouds.yaml":
          "clouds:\n  c:\n    cacert: /ca.pem\n    verify: false\n    api_timeout: 2\n    auth:\n      endpoint: http://p\n      token: t\n",
      },
      {},
    );
    expect(resolveConnection({ osCloud: "c" }, f)).toMatchObject({ tls: { ca: "CA", insecure: true }, timeoutMs: 2000 });
    expect(resolveConnection({ osCloud: "c", verify: true }, f).tls.insecure).toBe(false);
    expect(resolveConnection({ osEndpoint: "http://p", osToken: "t", insecure: true }, f).tls.insecure).toBe(true);
    expect(() => resolveConnection({ osEndpoint: "http://p", osToken: "t", osCacert: "/missing.pem" }, f)).toThrow("cannot read the CA bundle /missing.pem");
  });
});

describe("Python's str() and repr() of values", () => {
  it("prints None, True, lists and dicts as the openstack CLI does", () => {
    expect(pyStr(null)).toBe("None");
    expect(pyStr(true)).toBe("True");
    expect(pyStr(undefined)).toBe("");
    expect(pyStr({ VCPU: 2, traits: ["A", "it's"] })).toBe(`{'VCPU': 2, 'traits': ['A', "it's"]}`);
    expect(pyRepr("a\\b")).toBe("'a\\\\b'");
    expect(pyStr(new PyFloat(1))).toBe("1.0");
    expect(pyStr({ ratio: new PyFloat(1.5) })).toBe("{'ratio': 1.5}");
  });

  it("writes JSON as json.dumps does: non-ASCII escaped, floats kept, Python's separators without indent", () => {
    expect(pyJson({ a: [1, new PyFloat(2)], b: "é", c: {} }, false)).toBe('{"a": [1, 2.0], "b": "\\u00e9", "c": {}}');
    expect(pyJson({ a: [1], b: [] }, true)).toBe('{\n  "a": [\n    1\n  ],\n  "b": []\n}');
  });
});

describe("table", () => {
  it("draws prettytable-style tables, numbers right-aligned by the first row", () => {
    expect(
      table(
        ["a", "bb"],
        [
          ["xyz", 1],
          [null, undefined],
        ],
      ),
    ).toBe("+------+----+\n| a    | bb |\n+------+----+\n| xyz  |  1 |\n| None |    |\n+------+----+\n");
    expect(table(["a"], [])).toBe("\n");
    expect(table(["a"], [], { printEmpty: true })).toBe("+---+\n| a |\n+---+\n+---+\n");
  });

  it("shrinks the wide columns to fit a width, wrapping their cells", () => {
    const t = table(["id", "description"], [["1", "the quick brown fox jumps over the lazy dog"]], { maxWidth: 30, minWidth: 8 });
    for (const line of t.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(30);
    expect(t).toContain("| 1  | the quick brown fox   |");
  });

  it("wraps as textwrap: at spaces, after hyphens between letters, long words after their last hyphen that fits", () => {
    expect(wrap("two-letter-words here", 8)).toEqual(["two-", "letter-", "words", "here"]);
    expect(wrap("c39cc862-04cf-41d4-9858-478605c3da23", 8)).toEqual(["c39cc862", "-04cf-", "41d4-", "9858-", "478605c3", "da23"]);
    expect(wrap("abc", 8)).toEqual(["abc"]);
  });
});
