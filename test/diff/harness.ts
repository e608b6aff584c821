// Differential testing: the same requests to the reference Placement (REF_URL, else the private one
// test/diff/global-setup.ts starts) and to an in-process Berth on DIFF_DB, compared on status, the
// headers clients read and the body. `npm test` ends with `npm run test:diff` (scripts/diff-all.sh:
// one run per database).
import { afterAll, beforeAll, expect } from "vitest";
import type { Hono } from "hono";
import { prepare } from "../../src/server.js";
import { testConfig } from "../../src/config.js";
import type { Store } from "../../src/db/open.js";
import type { Dialect } from "../../src/db/capabilities.js";
import { createDatabase, DIALECTS } from "../helpers/databases.js";

export const REF_URL = process.env.REF_URL ?? "http://localhost:8000";

/** The database Berth runs on in this differential run: DIFF_DB=sqlite|postgres|mysql (default sqlite). */
export const DIFF_DB = (process.env.DIFF_DB ?? "sqlite") as Dialect;

export interface Step {
  method?: string;
  path: string;
  body?: unknown;
  raw?: string;
  version?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: unknown;
}

const COMPARED_HEADERS = ["content-type", "openstack-api-version", "vary", "allow", "location", "cache-control"];

/**
 * Whether the reference answers at REF_URL. When it does not, the file's tests are skipped, which
 * `npm run test:diff` would otherwise report as a clean run: that is said loudly, and is an error
 * under CI=true, as the other tests that need a missing component do.
 */
export async function reachable(): Promise<boolean> {
  // NOTE: databases.ts has already said why a database is missing (or thrown, under CI=true).
  if (!DIALECTS.includes(DIFF_DB)) return false;
  // global-setup.ts found no reference to start and has said so.
  if (process.env.DIFF_NO_REFERENCE) return false;
  let ok = false;
  try {
    ok = (await fetch(`${REF_URL}/`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    ok = false;
  }
  if (!ok) {
    if (process.env.CI === "true") throw new Error(`the reference Placement is required under CI=true but does not answer at ${REF_URL} (REF_URL)`);
    console.warn(`NOTE: the reference Placement does not answer at ${REF_URL} (REF_URL): the differential tests of this file are skipped`);
  }
  return ok;
}

function requestInit(step: Step): { method: string; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { ...step.headers };
  if (step.token !== null) headers["x-auth-token"] = step.token ?? "admin";
  if (step.version) headers["openstack-api-version"] = `placement ${step.version}`;
  let body: string | undefined;
  if (step.raw !== undefined) body = step.raw;
  else if (step.body !== undefined) {
    body = JSON.stringify(step.body);
    headers["content-type"] ??= "application/json";
  }
  return { method: step.method ?? "GET", headers, body };
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  const headers: Record<string, string | null> = {};
  for (const h of COMPARED_HEADERS) headers[h] = res.headers.get(h);
  // Only the path of a Location is comparable (the host differs).
  if (headers.location) headers.location = new URL(headers.location, "http://x").pathname;
  headers["last-modified"] = res.headers.has("last-modified") ? "<present>" : null;
  return { status: res.status, headers, body: normalize(body) };
}

/** Drops what legitimately differs: request ids (uuids and timestamps are made equal by the scenarios). */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "request_id") continue;
      // DIFF_LOOSE=1 ignores the Python dump of the failing schema in validation errors.
      if (k === "detail" && typeof x === "string" && process.env.DIFF_LOOSE) out[k] = x.replace(/ {2}Failed validating[\s\S]*$/, "  <schema dump>");
      else out[k] = normalize(x);
    }
    return out;
  }
  return v;
}

export async function ask(step: Step, berth: Hono): Promise<{ ref: Answer; ours: Answer }> {
  const init = requestInit(step);
  const ref = await answer(await fetch(`${REF_URL}${step.path}`, init));
  const ours = await answer(await berth.request(step.path, init));
  return { ref, ours };
}

/** Sends each step to both and expects the same answer. */
export async function same(berth: Hono, ...steps: Step[]): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const step of steps) {
    const { ref, ours } = await ask(step, berth);
    expect({ step: `${step.method ?? "GET"} ${step.path} @${step.version ?? "1.0"}`, ...ours }).toEqual({
      step: `${step.method ?? "GET"} ${step.path} @${step.version ?? "1.0"}`,
      ...ref,
    });
    out.push(ours);
  }
  return out;
}

/** A fresh Berth on a fresh database of DIFF_DB; close() drops it. */
export async function berthUnderTest(): Promise<{ app: Hono; store: Store; close(): Promise<void> }> {
  const db = await createDatabase(DIFF_DB);
  const { app, store } = await prepare(testConfig({ placement_database: { connection: db.url, sync_on_startup: "true" } }));
  return {
    app,
    store,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/** A fresh Berth for the enclosing describe block: made before its tests, dropped after them. */
export function useBerthUnderTest(): { readonly app: Hono; readonly store: Store } {
  let berth: Awaited<ReturnType<typeof berthUnderTest>> | undefined;
  beforeAll(async () => {
    berth = await berthUnderTest();
  });
  afterAll(() => berth?.close());
  return {
    get app() {
      return berth!.app;
    },
    get store() {
      return berth!.store;
    },
  };
}
