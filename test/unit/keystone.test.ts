// [keystone_authtoken] as deployments write it, and the pieces of token validation that need no Keystone.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, testConfig } from "../../src/config.js";
import { accessAllowed, accessPathMatches, identityEndpoint, keystoneConfigProblem, parseTokenBody, passwordAuthBody, v3 } from "../../src/http/keystone.js";
import { AUTH_BYPASS } from "../../src/http/auth.js";
import { ROUTES } from "../../src/routes.js";
import { toPolicyCreds, tokenScope } from "../../src/policy/index.js";

function conf(text: string, warnings: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "berth-ks-conf-"));
  const p = join(dir, "placement.conf");
  writeFileSync(p, `[placement_database]\nconnection = sqlite://\n${text}`);
  return loadConfig({ configFile: p, warn: (m) => warnings.push(m) });
}

// What devstack and the deployment tools write for placement (plus the memcache options they add).
const DEPLOYED = `[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://keystone.example:5000
auth_url = http://keystone.example:5000/identity
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = placement
password = s3cret
region_name = RegionOne
interface = internalURL
cafile = /etc/ssl/ca.pem
insecure = false
service_token_roles = service, admin
service_token_roles_required = True
token_cache_time = 600
memcached_servers = 10.0.0.1:11211,10.0.0.2:11211
memcache_security_strategy = ENCRYPT
memcache_secret_key = abc
http_connect_timeout = 5
http_request_max_retries = 2
auth_version = v3
`;

describe("[keystone_authtoken]", () => {
  it("reads the options deployments write, warning only about memcached_servers", () => {
    const warnings: string[] = [];
    const c = conf(DEPLOYED, warnings);
    expect(c.api.authStrategy).toBe("keystone");
    expect(c.keystone).toMatchObject({
      wwwAuthenticateUri: "http://keystone.example:5000",
      authUrl: "http://keystone.example:5000/identity",
      authType: "password",
      username: "placement",
      password: "s3cret",
      projectName: "service",
      userDomainName: "Default",
      projectDomainName: "Default",
      regionName: "RegionOne",
      interface: "internal",
      cafile: "/etc/ssl/ca.pem",
      insecure: false,
      serviceTokenRoles: ["service", "admin"],
      serviceTokenRolesRequired: true,
      tokenCacheTime: 600,
      httpConnectTimeout: 5,
      httpRequestMaxRetries: 2,
    });
    expect(warnings).toEqual(["[keystone_authtoken] memcached_servers is ignored: Berth caches validated tokens in process"]);
  });

  it("has keystonemiddleware's defaults", () => {
    const k = testConfig().keystone;
    expect(k).toMatchObject({
      interface: "internal",
      tokenCacheTime: 300,
      serviceTokenRoles: ["service"],
      serviceTokenRolesRequired: false,
      insecure: false,
      httpRequestMaxRetries: 3,
    });
    expect(k.httpConnectTimeout).toBeUndefined();
  });

  it("takes the deprecated names auth_uri, auth_plugin, memcache_servers", () => {
    const warnings: string[] = [];
    const c = conf("[keystone_authtoken]\nauth_uri = http://old:5000\nauth_plugin = password\nmemcache_servers = m:11211\n", warnings);
    expect(c.keystone.wwwAuthenticateUri).toBe("http://old:5000");
    expect(c.keystone.authType).toBe("password");
    expect(warnings).toHaveLength(1);
  });

  it("warns about unknown options and stops on invalid values, naming the option", () => {
    const warnings: string[] = [];
    conf("[keystone_authtoken]\nauth_typo = password\n", warnings);
    expect(warnings).toEqual(["Unknown config option [keystone_authtoken] auth_typo ignored"]);
    expect(() => conf("[keystone_authtoken]\ntoken_cache_time = soon\n")).toThrow(/\[keystone_authtoken\] token_cache_time/);
    expect(() => conf("[keystone_authtoken]\ninterface = private\n")).toThrow(/\[keystone_authtoken\] interface/);
    expect(() => conf("[keystone_authtoken]\ninsecure = perhaps\n")).toThrow(/\[keystone_authtoken\] insecure/);
    expect(() => conf("[keystone_authtoken]\nhttp_connect_timeout = 0\n")).toThrow(/\[keystone_authtoken\] http_connect_timeout/);
  });

  it("says what stops start-up", () => {
    const base = { auth_type: "password", auth_url: "http://k/v3", username: "placement", password: "pw", project_name: "service" };
    const problem = (k: Record<string, string>) => keystoneConfigProblem(testConfig({ keystone_authtoken: k }).keystone);
    expect(problem(base)).toBeUndefined();
    expect(problem({ ...base, auth_type: "v3applicationcredential" })).toMatch(/auth_type = v3applicationcredential is not supported/);
    expect(problem({ admin_user: "placement", admin_password: "pw", auth_url: "http://k/v3" })).toMatch(/auth_type is not set/);
    expect(problem({ ...base, auth_section: "service_auth" })).toMatch(/auth_section is not supported/);
    expect(problem({ ...base, delay_auth_decision: "true" })).toMatch(/delay_auth_decision/);
    expect(problem({ ...base, system_scope: "some" })).toMatch(/system_scope must be all/);
    expect(problem({ ...base, auth_url: "keystone:5000" })).toMatch(/auth_url = keystone:5000 is not an http:\/\/ or https:\/\/ URL/);
  });
});

