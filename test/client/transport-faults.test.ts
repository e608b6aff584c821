// The SDK's transport against a real Berth behind a faulty front (a proxy that answers 503, resets
// connections or is not listening, as a load balancer in front of a restarting service does):
// what it retries, what it never retries, and the headers every request carries.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlacementClient, PlacementError, ConnectionError, type ClientOptions } from "@berth/client";
import { SDK_VERSION } from "../../packages/client/src/transport.js";
import { startTestServer, type TestServer } from "@berth/testing";

/** What the front does to the next requests: answer 503, reset the connection, or pass them on. */
type Fault = "503" | "reset" | "pass";

interface Front {
  url: string;
  seen: { method: string; path: string; headers: IncomingHttpHeaders }[];
  faults: Fault[];
  close(): Promise<void>;
}

async function front(target: string): Promise<Front> {
  const seen: Front["seen"] = [];
  const faults: Fault[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, headers: req.headers });
    const fault = faults.shift() ?? "pass";
    if (fault === "reset") return void req.socket.destroy();
    if (fault === "503") {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
      return void res.end(JSON.stringify({ errors: [{ status: 503, title: "Service Unavailable", detail: "restarting" }] }));
    }
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    faults,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("the SDK's transport in front of a faulty service", () => {
  let berth: TestServer;
  let f: Front;
  beforeAll(async () => {
    berth = await startTestServer();
    f = await front(berth.url);
  });
  afterAll(async () => {
    await f?.close();
    await berth?.close();
  });

  const client = (opts: Partial<ClientOptions> = {}) => new PlacementClient({ endpoint: f.url, token: berth.token, retry: { delayMs: () => 0 }, ...opts });
  const fresh = () => {
    f.seen.length = 0;
    f.faults.length = 0;
  };

  it("retries a GET after a 503 and after a reset connection, with the same global request id", async () => {
    const c = client();
    await c.serverRange();
    fresh();
    f.faults.push("503", "reset");
    const list = await c.providers.list();
    expect(Array.isArray(list)).toBe(true);
    expect(f.seen.map((s) => s.method)).toEqual(["GET", "GET", "GET"]);
    const ids = new Set(f.seen.map((s) => s.headers["x-openstack-request-id"]));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it("retries an idempotent PUT, never a POST that reached the service", async () => {
    const c = client();
    await c.serverRange();
    fresh();
    f.faults.push("503");
    await expect(c.providers.create({ name: `faults-${crypto.randomUUID()}` })).rejects.toSatisfy((e) => e instanceof PlacementError && e.status === 503);
    expect(f.seen.map((s) => s.method)).toEqual(["POST"]);
    fresh();
    f.faults.push("reset");
    await expect(c.providers.create({ name: `faults-${crypto.randomUUID()}` })).rejects.toThrow(ConnectionError);
    expect(f.seen).toHaveLength(1);
    fresh();
    f.faults.push("503", "503");
    await c.traits.create("CUSTOM_FAULTS_PUT");
    expect(f.seen.map((s) => s.method)).toEqual(["PUT", "PUT", "PUT"]);
  });

  it("gives up after the attempts it was given, saying how many", async () => {
    const c = client({ retry: { attempts: 2, delayMs: () => 0 } });
    await c.serverRange();
    fresh();
    f.faults.push("503", "503", "503");
    await expect(c.providers.list()).rejects.toSatisfy((e) => e instanceof PlacementError && e.status === 503);
    expect(f.seen).toHaveLength(2);
    fresh();
    f.faults.push("reset", "reset");
    await expect(c.providers.list()).rejects.toThrow(/after 2 attempts/);
    const none = client({ retry: false });
    await none.serverRange();
    fresh();
    f.faults.push("503");
    await expect(none.providers.list()).rejects.toSatisfy((e) => e instanceof PlacementError && e.status === 503);
    expect(f.seen).toHaveLength(1);
  });

  it("retries any method that never reached a service (nothing listening)", async () => {
    const gone = await front(berth.url);
    const c = new PlacementClient({ endpoint: gone.url, token: "admin", retry: { attempts: 3, delayMs: () => 0 } });
    await c.serverRange();
    await gone.close();
    await expect(c.providers.create({ name: "nowhere" })).rejects.toThrow(
      /^cannot reach the placement endpoint http:\/\/127\.0\.0\.1:\d+: connection refused \(POST http:\/\/127\.0\.0\.1:\d+\/resource_providers, after 3 attempts\)$/,
    );
  });

  it("sends its User-Agent (with the caller's product first) and the caller's global request id", async () => {
    const id = `req-${crypto.randomUUID()}`;
    const c = client({ userAgent: "my-agent/1.2", globalRequestId: id });
    fresh();
    await c.providers.list();
    const other = `req-${crypto.randomUUID()}`;
    await c.providers.list({}, { globalRequestId: other });
    expect(f.seen.map((s) => s.headers["user-agent"])).toEqual(Array(f.seen.length).fill(`my-agent/1.2 berth-sdk/${SDK_VERSION}`));
    expect(f.seen.at(-2)!.headers["x-openstack-request-id"]).toBe(id);
    expect(f.seen.at(-1)!.headers["x-openstack-request-id"]).toBe(other);
    expect(() => client({ globalRequestId: "abc" })).toThrow(TypeError);
    await expect(c.providers.list({}, { globalRequestId: "req-NOT-A-UUID" })).rejects.toThrow(TypeError);
  });

  it("names the version its package.json has (@berth/client's)", () => {
    expect(SDK_VERSION).toBe(JSON.parse(readFileSync(new URL("../../packages/client/package.json", import.meta.url), "utf8")).version);
  });
});
