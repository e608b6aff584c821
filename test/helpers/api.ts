// An in-process Berth on a fresh database, and a small request helper for flow tests.
import { afterAll, beforeAll, expect } from "vitest";
import type { Hono } from "hono";
import { sql, type RawBuilder } from "kysely";
import { testConfig, type LoadOptions } from "../../src/config.js";
import type { Store } from "../../src/db/open.js";
import { prepare } from "../../src/server.js";
import type { Dialect } from "../../src/db/capabilities.js";
import type { Metrics } from "../../src/http/metrics.js";
import { fromDb } from "../../src/db/time.js";
import { createDatabase } from "./databases.js";

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text, sent as is. */
  raw?: string;
  version?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TestApi {
  app: Hono;
  store: Store;
  /** The app's own metrics (what `berth serve --metrics-port` serves). */
  metrics: Metrics;
  request(method: string, path: string, opts?: RequestOptions): Promise<Reply>;
  get(path: string, opts?: RequestOptions): Promise<Reply>;
  post(path: string, body: unknown, opts?: RequestOptions): Promise<Reply>;
  put(path: string, body: unknown, opts?: RequestOptions): Promise<Reply>;
  del(path: string, opts?: RequestOptions): Promise<Reply>;
}

export async function startApi(dialect: Dialect, overrides: LoadOptions["overrides"] = {}): Promise<TestApi & { close(): Promise<void> }> {
  const db = await createDatabase(dialect);
  const config = testConfig({ ...overrides, placement_database: { ...overrides.placement_database, connection: db.url, sync_on_startup: "true" } });
  const { app, store, metrics } = await prepare(config, process.env.BERTH_TEST_LOG ? (await import("pino")).default({ level: "error" }) : undefined);
  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== null) headers["x-auth-token"] = opts.token ?? "admin";
    if (opts.version) headers["openstack-api-version"] = `placement ${opts.version}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    app,
    store,
    metrics,
    request,
    get: (p, o) => request("GET", p, o),
    post: (p, b, o) => request("POST", p, { ...o, body: b }),
    put: (p, b, o) => request("PUT", p, { ...o, body: b }),
    del: (p, o) => request("DELETE", p, o),
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** Starts a fresh API for the enclosing describe block; use the returned getter inside tests. */
export function useApi(dialect: Dialect, overrides: LoadOptions["overrides"] = {}): () => TestApi {
  let api: (TestApi & { close(): Promise<void> }) | undefined;
  beforeAll(async () => {
    api = await startApi(dialect, overrides);
  });
  afterAll(async () => {
    await api?.close();
  });
  return () => api!;
}

export const uuid = (): string => crypto.randomUUID();

/** RFC 9110's IMF-fixdate, the only form an HTTP date may be sent in. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** The reply's last-modified, after checking that it is an HTTP date; as milliseconds since the epoch. */
export function lastModified(r: Reply): number {
  const v = r.headers.get("last-modified");
  expect(v, "last-modified").toMatch(HTTP_DATE);
  return Date.parse(v as string);
}

/** A time to the second below, as an HTTP date carries it (milliseconds since the epoch). */
export function toSecond(d: Date | number): number {
  const t = typeof d === "number" ? d : d.getTime();
  return t - (((t % 1000) + 1000) % 1000);
}

/**
 * The newest stored time (updated_at, else created_at) of the rows of `table` that `where` picks,
 * to the second: what a last-modified drawn from those rows must equal.
 */
export async function storedTime(store: Store, table: string, where: RawBuilder<unknown> = sql`1 = 1`): Promise<number> {
  const { rows } = await sql<{ t: string | Date | null }>`SELECT max(coalesce(updated_at, created_at)) AS t FROM ${sql.table(table)} WHERE ${where}`.execute(
    store.db,
  );
  const t = fromDb(rows[0]?.t);
  expect(t, `a stored time in ${table}`).toBeDefined();
  return toSecond(t as Date);
}