describe("Berth's own authentication", () => {
  const k = (o: Record<string, string>) => testConfig({ keystone_authtoken: { auth_type: "password", auth_url: "http://k", password: "pw", ...o } }).keystone;

  it("names the user and project with their domains, as keystoneauth's password plugin", () => {
    expect(passwordAuthBody(k({ username: "placement", user_domain_name: "Default", project_name: "service", project_domain_id: "default" }))).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "placement", domain: { name: "Default" }, password: "pw" } } },
        scope: { project: { name: "service", domain: { id: "default" } } },
      },
    });
  });

  it("uses default_domain_* where a domain is not given, ids over names, and other scopes", () => {
    const body = passwordAuthBody(k({ username: "p", project_name: "s", default_domain_id: "d1" })) as any;
    expect(body.auth.identity.password.user.domain).toEqual({ id: "d1" });
    expect(body.auth.scope.project.domain).toEqual({ id: "d1" });
    expect((passwordAuthBody(k({ user_id: "u1", project_id: "p1" })) as any).auth).toEqual({
      identity: { methods: ["password"], password: { user: { id: "u1", password: "pw" } } },
      scope: { project: { id: "p1" } },
    });
    expect((passwordAuthBody(k({ user_id: "u1", system_scope: "all" })) as any).auth.scope).toEqual({ system: { all: true } });
    expect((passwordAuthBody(k({ user_id: "u1", domain_name: "D" })) as any).auth.scope).toEqual({ domain: { name: "D" } });
    expect((passwordAuthBody(k({ user_id: "u1" })) as any).auth.scope).toBeUndefined();
  });

  it("finds the identity endpoint of the catalog by interface and region", () => {
    const catalog = [
      { type: "placement", endpoints: [{ interface: "internal", region_id: "R1", url: "http://placement" }] },
      {
        type: "identity",
        endpoints: [
          { interface: "public", region_id: "R1", url: "https://public:5000/v3/" },
          { interface: "internal", region_id: "R1", url: "http://internal-r1:5000" },
          { interface: "internal", region_id: "R2", url: "http://internal-r2:5000/v2.0" },
        ],
      },
    ];
    expect(identityEndpoint(catalog, "internal", undefined)).toBe("http://internal-r1:5000/v3");
    expect(identityEndpoint(catalog, "internal", "R2")).toBe("http://internal-r2:5000/v3");
    expect(identityEndpoint(catalog, "public", "R1")).toBe("https://public:5000/v3");
    expect(identityEndpoint(catalog, "admin", undefined)).toBeUndefined();
    expect(identityEndpoint(undefined, "internal", undefined)).toBeUndefined();
    expect(v3("http://k:5000/identity/")).toBe("http://k:5000/identity/v3");
  });
});

