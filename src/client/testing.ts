// A known-good server for tests built on the SDK: an in-process Berth on in-memory SQLite.
// NOTE: the server is loaded with computed specifiers so the SDK has no static dependency on it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { entry } from "./common/at.js";

export interface TestServer {
  /** The endpoint to give PlacementClient. */
  url: string;
  /** A token the server accepts (noauth2). */
  token: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Module specifiers (or file URLs) of Berth's server and config modules, when not found by default. */
  serverModule?: string;
  configModule?: string;
  /** placement.conf overrides by section, e.g. { placement: { max_allocation_candidates: "10" } }. */
  overrides?: Record<string, Record<string, string>>;
}

interface ServerModule {
  prepare(config: unknown): Promise<{ app: { fetch(req: Request): Response | Promise<Response> }; store: { close(): Promise<void> } }>;
}
interface ConfigModule {
  testConfig(overrides?: Record<string, Record<string, string>>): unknown;
}

// Where Berth can be: next to this file (the SDK inside the berth package), or the berth package.
const CANDIDATES: [string, string][] = [
  ["../server.js", "../config.js"],
  ["berth/server", "berth/config"],
];

async function load(opts: TestServerOptions): Promise<[ServerModule, ConfigModule]> {
  const tries: [string, string][] = opts.serverModule
    ? [[opts.serverModule, opts.configModule ?? opts.serverModule.replace(/server(\.[jt]s)?$/, "config$1")]]
    : CANDIDATES.map(([s, c]) => (s.startsWith(".") ? [new URL(s, import.meta.url).href, new URL(c, import.meta.url).href] : [s, c]));
  const errors: string[] = [];
  for (const [s, c] of tries) {
    try {
      const server = (await import(s)) as ServerModule;
      const config = (await import(c)) as ConfigModule;
      if (typeof server.prepare === "function" && typeof config.testConfig === "function") return [server, config];
      errors.push(`${s}: no prepare()/testConfig()`);
    } catch (e) {
      errors.push(`${s}: ${(e as Error).message}`);
    }
  }
  throw new Error(`the Berth server package is not available (${errors.join("; ")})`);
}

/** Starts Berth on in-memory SQLite on a free port; `close()` stops it and drops the database. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const [server, config] = await load(opts);
  const { app, store } = await server.prepare(config.testConfig(opts.overrides ?? {}));
  const http = createServer((req, res) => {
    void bridge(app, req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token: "admin",
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
