// A mixed fleet: the reference implementation (placement-api, Placement 8.0.0) and `berth serve`
// on one PostgreSQL or MariaDB database. Every write through the reference is in Berth's candidates
// (answered from its snapshot) on the very next request: Berth's change token needs nothing of the
// writers. Runs where `placement-api` is installed (python3-placement with python3-psycopg2 and
// python3-pymysql), and is skipped with a note elsewhere (required under CI=true).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { createDatabase, DIALECTS } from "../helpers/databases.js";
import { referenceAvailable, startBerth, startReference, type Served } from "../helpers/reference.js";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { openStore, type Store } from "../../src/db/open.js";
import { first } from "@berth/client/common";

const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };
const haveReference = referenceAvailable("the mixed-fleet candidate tests");

for (const dialect of DIALECTS.filter((d) => d !== "sqlite")) {
  describe.runIf(haveReference)(`the reference writes, Berth's snapshot answers the next request [${dialect}]`, () => {
    const children: Served[] = [];
    let ref: string;
    /** berth serve in mode always, and in the default mode (auto). */
    const berth: string[] = [];
    let store: Store;
    let fresh: Hono;
    let drop: () => Promise<void>;
    let dir: string;

    beforeAll(async () => {
      const db = await createDatabase(dialect);
      drop = db.drop;
      dir = mkdtempSync(join(tmpdir(), "berth-mixed-"));
      // NOTE: the reference creates the schema (its own alembic head, which Berth shares).
      const reference = await startReference(db.url, dir);
      children.push(reference);
      ref = reference.base;
      for (const mode of ["always", "auto"]) {
        const b = await startBerth(db.url, dir, { BERTH_CANDIDATE_SNAPSHOT: mode });
        children.push(b);
        berth.push(b.base);
      }
      store = openStore(db.url);
      fresh = createApp({ store, config: testConfig({ placement_database: { connection: db.url } }), candidateSnapshot: "never" });
    }, 120_000);

    afterAll(async () => {
      for (const c of children) await c.stop();
      await store?.close();
      await drop?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const call = async (method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { ...HEADERS };
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(`${ref}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`the reference answered ${method} ${path} with ${r.status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const candidates = async (query: string, base?: string): Promise<string> => {
      const r = base
        ? await fetch(`${base}/allocation_candidates?${query}`, { headers: HEADERS })
        : await fresh.request(`/allocation_candidates?${query}`, { headers: HEADERS });
      return `${r.status} ${(await r.text()).replace(/"request_id": ?"[^"]*"/g, '"request_id": ""')}`;
    };
    /** Both Berth processes answer every query as a fresh read of the database does. */
    const same = async (step: string) => {
      for (const q of ["resources=VCPU:1", "resources=VCPU:2,MEMORY_MB:512&required=CUSTOM_MIXED", "resources=VCPU:1&limit=1"]) {
        const want = await candidates(q);
        for (const base of berth) expect({ step, q, base, got: await candidates(q, base) }).toEqual({ step, q, base, got: want });
      }
    };

    it("providers, inventories, traits, aggregates and allocations written through the reference", async () => {
      await same("empty");
      const rps = [crypto.randomUUID(), crypto.randomUUID()];
      for (const [i, rp] of rps.entries()) {
        await call("POST", "/resource_providers", { name: `mixed-${i}`, uuid: rp });
        await same(`created ${i}`);
        await call("PUT", `/resource_providers/${rp}/inventories`, {
          resource_provider_generation: 0,
          inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } },
        });
        await same(`inventory ${i}`);
      }
      // NOTE: quiet requests, so that the auto process answers from its snapshot too.
      for (let i = 0; i < 3; i++) await same(`quiet ${i}`);
      await call("PUT", "/traits/CUSTOM_MIXED");
      await same("trait created");
      let gen = (await call("GET", `/resource_providers/${rps[0]}`)).generation;
      await call("PUT", `/resource_providers/${rps[0]}/traits`, { resource_provider_generation: gen, traits: ["CUSTOM_MIXED"] });
      await same("trait set");
      gen = (await call("GET", `/resource_providers/${rps[1]}`)).generation;
      await call("PUT", `/resource_providers/${rps[1]}/aggregates`, { resource_provider_generation: gen, aggregates: [crypto.randomUUID()] });
      await same("aggregate set");
      const consumer = crypto.randomUUID();
      await call("PUT", `/allocations/${consumer}`, {
        allocations: { [first(rps)]: { resources: { VCPU: 3, MEMORY_MB: 1024 } } },
        project_id: "p",
        user_id: "u",
        consumer_generation: null,
        consumer_type: "INSTANCE",
      });
      await same("claimed");
      expect(JSON.parse((await candidates("resources=VCPU:1", berth[1])).slice(4)).provider_summaries[first(rps)].resources.VCPU.used).toBe(3);
      await call("DELETE", `/allocations/${consumer}`);
      await same("unclaimed");
      gen = (await call("GET", `/resource_providers/${rps[1]}`)).generation;
      await call("PUT", `/resource_providers/${rps[1]}/inventories`, { resource_provider_generation: gen, inventories: { VCPU: { total: 1 } } });
      await same("inventory shrunk");
      await call("DELETE", `/resource_providers/${rps[1]}`);
      await same("provider deleted");
    }, 120_000);
  });
}
