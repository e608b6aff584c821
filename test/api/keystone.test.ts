// auth_strategy = keystone against a real Keystone: the 401s and their header, 503 when Keystone
// cannot answer, the token cache, service tokens, and the RBAC answers of the noauth2 suite again
// with real tokens. SQLite only: authentication happens before any database is touched.
import { createServer, type Server } from "node:net";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import type { Hono } from "hono";
import { testConfig } from "../../src/config.js";
import { openStore, type Store } from "../../src/db/open.js";
import { syncSchema, syncStandardNames } from "../../src/db/sync.js";
import { createApp } from "../../src/app.js";
import { KeystoneAuth } from "../../src/http/keystone.js";
import { startKeystone, USER_PASSWORD, type Scope } from "../helpers/keystone.js";
import { ForbiddenError, KeystonePasswordAuth, PlacementClient, UnauthorizedError } from "@berth/client";
import { freePort, waitUp } from "../helpers/serve.js";
import { uuid } from "../helpers/api.js";
import { entry } from "@berth/client/common";

const started = await startKeystone();
const ks = typeof started === "string" ? undefined : started;
afterAll(async () => ks?.stop());

const UNAUTHORIZED = { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } };
const UNAVAILABLE = {
  message: "The server is currently unavailable. Please try again at a later time.<br /><br />\nThe Keystone service is temporarily unavailable.\n\n",
  code: "503 Service Unavailable",
  title: "Service Unavailable",
};

