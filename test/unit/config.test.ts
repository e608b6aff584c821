// placement.conf parsing: the reference's groups and option names, validation that names the option.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseIni } from "../../src/config.js";
import { parseConnectionUrl } from "../../src/db/open.js";

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-conf-"));
  const p = join(dir, "placement.conf");
  writeFileSync(p, text);
  return p;
}

describe("config: database pool and policy directory options", () => {
  it("maps max_overflow, pool_timeout, connection_recycle_time, max_retries, retry_interval and policy_dirs", () => {
    const c = loadConfig({
      configFile: file(`[placement_database]
connection = postgresql://u@db/placement
max_pool_size = 5
max_overflow = 3
pool_timeout = 7
connection_recycle_time = 600
max_retries = -1
retry_interval = 2
[oslo_policy]
policy_dirs = policy.d, extra.d
`),
    });
    expect(c.database).toMatchObject({ maxPoolSize: 5, maxOverflow: 3, poolTimeout: 7, connectionRecycleTime: 600, maxRetries: -1, retryInterval: 2 });
    expect(c.policy.policyDirs).toEqual(["policy.d", "extra.d"]);
    const d = loadConfig({ configFile: file(`[placement_database]\nconnection = sqlite://\n`) });
    expect(d.database).toMatchObject({ maxOverflow: 0, poolTimeout: 30, connectionRecycleTime: 3600, maxRetries: 10, retryInterval: 10 });
    expect(d.policy.policyDirs).toEqual(["policy.d"]);
  });

  it("refuses slave_connection, saying why and what to do", () => {
    expect(() =>
      loadConfig({ configFile: file(`[placement_database]\nconnection = sqlite://\nslave_connection = mysql+pymysql://r@replica/placement\n`) }),
    ).toThrow(/\[placement_database\] slave_connection is not supported.*remove slave_connection/);
  });
});

