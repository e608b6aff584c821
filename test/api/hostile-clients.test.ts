// Clients that break HTTP itself, against the real listener (src/listener.ts) on a socket: a URL or
// headers too large, a request line that is not HTTP, a client too slow with its headers or its
// body. Each gets a status and the API's error body, and the server goes on answering others.
import { connect } from "node:net";
import type { Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testConfig } from "../../src/config.js";
import { prepare } from "../../src/server.js";
import { createListener, DEFAULT_LIMITS } from "../../src/listener.js";
import type { Store } from "../../src/db/open.js";
import { createDatabase, describeEachDb } from "../helpers/databases.js";

const LIMIT = 4096;

/** Writes `parts` to a new connection (the last one left open when `hold`), returns all it receives until the server closes. */
function exchange(port: number, parts: (string | Buffer)[], hold = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" || e.code === "EPIPE" ? undefined : reject(e)));
    socket.on("close", () => resolve(received));
    socket.on("connect", () => {
      for (const p of parts) socket.write(p);
      if (!hold) socket.end();
    });
  });
}

/** The status and JSON error body of a raw HTTP answer. */
function answer(raw: string): { status: number; head: string; body: any } {
  const at = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, at);
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), head, body: JSON.parse(raw.slice(at + 4)) };
}

function expectErrorBody(a: { status: number; head: string; body: any }, status: number, title: string): void {
  expect(a.status).toBe(status);
  const requestId = /x-openstack-request-id: (\S+)/i.exec(a.head)?.[1];
  expect(requestId).toMatch(/^req-/);
  expect(a.body).toEqual({ errors: [{ status, title, detail: expect.any(String), request_id: requestId }] });
}

