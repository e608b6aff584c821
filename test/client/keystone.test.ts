// Keystone v3 password auth against a small fake Keystone (a real HTTP peer started here), which
// also serves a fake placement endpoint that records the tokens it receives.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KeystonePasswordAuth } from "../../packages/client/src/auth.js";
import { PlacementClient } from "../../packages/client/src/client.js";
import { ConnectionError, UnauthorizedError } from "../../packages/client/src/errors.js";

interface State {
  issued: number;
  lastAuthBody: any;
  placementTokens: string[];
  /** The OpenStack-API-Version header of each placement request. */
  placementVersions: (string | undefined)[];
  /** Tokens the fake placement refuses (as if revoked). */
  revoked: Set<string>;
  ttlMs: number;
}

let server: Server;
let base: string;
const state: State = { issued: 0, lastAuthBody: undefined, placementTokens: [], placementVersions: [], revoked: new Set(), ttlMs: 3600_000 };

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/identity/v3/auth/tokens") {
        const body = JSON.parse(text);
        state.lastAuthBody = body;
        const user = body.auth.identity.password.user;
        if (user.password !== "secret") {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } }));
          return;
        }
        const token = `tok-${++state.issued}`;
        const catalog = [
          { type: "identity", endpoints: [{ interface: "public", region_id: "R1", url: `${base}/identity` }] },
          {
            type: "placement",
            endpoints: [
              { interface: "internal", region_id: "R1", url: `${base}/internal-placement` },
              { interface: "public", region_id: "R2", url: `${base}/r2-placement` },
              { interface: "public", region_id: "R1", url: `${base}/placement` },
            ],
          },
        ];
        res.writeHead(201, { "content-type": "application/json", "x-subject-token": token });
        res.end(JSON.stringify({ token: { expires_at: new Date(Date.now() + state.ttlMs).toISOString(), catalog } }));
        return;
      }
      if (req.url?.startsWith("/placement")) {
        const token = String(req.headers["x-auth-token"]);
        state.placementTokens.push(token);
        state.placementVersions.push(req.headers["openstack-api-version"] as string | undefined);
        if (state.revoked.has(token)) {
          res.writeHead(401, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: [{ status: 401, title: "Unauthorized", detail: "no" }] }));
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        const path = req.url.slice("/placement".length);
        res.end(
          JSON.stringify(
            path === "/" || path === ""
              ? { versions: [{ id: "v1.0", min_version: "1.0", max_version: "1.39", status: "CURRENT", links: [] }] }
              : { traits: ["CUSTOM_X"], seen: req.headers["openstack-api-version"] },
          ),
        );
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  state.issued = 0;
  state.placementTokens = [];
  state.placementVersions = [];
  state.revoked.clear();
  state.ttlMs = 3600_000;
});

const auth = (over: Partial<ConstructorParameters<typeof KeystonePasswordAuth>[0]> = {}) =>
  new KeystonePasswordAuth({
    authUrl: `${base}/identity`,
    username: "alice",
    password: "secret",
    projectName: "demo",
    userDomainName: "Default",
    projectDomainName: "Default",
    regionName: "R1",
    ...over,
  });

describe("KeystonePasswordAuth", () => {
  it("posts a scoped password request to /v3/auth/tokens (with or without /v3 in the URL)", async () => {
    await auth().headers();
    expect(state.lastAuthBody).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "alice", password: "secret", domain: { name: "Default" } } } },
        scope: { project: { name: "demo", domain: { name: "Default" } } },
      },
    });
    expect(await auth({ authUrl: `${base}/identity/v3/` }).headers()).toEqual({ "x-auth-token": "tok-2" });
  });

  it("caches the token until shortly before it expires, then renews it", async () => {
    let now = Date.now();
    const a = auth({ now: () => now, renewBeforeMs: 60_000 });
    expect(await a.headers()).toEqual({ "x-auth-token": "tok-1" });
    expect(await a.headers()).toEqual({ "x-auth-token": "tok-1" });
    now += 3600_000 - 61_000;
    expect(await a.headers()).toEqual({ "x-auth-token": "tok-1" });
    now += 2_000;
    expect(await a.headers()).toEqual({ "x-auth-token": "tok-2" });
    expect(state.issued).toBe(2);
  });

  it("shares one token request between concurrent callers", async () => {
    const a = auth();
    await Promise.all([a.headers(), a.headers(), a.headers()]);
    expect(state.issued).toBe(1);
  });

  it("finds the placement endpoint by service type, interface and region", async () => {
    expect(await auth().endpoint()).toBe(`${base}/placement`);
    expect(await auth({ interface: "internal" }).endpoint()).toBe(`${base}/internal-placement`);
    expect(await auth({ regionName: "R2" }).endpoint()).toBe(`${base}/r2-placement`);
    await expect(auth({ interface: "admin" }).endpoint()).rejects.toThrow(ConnectionError);
  });

  it("reports bad credentials as UnauthorizedError with Keystone's message", async () => {
    await expect(auth({ password: "wrong" }).headers()).rejects.toMatchObject({
      constructor: UnauthorizedError,
      message: "The request you have made requires authentication.",
    });
  });
});

describe("PlacementClient with Keystone auth", () => {
  it("uses the catalog endpoint and sends the token and the negotiated version", async () => {
    const client = new PlacementClient({ auth: auth() });
    expect(await client.traits.list()).toEqual(["CUSTOM_X"]);
    expect(state.placementTokens).toEqual(["tok-1", "tok-1"]);
    // GET / for the range (no version), then the list at the version traits need (1.6).
    expect(state.placementVersions).toEqual([undefined, "placement 1.6"]);
  });

  it("renews the token once when placement answers 401", async () => {
    const client = new PlacementClient({ auth: auth() });
    await client.serverRange();
    state.revoked.add("tok-1");
    expect(await client.traits.list()).toEqual(["CUSTOM_X"]);
    expect(state.placementTokens).toEqual(["tok-1", "tok-1", "tok-2"]);
  });
});