describe("config", () => {
  it("reads the reference's options", () => {
    const c = loadConfig({
      configFile: file(`[DEFAULT]
debug = True
[api]
auth_strategy = noauth2
[placement_database]
connection = postgresql+psycopg2://u:p@db/placement
sync_on_startup = True
[oslo_policy]
policy_file = /etc/placement/policy.yaml
enforce_new_defaults = False
enforce_scope = false
[cors]
allowed_origin = https://a.example, https://b.example
allow_headers = X-Custom
max_age = 60
[placement]
max_allocation_candidates = 1000
randomize_allocation_candidates = yes
allocation_candidates_generation_strategy = breadth-first
allocation_conflict_retry_count = 3
incomplete_consumer_project_id = p-missing
incomplete_consumer_user_id = u-missing
`),
    });
    expect(c.debug).toBe(true);
    expect(c.api.authStrategy).toBe("noauth2");
    expect(c.database).toMatchObject({ connection: "postgresql+psycopg2://u:p@db/placement", syncOnStartup: true });
    expect(c.policy).toEqual({ policyFile: "/etc/placement/policy.yaml", policyDirs: ["policy.d"], enforceNewDefaults: false, enforceScope: false });
    expect(c.cors.allowedOrigin).toEqual(["https://a.example", "https://b.example"]);
    expect(c.cors.allowHeaders).toEqual(["X-Custom"]);
    expect(c.cors.maxAge).toBe(60);
    expect(c.placement).toEqual({
      maxAllocationCandidates: 1000,
      randomizeAllocationCandidates: true,
      allocationCandidatesGenerationStrategy: "breadth-first",
      allocationConflictRetryCount: 3,
      incompleteConsumerProjectId: "p-missing",
      incompleteConsumerUserId: "u-missing",
    });
    expect(Object.isFrozen(c.placement)).toBe(true);
  });

  it("has the current upstream policy defaults and the reference's others", () => {
    const c = loadConfig({ configFile: file("[placement_database]\nconnection = sqlite://\n") });
    expect(c.api.authStrategy).toBe("keystone");
    expect(c.policy).toEqual({ policyFile: "policy.yaml", policyDirs: ["policy.d"], enforceNewDefaults: true, enforceScope: true });
    expect(c.placement.maxAllocationCandidates).toBe(-1);
    expect(c.placement.allocationConflictRetryCount).toBe(10);
    expect(c.placement.incompleteConsumerProjectId).toBe("00000000-0000-0000-0000-000000000000");
    expect(c.cors.allowedOrigin).toEqual([]);
  });

  it("serves SQLite with noauth2 without a config file", () => {
    const c = loadConfig({ defaultConnection: "sqlite:////tmp/x.sqlite" });
    expect(c.api.authStrategy).toBe("noauth2");
    expect(c.database.connection).toBe("sqlite:////tmp/x.sqlite");
  });

  it.each([
    ["[placement]\nallocation_conflict_retry_count = lots\n", "[placement] allocation_conflict_retry_count"],
    ["[placement]\nallocation_candidates_generation_strategy = sideways\n", "[placement] allocation_candidates_generation_strategy"],
    ["[DEFAULT]\ndebug = maybe\n", "[DEFAULT] debug"],
    ["[api]\nauth_strategy = none\n", "[api] auth_strategy"],
    ["[placement]\nmax_allocation_candidates = -5\n", "[placement] max_allocation_candidates"],
  ])("stops on an invalid value and names the option: %s", (text, name) => {
    expect(() => loadConfig({ configFile: file(`[placement_database]\nconnection = sqlite://\n${text}`) })).toThrowError(
      new RegExp(name.replace(/[[\]]/g, "\\$&")),
    );
  });

  it("requires a connection", () => {
    expect(() => loadConfig({ configFile: file("[api]\nauth_strategy = noauth2\n") })).toThrow(ConfigError);
  });

  it("warns about unknown options and groups", () => {
    const warnings: string[] = [];
    loadConfig({ configFile: file("[placement_database]\nconnection = sqlite://\nfoo = 1\n[nonsense]\nx = y\n"), warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(["Unknown config option [placement_database] foo ignored", "Unknown config group [nonsense] ignored"]);
  });

  it("parses comments and continuation lines", () => {
    const ini = parseIni("# c\n[a]\n; c\nk = one,\n  two\n");
    expect(ini.get("a")!.get("k")).toBe("one,\ntwo");
  });
});

describe("connection URLs", () => {
  it.each([
    ["sqlite://", { dialect: "sqlite", file: ":memory:" }],
    ["sqlite:////var/lib/p.sqlite", { dialect: "sqlite", file: "/var/lib/p.sqlite" }],
    ["sqlite:///rel.sqlite", { dialect: "sqlite", file: "rel.sqlite" }],
    ["postgresql://u:p%40ss@h:5433/placement", { dialect: "postgres", user: "u", password: "p@ss", host: "h", port: 5433, database: "placement" }],
    ["postgresql+psycopg2://u@h/placement", { dialect: "postgres", user: "u", host: "h", database: "placement" }],
    [
      "mysql+pymysql://root:pw@127.0.0.1/placement?charset=utf8",
      { dialect: "mysql", user: "root", password: "pw", host: "127.0.0.1", database: "placement", params: { charset: "utf8" } },
    ],
  ])("parses %s", (url, expected) => {
    expect(parseConnectionUrl(url)).toMatchObject(expected);
  });

  it("refuses unknown databases with a hint", () => {
    expect(() => parseConnectionUrl("oracle://x/y")).toThrow(/use sqlite, postgresql or mysql/);
  });

  it("reads Berth's own [api] max_request_body_size and workers, with their defaults", () => {
    const defaults = loadConfig({ configFile: file(`[placement_database]\nconnection = sqlite://\n`) });
    expect(defaults.api).toMatchObject({ maxRequestBodySize: 8 * 1024 * 1024, workers: 1 });
    const set = loadConfig({ configFile: file(`[api]\nmax_request_body_size = 1048576\nworkers = 4\n[placement_database]\nconnection = sqlite://\n`) });
    expect(set.api).toMatchObject({ maxRequestBodySize: 1048576, workers: 4 });
    expect(() => loadConfig({ configFile: file(`[api]\nworkers = 0\n[placement_database]\nconnection = sqlite://\n`) })).toThrow(
      "Invalid value for option [api] workers: 0 is less than the minimum 1",
    );
  });
});