describe("application credential access rules", () => {
  it("match paths as keystonemiddleware: * and {name} one segment, ** anything", () => {
    expect(accessPathMatches("/resource_providers/abc", "/resource_providers/*")).toBe(true);
    expect(accessPathMatches("/resource_providers/abc/inventories", "/resource_providers/*")).toBe(false);
    expect(accessPathMatches("/resource_providers/abc/inventories", "/resource_providers/{uuid}/inventories")).toBe(true);
    expect(accessPathMatches("/resource_providers/abc/inventories/VCPU", "/resource_providers/**")).toBe(true);
    expect(accessPathMatches("/resource_providers", "/resource_providers/**")).toBe(false);
    expect(accessPathMatches("/traits", "/traits")).toBe(true);
    expect(accessPathMatches("/v2x1", "/v2.1")).toBe(false);
  });

  it("need service_type and a rule for the method, service and path, unless a service token comes along", () => {
    const rules = [{ service: "placement", method: "GET", path: "/usages" }];
    expect(accessAllowed(rules, undefined, "GET", "/usages", false)).toBe(false);
    expect(accessAllowed(rules, "placement", "GET", "/usages", false)).toBe(true);
    expect(accessAllowed(rules, "placement", "POST", "/usages", false)).toBe(false);
    expect(accessAllowed(rules, "compute", "GET", "/usages", false)).toBe(false);
    expect(accessAllowed(rules, "placement", "GET", "/traits", true)).toBe(true);
    expect(accessAllowed([], "placement", "GET", "/usages", false)).toBe(false);
  });
});

describe("the policy credentials of a token", () => {
  it("reads user, project, domains, system scope and roles from a token body", () => {
    const info = parseTokenBody({
      token: {
        user: { id: "u1", domain: { id: "default" } },
        project: { id: "p1", domain: { id: "default" } },
        roles: [
          { id: "r1", name: "member" },
          { id: "r2", name: "reader" },
        ],
        expires_at: "2030-01-01T00:00:00.000000Z",
      },
    });
    expect(info).toEqual({
      userId: "u1",
      userDomainId: "default",
      projectId: "p1",
      projectDomainId: "default",
      domainId: null,
      systemScope: null,
      roles: ["member", "reader"],
      expiresAt: Date.parse("2030-01-01T00:00:00Z"),
    });
    expect(parseTokenBody({ token: { user: { id: "a" }, system: { all: true }, roles: [], expires_at: "2030-01-01T00:00:00Z" } }).systemScope).toBe("all");
    expect(() => parseTokenBody({ token: { user: {} } })).toThrow();
    // Malformed access rules allow nothing (and never fail the request with a 500).
    const odd = parseTokenBody({
      token: { user: { id: "a" }, roles: [], expires_at: "2030-01-01T00:00:00Z", application_credential: { access_rules: [null, 3, { method: "GET" }] } },
    });
    expect(odd.accessRules).toEqual([]);
    expect(accessAllowed(odd.accessRules!, "placement", "GET", "/traits", false)).toBe(false);
    expect(() => parseTokenBody({})).toThrow();
  });

  it("has every key oslo.context gives the policies, and the scope oslo.policy infers", () => {
    const project = { userId: "u", projectId: "p", roles: ["reader"], userDomainId: "d", projectDomainId: "d" };
    expect(toPolicyCreds(project)).toEqual({
      user_id: "u",
      project_id: "p",
      roles: ["reader"],
      system_scope: null,
      user_domain_id: "d",
      project_domain_id: "d",
      domain_id: null,
      service_user_id: null,
      service_user_domain_id: null,
      service_project_id: null,
      service_project_domain_id: null,
      service_roles: [],
    });
    expect(tokenScope(project)).toBe("project");
    expect(tokenScope({ userId: "u", projectId: null, roles: [], domainId: "d" })).toBe("domain");
    expect(tokenScope({ userId: "u", projectId: null, roles: [], systemScope: "all" })).toBe("system");
  });

  it("lets / and /healthcheck through without a token, and nothing else but the dashboard's page", () => {
    expect([...AUTH_BYPASS].sort()).toEqual(["", "/", "/healthcheck"]);
    // The dashboard's page and bundles hold no data; its reads (/ui/api/...) take a token.
    expect(ROUTES.filter((r) => r.public).map((r) => r.path)).toEqual(["/ui", "/ui/", "/ui/config.json", "/ui/{file}"]);
  });
});