interface Berth {
  app: Hono;
  auth: KeystoneAuth;
  store: Store;
  /** Moves Berth's clock forward (the cache and token expiry read it). */
  advance(seconds: number): void;
  request(
    method: string,
    path: string,
    opts?: { token?: string; headers?: Record<string, string>; body?: unknown; version?: string },
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** An in-process Berth with auth_strategy = keystone and these [keystone_authtoken] options over the test user's. */
async function berth(options: Record<string, string> = {}, policy: Record<string, string> = {}): Promise<Berth> {
  const config = testConfig({ api: { auth_strategy: "keystone" }, keystone_authtoken: { ...ks!.authtoken, ...options }, oslo_policy: policy });
  const store = openStore(config.database.connection);
  await syncSchema(store);
  await syncStandardNames(store);
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  const auth = new KeystoneAuth({ config: config.keystone, logger: pino({ level: "silent" }), clock });
  const app = createApp({ store, config, clock, authenticate: (h) => auth.authenticate(h) });
  const b: Berth = {
    app,
    auth,
    store,
    advance: (s) => void (offset += s * 1000),
    request: requester(app),
  };
  closers.push(
    () => auth.close(),
    () => store.close(),
  );
  return b;
}

/** The request function of a Berth under test: an in-process app, with a token and a version. */
function requester(app: Hono): Berth["request"] {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers["x-auth-token"] = opts.token;
    if (opts.version) headers["openstack-api-version"] = `placement ${opts.version}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const res = await app.request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: parseOrUndefined(text), text };
  };
}

function parseOrUndefined(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function expectUnauthorized(r: { status: number; headers: Headers; body: unknown }) {
  expect(r.status).toBe(401);
  expect(r.body).toEqual(UNAUTHORIZED);
  expect(r.headers.get("www-authenticate")).toBe(`Keystone uri="${ks!.url.replace(/\/v3$/, "")}"`);
  expect(r.headers.get("content-type")).toBe("application/json; charset=UTF-8");
  expect(r.headers.get("x-openstack-request-id")).toMatch(/^req-/);
  expect(r.headers.get("openstack-api-version")).toBeNull();
}

describe.skipIf(!ks)("keystone: refusing callers", () => {
  let b: Berth;
  beforeAll(async () => {
    b = await berth();
  });

  it("answers / without a token, and refuses a missing token with keystonemiddleware's 401", async () => {
    expect((await b.request("GET", "/")).status).toBe(200);
    // The health check needs no token either (http/auth.ts AUTH_BYPASS), whatever it answers.
    expect((await b.request("GET", "/healthcheck")).status).not.toBe(401);
    expectUnauthorized(await b.request("GET", "/resource_providers"));
    expectUnauthorized(await b.request("GET", "/resource_providers", { token: "   " }));
    // Before the microversion is looked at, as the reference's middleware order.
    expectUnauthorized(await b.request("GET", "/resource_providers", { version: "9.99" }));
  });

  it("refuses a token Keystone does not know", async () => {
    expectUnauthorized(await b.request("GET", "/resource_providers", { token: "gAAAAAB-not-a-token" }));
    expectUnauthorized(await b.request("GET", "/resource_providers", { token: "x".repeat(300) }));
  });

  it("refuses a revoked token", async () => {
    const token = await ks!.token("alice", { project: "alpha" });
    await ks!.revoke(token);
    expectUnauthorized(await b.request("GET", "/resource_providers", { token }));
  });

  it("refuses a token once it has expired, even from the cache", async () => {
    const c = await berth();
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await c.request("GET", "/resource_providers", { token })).status).toBe(200);
    // Keystone's tokens live an hour. Keystone's clock has not moved, so it still says the token is
    // valid: Berth's own check of expires_at refuses it.
    c.advance(3600);
    expectUnauthorized(await c.request("GET", "/resource_providers", { token }));
  });

  it("accepts surrounding whitespace in the token, as keystonemiddleware strips it", async () => {
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await b.request("GET", "/resource_providers", { token: ` ${token} ` })).status).toBe(200);
  });
});

describe.skipIf(!ks)("keystone: when Keystone cannot answer", () => {
  it("answers 503 when nothing listens at auth_url", async () => {
    const port = await freePort();
    const b = await berth({ auth_url: `http://127.0.0.1:${port}/v3`, http_request_max_retries: "1" });
    const r = await b.request("GET", "/resource_providers", { token: "anything", headers: { accept: "application/json" } });
    expect(r.status).toBe(503);
    expect(r.body).toEqual(UNAVAILABLE);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("www-authenticate")).toBeNull();
    // Without Accept, JSON too (the reference's request log sets Accept before auth runs); plain text
    // for an Accept that takes neither HTML nor JSON.
    expect((await b.request("GET", "/resource_providers", { token: "anything" })).body).toEqual(UNAVAILABLE);
    const plain = await b.request("GET", "/resource_providers", { token: "anything", headers: { accept: "text/plain" } });
    expect([plain.status, plain.headers.get("content-type"), plain.text]).toEqual([
      503,
      "text/plain; charset=UTF-8",
      "503 Service Unavailable\n\nThe server is currently unavailable. Please try again at a later time.\n\n The Keystone service is temporarily unavailable.  ",
    ]);
    // A missing token is still a 401: Keystone is not asked.
    const asked = b.auth.counts.authenticate;
    expect((await b.request("GET", "/resource_providers")).status).toBe(401);
    expect(b.auth.counts.authenticate).toBe(asked);
  });

  it("answers 503, not a hang, when Keystone accepts the connection and never answers", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as { port: number }).port;
      const b = await berth({ auth_url: `http://127.0.0.1:${port}/v3`, http_connect_timeout: "1" });
      const r = await b.request("GET", "/resource_providers", { token: "anything", headers: { accept: "application/json" } });
      expect(r.status).toBe(503);
      expect(r.body).toEqual(UNAVAILABLE);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("answers 503 when Keystone refuses Berth's own credentials", async () => {
    const b = await berth({ password: "wrong" });
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await b.request("GET", "/resource_providers", { token })).status).toBe(503);
  });

  it("answers 503 when the catalog has no identity endpoint for interface and region_name", async () => {
    const b = await berth({ region_name: "Elsewhere" });
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await b.request("GET", "/resource_providers", { token })).status).toBe(503);
  });

  it("authenticates again when its own token is refused", async () => {
    const b = await berth({ token_cache_time: "-1" });
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await b.request("GET", "/resource_providers", { token })).status).toBe(200);
    expect(b.auth.counts.authenticate).toBe(1);
    // Revoke every token of Berth's user (a password change would too): Keystone answers 401 to Berth.
    const own = (b.auth as unknown as { own: { token: string } }).own.token;
    await ks!.revoke(own);
    expect((await b.request("GET", "/resource_providers", { token })).status).toBe(200);
    expect(b.auth.counts.authenticate).toBe(2);
  });
});