describeEachDb("hostile clients on the listener", (dialect) => {
  let server: Server;
  let store: Store;
  let port: number;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createDatabase(dialect);
    drop = db.drop;
    const prepared = await prepare(
      testConfig({ api: { max_request_body_size: String(LIMIT) }, placement_database: { connection: db.url, sync_on_startup: "true" } }),
    );
    store = prepared.store;
    server = createListener(prepared.app, { ...DEFAULT_LIMITS, maxBodyBytes: LIMIT, headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckMs: 100 });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await store.close();
    await drop();
  });

  const stillServing = async () => expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);

  it("answers 414 with the error body for a 200,000-character query string", async () => {
    const raw = await exchange(port, [`GET /resource_providers?name=${"a".repeat(200_000)} HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\n\r\n`]);
    const a = answer(raw);
    expectErrorBody(a, 414, "Request-URI Too Long");
    expect(a.body.errors[0].detail).toBe("The request URI was too long for this server.\n\n The request line is too long.  ");
    await stillServing();
  });

  it("answers 431 with the error body for 100 KB of headers", async () => {
    const raw = await exchange(port, [`GET /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\nx-big: ${"b".repeat(100_000)}\r\n\r\n`]);
    expectErrorBody(answer(raw), 431, "Request Header Fields Too Large");
    await stillServing();
  });

  it("takes a URL and headers of ordinary size", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/resource_providers?name=${"a".repeat(2000)}`, {
      headers: { "x-auth-token": "admin", "x-extra": "c".repeat(8000) },
    });
    expect(res.status).toBe(200);
  });

  it("answers 400 with the error body for a request that is not HTTP", async () => {
    const raw = await exchange(port, ["HELLO THERE\r\n\r\n"]);
    expectErrorBody(answer(raw), 400, "Bad Request");
  });

  it("answers a whole request, then closes, when what follows it is not HTTP (as the reference's gunicorn)", async () => {
    const raw = await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\nnot http at all\r\n\r\n"]);
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)).versions[0].max_version).toBe("1.39");
    await stillServing();
  });

  // The reference's answers under gunicorn, checked by hand with the same requests.
  it("routes a path with dot segments or a backslash as sent, as the reference does", async () => {
    const get = async (path: string) =>
      answer(await exchange(port, [`GET ${path} HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\nopenstack-api-version: placement 1.39\r\n\r\n`]));
    const NOT_FOUND = "The resource could not be found.\n\n ";
    for (const path of ["/./resource_providers", "/resource_providers\\x", "/a/.."]) {
      const a = await get(path);
      expect([path, a.status, a.body.errors[0].detail]).toEqual([path, 404, `${NOT_FOUND}  `]);
    }
    for (const path of ["/resource_providers/../traits", "/resource_providers/%2e%2E/traits"]) {
      const a = await get(path);
      expect([path, a.status, a.body.errors[0].detail]).toEqual([
        path,
        404,
        `${NOT_FOUND}No resource provider with uuid .. found: No resource provider with uuid .. found  `,
      ]);
    }
  });

  it("answers a client that ends its side right after its request", async () => {
    // The answer needs the database (a provider looked up), so it is written after the client's FIN.
    const raw = await exchange(port, [`GET /resource_providers/${crypto.randomUUID()} HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\n\r\n`]);
    expect(answer(raw).status).toBe(404);
  });

  // docs/compatibility.md: the reference's gunicorn (sync worker) closes every connection after one
  // answer and answers HTTP/1.0 in HTTP/1.0.
  it("keeps a connection open for the next request, and answers HTTP/1.0 in HTTP/1.1", async () => {
    const two = await exchange(port, ["GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(two.match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(2);
    expect(two).toMatch(/\r\nConnection: keep-alive\r\n/i);
    const old = await exchange(port, ["GET / HTTP/1.0\r\nHost: x\r\n\r\n"]);
    expect(old).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it("answers HEAD (no route has it) with an empty HTML 405, and a request without Host", async () => {
    const head = await exchange(port, ["HEAD /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\naccept: application/json\r\n\r\n"]);
    expect(head).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(head).toMatch(/\r\ncontent-type: text\/html; charset=UTF-8\r\n/i);
    expect(head).toMatch(/\r\ncontent-length: 0\r\n/i);
    expect(head).toMatch(/\r\nallow: GET, POST\r\n/i);
    const bare = await exchange(port, ["GET / HTTP/1.1\r\nConnection: close\r\n\r\n"]);
    expect(bare).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // A Host the URL parser refuses is served too, as the reference under gunicorn serves it.
    for (const host of ["a:99999", "a b", "[::1"]) {
      const odd = await exchange(port, [`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`]);
      expect({ host, line: odd.split("\r\n")[0] }).toEqual({ host, line: "HTTP/1.1 200 OK" });
    }
  });

  it("answers 408 with the error body to a client that never finishes its headers", async () => {
    const raw = await exchange(port, ["GET /resource_providers HTTP/1.1\r\nHost: x\r\n"], true);
    expectErrorBody(answer(raw), 408, "Request Timeout");
    await stillServing();
  });

  it("answers 408 with the error body to a client that never finishes its body", async () => {
    const raw = await exchange(
      port,
      ["POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n", '{"name": '],
      true,
    );
    expectErrorBody(answer(raw), 408, "Request Timeout");
    await stillServing();
  });

  // docs/compatibility.md: the reference answers this 500, "The client disconnected while sending
  // the body (7 more bytes were expected)".
  it("answers 400 with the error body to a client that ends its side before the body it declared", async () => {
    const raw = await exchange(port, [
      "POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\nabc",
    ]);
    expectErrorBody(answer(raw), 400, "Bad Request");
    expect(answer(raw).body.errors[0].detail).toBe(
      "The server could not comply with the request since it is either malformed or otherwise incorrect.\n\n The request could not be parsed as HTTP.  ",
    );
    await stillServing();
  });

  it("answers 413 instead of 100 Continue to a client that asks before sending a body too large", async () => {
    const raw = await exchange(
      port,
      [
        `POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\ncontent-type: application/json\r\ncontent-length: ${50 * 1024 * 1024}\r\nexpect: 100-continue\r\n\r\n`,
      ],
      true,
    );
    expect(raw).not.toContain("100 Continue");
    const a = answer(raw);
    expect(a.status).toBe(413);
    expect(a.body.errors[0].title).toBe("Request Entity Too Large");
  });

  it("says 100 Continue to a client that asks before sending a body of ordinary size", async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      const body = JSON.stringify({ name: "continued" });
      let received = "";
      socket.on("error", reject);
      socket.on("data", (d) => {
        received += d.toString("latin1");
        if (received.startsWith("HTTP/1.1 100 Continue\r\n\r\n") && !received.includes("\r\n\r\nHTTP")) socket.write(body);
        if (/\r\n\r\nHTTP\/1\.1 \d+[^]*\r\n\r\n\{.*\}$/s.test(received)) {
          socket.end();
          resolve(received);
        }
      });
      socket.write(
        `POST /resource_providers HTTP/1.1\r\nHost: x\r\nx-auth-token: admin\r\nopenstack-api-version: placement 1.39\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`,
      );
    });
    expect(res).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });
});
