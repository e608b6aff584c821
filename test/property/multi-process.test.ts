// Property: two `berth serve` processes on one PostgreSQL or MariaDB database, hammered with
// concurrent claims through both, keep every invariant (checked in the database afterwards).
import { afterAll, beforeAll, describe, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { createDatabase, DIALECTS } from "../helpers/databases.js";
import { freePort, waitUp } from "../helpers/serve.js";
import { openStore, type Store } from "../../src/db/open.js";
import { checkInvariants, INVENTORY, oneOpPerConsumer, opArb, runBatch, type ConsumerState, type Op, type Sent } from "./allocation-invariants.js";
import { at } from "@berth/client/common";

const CONSUMERS = 40;
const PROCESSES = 2;

const multi = DIALECTS.filter((d) => d !== "sqlite");

for (const dialect of multi) {
  describe(`${PROCESSES} berth serve processes on one database [${dialect}]`, () => {
    const children: ChildProcess[] = [];
    const bases: string[] = [];
    let store: Store;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const db = await createDatabase(dialect);
      drop = db.drop;
      const dir = mkdtempSync(join(tmpdir(), "berth-mp-"));
      const conf = join(dir, "placement.conf");
      writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${db.url}\nsync_on_startup = True\n`);
      // One at a time, so only the first creates the schema.
      for (let i = 0; i < PROCESSES; i++) {
        const port = await freePort();
        let out = "";
        const child = spawn(process.execPath, ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port)], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout!.on("data", (d) => (out = (out + d).slice(-4000)));
        child.stderr!.on("data", (d) => (out = (out + d).slice(-4000)));
        children.push(child);
        const base = `http://127.0.0.1:${port}`;
        await waitUp(base, child, () => out);
        bases.push(base);
      }
      store = openStore(db.url);
    }, 120_000);

    afterAll(async () => {
      for (const c of children) c.kill();
      await store?.close();
      await drop?.();
    });

    let turn = 0;
    const call = async (method: string, path: string, body?: unknown) => {
      const base = at(bases, turn++ % bases.length);
      const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28" };
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    const send = async (s: Sent) => {
      const r = await call(s.method, s.path, s.body);
      return { status: r.status, detail: r.body?.errors?.[0]?.detail };
    };
    const get = async (path: string) => (await call("GET", path)).body;

    async function property(providerCount: number) {
      const names = Array.from({ length: providerCount }, (_, i) => `rp${i}`);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(opArb(names, CONSUMERS), { minLength: 30, maxLength: 60 }), { minLength: 3, maxLength: 5 }), async (batches) => {
          const providers = names.map(() => crypto.randomUUID());
          for (const rp of providers) {
            await call("POST", "/resource_providers", { name: `mp-${rp}`, uuid: rp });
            const inv = await call("PUT", `/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: INVENTORY });
            if (inv.status !== 200) throw new Error(JSON.stringify(inv.body));
          }
          const real = (op: Op): Op =>
            op.kind === "put"
              ? { ...op, allocations: Object.fromEntries(Object.entries(op.allocations).map(([k, v]) => [at(providers, Number(k.slice(2))), v])) }
              : op;
          const uuids = Array.from({ length: CONSUMERS }, () => crypto.randomUUID());
          const model = new Map<number, ConsumerState>();
          // Setting the inventory bumped each generation once.
          const generations = new Map(providers.map((p) => [p, 1]));
          for (const batch of batches) {
            await runBatch(oneOpPerConsumer(batch).map(real), uuids, model, generations, send);
            await checkInvariants(store.db, providers, uuids, model, generations, get);
          }
        }),
        { numRuns: 3 },
      );
    }

    it("holds with both processes writing to one provider", () => property(1));
    it("holds with both processes writing to several providers", () => property(3));
  });
}
