// A known-good server for tests built on the SDK: an in-process Berth on in-memory SQLite.
// This package is where the SDK meets the server, so that @berth/client depends on neither.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PlacementClient, type ClientOptions } from "@berth/client";
import { testConfig } from "berth/config";
import { prepare } from "berth/server";
import { entry } from "@berth/client/common";

export interface TestServer {
  /** The endpoint to give PlacementClient. */
  url: string;
  /** A token the server accepts (noauth2). */
  token: string;
  /** A client of this server (its endpoint and token; anything else as given). */
  client(opts?: Partial<ClientOptions>): PlacementClient;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** placement.conf overrides by section, e.g. { placement: { max_allocation_candidates: "10" } }. */
  overrides?: Record<string, Record<string, string>>;
}

/** Starts Berth on in-memory SQLite on a free port; `close()` stops it and drops the database. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const { app, store } = await prepare(testConfig(opts.overrides ?? {}));
  const http = createServer((req, res) => {
    void bridge(app, req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const token = "admin";
  return {
    url,
    token,
    client: (o = {}) => new PlacementClient({ endpoint: url, token, ...o }),
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await store.close();
    },
  };
}

// node:http -> fetch Request -> app.fetch -> node:http.
async function bridge(app: { fetch(req: Request): Response | Promise<Response> }, req: IncomingMessage, res: ServerResponse) {
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) v.forEach((x) => headers.append(k, x));
      else if (v !== undefined) headers.set(k, v);
    }
    const body = chunks.length && req.method !== "GET" && req.method !== "HEAD" ? Buffer.concat(chunks) : undefined;
    const reply = await app.fetch(new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, { method: req.method, headers, body }));
    const out: Record<string, string | string[]> = {};
    reply.headers.forEach((v, k) => {
      out[k] = k in out ? ([] as string[]).concat(entry(out, k), v) : v;
    });
    res.writeHead(reply.status, out);
    res.end(Buffer.from(await reply.arrayBuffer()));
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e));
  }
}