describe.skipIf(!ks)("keystone: TLS and www_authenticate_uri", () => {
  it("trusts an https auth_url by cafile, or with insecure, and refuses it otherwise (503)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-tls-"));
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    await promisify(execFile)("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ]);
    // An https front for Keystone (its catalog still names the plain endpoint, used for validation).
    const target = new URL(ks!.url);
    const front = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    try {
      const authUrl = `https://127.0.0.1:${(front.address() as { port: number }).port}/v3`;
      const token = await ks!.token("alice", { project: "alpha" });
      const status = async (o: Record<string, string>) =>
        (await (await berth({ auth_url: authUrl, http_request_max_retries: "0", ...o })).request("GET", "/resource_providers", { token })).status;
      expect(await status({})).toBe(503);
      expect(await status({ cafile: cert })).toBe(200);
      expect(await status({ insecure: "true" })).toBe(200);
    } finally {
      front.close();
    }
  });

  it("names auth_url in WWW-Authenticate when www_authenticate_uri is not set", async () => {
    const b = await berth({ www_authenticate_uri: "" });
    expect((await b.request("GET", "/traits")).headers.get("www-authenticate")).toBe(`Keystone uri="${ks!.authtoken.auth_url}"`);
  });
});

describe.skipIf(!ks)("keystone: the token cache", () => {
  it("keeps valid answers for token_cache_time, as keystonemiddleware (a revoked token lives on until then)", async () => {
    const b = await berth({ token_cache_time: "300" });
    const token = await ks!.token("mona", { project: "alpha" });
    const asked = () => b.auth.counts.validate;
    expect((await b.request("GET", "/traits", { version: "1.6", token })).status).toBe(403);
    expect(asked()).toBe(1);
    expect((await b.request("GET", "/traits", { version: "1.6", token })).status).toBe(403);
    expect(asked()).toBe(1);
    await ks!.revoke(token);
    expect((await b.request("GET", "/traits", { version: "1.6", token })).status).toBe(403);
    expect(asked()).toBe(1);
    b.advance(301);
    expectUnauthorized(await b.request("GET", "/traits", { version: "1.6", token }));
    expect(asked()).toBe(2);
  });

  it("asks Keystone every time with token_cache_time = -1", async () => {
    const b = await berth({ token_cache_time: "-1" });
    const token = await ks!.token("alice", { project: "alpha" });
    expect((await b.request("GET", "/traits", { version: "1.6", token })).status).toBe(200);
    expect((await b.request("GET", "/traits", { version: "1.6", token })).status).toBe(200);
    expect(b.auth.counts.validate).toBe(2);
    // uwsgi closes each connection after answering: Berth does not reuse it (and so never retries).
    expect(b.auth.counts.retries).toBe(0);
    await ks!.revoke(token);
    expectUnauthorized(await b.request("GET", "/traits", { version: "1.6", token }));
  });

  it("does not cache refusals", async () => {
    const b = await berth();
    expectUnauthorized(await b.request("GET", "/traits", { version: "1.6", token: "nope" }));
    expectUnauthorized(await b.request("GET", "/traits", { version: "1.6", token: "nope" }));
    expect(b.auth.counts.validate).toBe(2);
  });

  it("asks once for concurrent requests with one new token", async () => {
    const b = await berth();
    const token = await ks!.token("alice", { project: "alpha" });
    const rs = await Promise.all(Array.from({ length: 8 }, () => b.request("GET", "/traits", { version: "1.6", token })));
    expect(rs.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(b.auth.counts.validate).toBe(1);
    expect(b.auth.counts.authenticate).toBe(1);
  });
});

describe.skipIf(!ks)("keystone: service tokens", () => {
  it("refuses the request when X-Service-Token is not valid", async () => {
    const b = await berth();
    const token = await ks!.token("alice", { project: "alpha" });
    expectUnauthorized(await b.request("GET", "/traits", { version: "1.6", token, headers: { "x-service-token": "bogus" } }));
  });

  it("lets a valid service token pass; with service_token_roles_required it must hold one of service_token_roles", async () => {
    const user = await ks!.token("alice", { project: "alpha" });
    const nova = await ks!.token("nova", { project: "service" });
    const mona = await ks!.token("mona", { project: "alpha" });
    const lax = await berth();
    expect((await lax.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": nova } })).status).toBe(200);
    expect((await lax.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": mona } })).status).toBe(200);
    const strict = await berth({ service_token_roles_required: "true" });
    expect((await strict.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": nova } })).status).toBe(200);
    expectUnauthorized(await strict.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": mona } }));
    const other = await berth({ service_token_roles_required: "true", service_token_roles: "other,admin" });
    expectUnauthorized(await other.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": nova } }));
  });

  it("puts the service token's user and roles in the policy credentials (service_user_id, service_roles)", async () => {
    const b = await berth({}, {});
    const user = await ks!.token("mona", { project: "alpha" });
    const nova = await ks!.token("nova", { project: "service" });
    // An operator rule on the service token's roles: GET /traits for members sent through a service.
    const dir = mkdtempSync(join(tmpdir(), "berth-policy-"));
    writeFileSync(join(dir, "policy.yaml"), `"placement:traits:list": "role:member and service_roles:service and service_user_id:${ks!.users.nova}"\n`);
    const p = await berth({}, { policy_file: join(dir, "policy.yaml") });
    expect((await b.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": nova } })).status).toBe(403);
    expect((await p.request("GET", "/traits", { version: "1.6", token: user, headers: { "x-service-token": nova } })).status).toBe(200);
    expect((await p.request("GET", "/traits", { version: "1.6", token: user })).status).toBe(403);
  });
});

describe.skipIf(!ks)("keystone: application credentials with access rules", () => {
  it("are refused without service_type, and held to their rules with it (a service token lifts them)", async () => {
    const token = await ks!.appCredentialToken("alice", [{ service: "placement", method: "GET", path: "/resource_providers/**" }]);
    const without = await berth();
    expectUnauthorized(await without.request("GET", "/resource_providers/x", { token }));
    const placement = await berth({ service_type: "placement" });
    const uuid0 = uuid();
    expect((await placement.request("GET", `/resource_providers/${uuid0}`, { token })).status).toBe(404);
    expectUnauthorized(await placement.request("GET", "/resource_providers", { token }));
    // A rule for one segment holds against a %2F that the router decodes into several.
    const one = await ks!.appCredentialToken("alice", [{ service: "placement", method: "GET", path: "/resource_providers/*" }]);
    expect((await placement.request("GET", `/resource_providers/${uuid0}`, { token: one })).status).toBe(404);
    expectUnauthorized(await placement.request("GET", `/resource_providers/${uuid0}%2Finventories`, { token: one }));
    expectUnauthorized(await placement.request("DELETE", `/resource_providers/${uuid0}`, { token }));
    expectUnauthorized(await placement.request("GET", "/traits", { token, version: "1.6" }));
    const nova = await ks!.token("nova", { project: "service" });
    expect((await placement.request("GET", "/traits", { token, version: "1.6", headers: { "x-service-token": nova } })).status).toBe(200);
    const compute = await berth({ service_type: "compute" });
    expectUnauthorized(await compute.request("GET", `/resource_providers/${uuid0}`, { token }));
    // Tokens without access rules are not affected by service_type.
    expect((await compute.request("GET", "/resource_providers", { token: await ks!.token("alice", { project: "alpha" }) })).status).toBe(200);
  });
});

// The RBAC answers the noauth2 suites check, again with real tokens: each persona is a Keystone user
// and the noauth2 headers that describe the same token (Keystone lists implied roles itself).
type Persona = { user: string; scope: Scope; noauth: { token: string; headers?: Record<string, string> } };

describe.skipIf(!ks)("keystone: the same RBAC answers as noauth2", () => {
  let personas: Record<string, Persona>;
  let keystoneBerth: Berth;
  let noauthBerth: { request: Berth["request"] };
  const tokens: Record<string, string> = {};
  let alpha: string;

  beforeAll(async () => {
    alpha = ks!.projects.alpha!;
    const u = ks!.users;
    const p = ks!.projects;
    const noauth = (user: string, project: string, roles: string) => ({ token: `${user}:${project}`, headers: { "x-roles": roles } });
    personas = {
      admin: { user: "alice", scope: { project: "alpha" }, noauth: noauth(u.alice!, p.alpha!, "admin,member,reader") },
      member: { user: "mona", scope: { project: "alpha" }, noauth: noauth(u.mona!, p.alpha!, "member,reader") },
      reader: { user: "rita", scope: { project: "alpha" }, noauth: noauth(u.rita!, p.alpha!, "reader") },
      other: { user: "olga", scope: { project: "alpha" }, noauth: noauth(u.olga!, p.alpha!, "other") },
      service: { user: "nova", scope: { project: "service" }, noauth: noauth(u.nova!, p.service!, "service") },
      systemAdmin: {
        user: "admin",
        scope: { system: true },
        noauth: { token: "admin", headers: { "x-roles": "admin,member,reader", "openstack-system-scope": "all" } },
      },
    };
    for (const [name, persona] of Object.entries(personas)) tokens[name] = await ks!.token(persona.user, persona.scope);
    ({ keystoneBerth, noauthBerth } = await servers());
  });

  /** A keystone Berth and a noauth2 Berth with the same [oslo_policy] options. */
  async function servers(policy: Record<string, string> = {}) {
    const k = await berth({}, policy);
    const store = openStore("sqlite://");
    await syncSchema(store);
    await syncStandardNames(store);
    const app = createApp({ store, config: testConfig({ oslo_policy: policy }) });
    closers.push(() => store.close());
    const n: { request: Berth["request"] } = {
      request: requester(app),
    };
    return { keystoneBerth: k, noauthBerth: n };
  }

  /** Sends the request as `who` to both servers; returns the status, after checking they agree. */
  async function both(
    who: string,
    method: string,
    path: string,
    opts: { body?: unknown; version?: string } = {},
    pair: { keystoneBerth: Berth; noauthBerth: { request: Berth["request"] } } = { keystoneBerth, noauthBerth },
  ): Promise<number> {
    const persona = entry(personas, who);
    const k = await pair.keystoneBerth.request(method, path, { ...opts, token: tokens[who] });
    const n = await pair.noauthBerth.request(method, path, { ...opts, token: persona.noauth.token, headers: persona.noauth.headers });
    const seen = (r: { status: number; body: any }) => ({
      who,
      method,
      path,
      status: r.status,
      error: r.status >= 400 ? r.body?.errors?.[0]?.detail : undefined,
    });
    expect(seen(k)).toEqual(seen(n));
    return k.status;
  }

  const everyone = ["admin", "member", "reader", "other", "service", "systemAdmin"];

  it("resource providers, traits and resource classes: admin and service only (system scope refused)", async () => {
    const expected: Record<string, number> = { admin: 200, service: 200, member: 403, reader: 403, other: 403, systemAdmin: 403 };
    for (const who of everyone) {
      expect(await both(who, "GET", "/resource_providers")).toBe(expected[who]);
      expect(await both(who, "GET", "/traits", { version: "1.6" })).toBe(expected[who]);
      expect(await both(who, "GET", "/resource_classes", { version: "1.2" })).toBe(expected[who]);
    }
    for (const who of everyone) {
      const name = `rp-${who}-${uuid()}`;
      const status = await both(who, "POST", "/resource_providers", { body: { name: `${name}` }, version: "1.20" });
      expect(status).toBe(expected[who]);
    }
  });

  it("allocations: admin and service only", async () => {
    const rp = (await keystoneBerth.request("POST", "/resource_providers", { token: tokens.admin, body: { name: `host-${uuid()}` }, version: "1.20" })).body
      .uuid;
    const inv = await keystoneBerth.request("PUT", `/resource_providers/${rp}/inventories`, {
      token: tokens.admin,
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 64 } } },
    });
    expect(inv.status).toBe(200);
    for (const who of everyone) {
      const c = uuid();
      const body = { allocations: { [rp]: { resources: { VCPU: 1 } } }, project_id: alpha, user_id: "u", consumer_generation: null };
      const k = await keystoneBerth.request("PUT", `/allocations/${c}`, { token: tokens[who], body, version: "1.28" });
      expect([who, k.status, k.body]).toEqual([who, who === "admin" || who === "service" ? 204 : 403, k.status === 204 ? undefined : expect.anything()]);
      expect(await both(who, "GET", `/allocations/${c}`)).toBe(who === "admin" || who === "service" ? 200 : 403);
    }
  });

  it("usages: a project reader reads its own project's totals only", async () => {
    const expectedOwn: Record<string, number> = { admin: 200, service: 200, member: 200, reader: 200, other: 403, systemAdmin: 403 };
    for (const who of everyone) {
      expect(await both(who, "GET", `/usages?project_id=${alpha}`, { version: "1.9" })).toBe(expectedOwn[who]);
      const other = await both(who, "GET", `/usages?project_id=${ks!.projects.beta}`, { version: "1.9" });
      expect(other).toBe(who === "admin" || who === "service" ? 200 : 403);
    }
  });

  it("reshaper: the service role alone", async () => {
    for (const who of everyone) {
      // An empty reshape is a 400 for whoever may reshape; the policy check comes first.
      const status = await both(who, "POST", "/reshaper", { body: { inventories: {}, allocations: {} }, version: "1.30" });
      expect(status).toBe(who === "service" ? 400 : 403);
    }
  });

  it("the legacy rules (enforce_new_defaults and enforce_scope off): role:admin OR-ed in, whatever the scope", async () => {
    const legacy = await servers({ enforce_new_defaults: "false", enforce_scope: "false" });
    for (const who of everyone) {
      const status = await both(who, "GET", "/resource_providers", {}, legacy);
      expect([who, status]).toEqual([who, ["admin", "service", "systemAdmin"].includes(who) ? 200 : 403]);
    }
  });

  it("takes roles and scope from the token only, never from noauth2's headers", async () => {
    const forged = { "x-roles": "admin,service", "openstack-system-scope": "all", "x-user-id": "admin", "x-project-id": alpha };
    expect((await keystoneBerth.request("GET", "/resource_providers", { token: tokens.reader, headers: forged })).status).toBe(403);
    expect((await keystoneBerth.request("GET", "/resource_providers", { token: tokens.admin, headers: forged })).status).toBe(200);
  });

  it("refuses domain-scoped tokens (the rules are for project scope)", async () => {
    const token = await ks!.token("alice", { domain: "default" });
    expect((await keystoneBerth.request("GET", "/resource_providers", { token })).status).toBe(403);
  });
});

describe.skipIf(!ks)("keystone: berth serve", () => {
  it("serves with auth_strategy = keystone from placement.conf, to the SDK with Keystone auth too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ks-"));
    const conf = join(dir, "placement.conf");
    const k = Object.entries(ks!.authtoken)
      .map(([key, v]) => `${key} = ${v}`)
      .join("\n");
    writeFileSync(conf, `[placement_database]\nconnection = sqlite://\nsync_on_startup = True\n[keystone_authtoken]\n${k}\n`);
    const port = await freePort();
    const child = spawn(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitUp(base, child, () => out);
      const none = await fetch(`${base}/resource_providers`);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe(`Keystone uri="${ks!.authtoken.www_authenticate_uri}"`);
      const token = await ks!.token("alice", { project: "alpha" });
      expect((await fetch(`${base}/resource_providers`, { headers: { "x-auth-token": token } })).status).toBe(200);

      // The SDK as nova uses it: password auth, Berth found in the catalog, Berth asking Keystone.
      const service = await ks!.admin("POST", "/services", { service: { type: "placement", name: "placement" } });
      await ks!.admin("POST", "/endpoints", { endpoint: { service_id: service.service.id, interface: "internal", url: base, region_id: "RegionOne" } });
      const nova = new PlacementClient({
        auth: new KeystonePasswordAuth({
          authUrl: ks!.url,
          username: "nova",
          password: USER_PASSWORD,
          userDomainName: "Default",
          projectName: "service",
          projectDomainName: "Default",
          interface: "internal",
          regionName: "RegionOne",
        }),
      });
      const rp = await nova.providers.create({ name: `sdk-${uuid()}` });
      expect((await nova.providers.get(rp.uuid)).name).toBe(rp.name);
      const mona = new PlacementClient({ endpoint: base, token: await ks!.token("mona", { project: "alpha" }) });
      await expect(mona.providers.list()).rejects.toBeInstanceOf(ForbiddenError);
      const nobody = new PlacementClient({ endpoint: base, token: "not-a-token" });
      await expect(nobody.providers.list()).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });
});

describe.skipIf(!ks)("keystone: capabilities for real tokens", () => {
  it("gives each caller the verdicts its real requests get (admin, member, reader, service)", async () => {
    const b = await berth();
    const admin = await ks!.token("alice", { project: "alpha" });
    const rp = uuid();
    expect((await b.request("POST", "/resource_providers", { version: "1.20", token: admin, body: { name: `cap-${rp}`, uuid: rp } })).status).toBe(200);
    const callers = {
      admin,
      member: await ks!.token("mona", { project: "alpha" }),
      reader: await ks!.token("rita", { project: "alpha" }),
      service: await ks!.token("nova", { project: "service" }),
    };
    const allowed: Record<string, string[]> = {};
    for (const [who, token] of Object.entries(callers)) {
      const doc = (await b.request("GET", "/capabilities", { token })).body;
      expect(doc.caller.scope).toBe("project");
      allowed[who] = doc.operations.filter((o: { allowed: boolean }) => o.allowed).map((o: { id: string }) => o.id);
      // Every read, sent for real with the same token: 403 exactly where the document refuses.
      for (const op of doc.operations.filter((o: { method: string }) => o.method === "GET")) {
        const path = op.path.replace(
          /\{(\w+)\}/g,
          (_: string, n: string) => ({ uuid: rp, consumer_uuid: uuid(), name: "CUSTOM_NOPE", resource_class: "VCPU" })[n] ?? n,
        );
        const query = op.path === "/allocation_candidates" ? "?resources=VCPU:1" : op.path === "/usages" ? `?project_id=${doc.caller.project_id}` : "";
        const real = await b.request("GET", path + query, { version: "1.39", token });
        expect({ who, op: op.id, forbidden: real.status === 403 }).toEqual({ who, op: op.id, forbidden: !op.allowed });
      }
    }
    expect(allowed.reader).toEqual(["usages"]);
    // NOTE: in Keystone member implies reader (the bootstrap's role implications), so a member may
    // read its own project's usages too; under noauth2 X-Roles names exactly the roles.
    expect(allowed.member).toEqual(["usages"]);
    expect(allowed.admin).not.toContain("reshaper:reshape");
    expect(allowed.service).toContain("reshaper:reshape");
  });
});
