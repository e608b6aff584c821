// Two `berth serve` processes on one PostgreSQL or MariaDB database, each answering candidates from
// its snapshot: a write through one is in the other's candidates on the very next request, and
// random writes interleaved through both leave every answer equal to a fresh read of the database
// (an in-process app in mode "never" on the same database).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import fc from "fast-check";
import type { Hono } from "hono";
import { createDatabase, DIALECTS } from "../helpers/databases.js";
import { spawnBerth, waitUp } from "../helpers/serve.js";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { openStore, type Store } from "../../src/db/open.js";
import type { SnapshotMode } from "../../src/objects/candidates/snapshot.js";
import { at, first } from "@berth/client/common";

const VERSION = "placement 1.39";
const HEADERS = { "x-auth-token": "admin", "openstack-api-version": VERSION };

for (const dialect of DIALECTS.filter((d) => d !== "sqlite")) {
  describe(`candidates from snapshots in two berth serve processes on one database [${dialect}]`, () => {
    const children: ChildProcess[] = [];
    /** Base URL per process: [0] and [1] in mode "always", [2] in the default mode, auto. */
    const bases: string[] = [];
    let store: Store;
    let fresh: Hono;
    let drop: () => Promise<void>;

    beforeAll(async () => {
      const db = await createDatabase(dialect);
      drop = db.drop;
      // One at a time, so only the first creates the schema.
      for (const mode of ["always", "always", "auto"] satisfies SnapshotMode[]) {
        const b = await spawnBerth(`[placement_database]\nconnection = ${db.url}\nsync_on_startup = True\n`, { BERTH_CANDIDATE_SNAPSHOT: mode });
        children.push(b.child);
        await waitUp(b.base, b.child, b.log);
        bases.push(b.base);
      }
      store = openStore(db.url);
      fresh = createApp({ store, config: testConfig({ placement_database: { connection: db.url } }), candidateSnapshot: "never" });
    }, 120_000);

    afterAll(async () => {
      for (const c of children) c.kill();
      await store?.close();
      await drop?.();
    });

    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { ...HEADERS };
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    /** Status and body text, the request id blanked. */
    const candidates = async (query: string, base?: string): Promise<string> => {
      const r = base
        ? await fetch(`${base}/allocation_candidates?${query}`, { headers: HEADERS })
        : await fresh.request(`/allocation_candidates?${query}`, { headers: HEADERS });
      return `${r.status} ${(await r.text()).replace(/"request_id": ?"[^"]*"/g, '"request_id": ""')}`;
    };
    const generation = async (base: string, rp: string) => (await call(base, "GET", `/resource_providers/${rp}`)).body.generation as number;
    const must = (r: { status: number; body?: unknown }, ok: number[]) => {
      if (!ok.includes(r.status)) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
    };

    it("a write through one process is in the other's candidates on the very next request", async () => {
      const [a, b, auto] = bases as [string, string, string];
      const rp = crypto.randomUUID();
      must(await call(a, "POST", "/resource_providers", { name: `next-${rp}`, uuid: rp }), [200]);
      must(await call(a, "PUT", `/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 4 } } }), [200]);
      const used = async (base: string) => JSON.parse((await candidates("resources=VCPU:1", base)).slice(4)).provider_summaries[rp]?.resources.VCPU.used;
      // NOTE: several quiet requests first, so that the auto process answers from its snapshot too.
      for (let i = 0; i < 3; i++) for (const base of bases) expect(await used(base)).toBe(0);
      for (const [writer, reader] of [
        [a, b],
        [b, a],
        [a, auto],
        [b, auto],
      ] as const) {
        const consumer = crypto.randomUUID();
        must(
          await call(writer, "PUT", `/allocations/${consumer}`, {
            allocations: { [rp]: { resources: { VCPU: 2 } } },
            project_id: "p",
            user_id: "u",
            consumer_generation: null,
            consumer_type: "INSTANCE",
          }),
          [204],
        );
        expect(await used(reader)).toBe(2);
        expect(await used(writer)).toBe(2);
        must(await call(reader, "DELETE", `/allocations/${consumer}`), [204]);
        expect(await used(writer)).toBe(0);
        expect(await used(reader)).toBe(0);
      }
      must(
        await call(b, "PUT", `/resource_providers/${rp}/inventories`, {
          resource_provider_generation: await generation(b, rp),
          inventories: { VCPU: { total: 6 } },
        }),
        [200],
      );
      for (const base of bases)
        expect(JSON.parse((await candidates("resources=VCPU:1", base)).slice(4)).provider_summaries[rp].resources.VCPU.capacity).toBe(6);
      must(await call(a, "DELETE", `/resource_providers/${rp}/inventories`), [204]);
      for (const base of bases) expect(JSON.parse((await candidates("resources=VCPU:1", base)).slice(4)).provider_summaries[rp]).toBeUndefined();
    });

    it("claims through both processes while both rebuild their snapshots: no claim fails for it, the answers end exact", async () => {
      // NOTE: on MariaDB each rebuild takes the tables' read lock (without waiting): no claim may
      // become a deadlock victim of it (a 500), and every claim that fits succeeds.
      const rp = crypto.randomUUID();
      must(await call(first(bases), "POST", "/resource_providers", { name: `busy-${rp}`, uuid: rp }), [200]);
      must(
        await call(first(bases), "PUT", `/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 1000 } } }),
        [200],
      );
      const CLAIMS = 120;
      let next = 0;
      const statuses: number[] = [];
      const claimer = async (i: number) => {
        while (next < CLAIMS) {
          next++;
          const r = await call(at(bases, i % 2), "PUT", `/allocations/${crypto.randomUUID()}`, {
            allocations: { [rp]: { resources: { VCPU: 1 } } },
            project_id: "p",
            user_id: "u",
            consumer_generation: null,
            consumer_type: "INSTANCE",
          });
          statuses.push(r.status);
        }
      };
      let reading = true;
      const reader = async (i: number) => {
        while (reading) expect((await candidates("resources=VCPU:1", bases[i % 3])).slice(0, 3)).toBe("200");
      };
      const readers = [0, 1, 2].map(reader);
      await Promise.all(Array.from({ length: 8 }, (_, i) => claimer(i)));
      reading = false;
      await Promise.all(readers);
      expect(statuses.filter((s) => s !== 204)).toEqual([]);
      for (const base of bases) {
        const body = JSON.parse((await candidates("resources=VCPU:1", base)).slice(4));
        expect(body.provider_summaries[rp].resources.VCPU.used).toBe(CLAIMS);
      }
      expect(await candidates("resources=VCPU:1", bases[0])).toBe(await candidates("resources=VCPU:1"));
    }, 120_000);

    it("random writes through both processes: every answer is a fresh read's", async () => {
      type Write =
        | { kind: "provider"; parent: number | null }
        | { kind: "inventory"; rp: number; vcpu: number; mem: number }
        | { kind: "traits"; rp: number; traits: string[] }
        | { kind: "aggregates"; rp: number; aggs: number[] }
        | { kind: "claim"; consumer: number; rp: number; vcpu: number }
        | { kind: "unclaim"; consumer: number }
        | { kind: "delete"; rp: number }
        | { kind: "rename"; rp: number }
        | { kind: "unrelated" };
      const write: fc.Arbitrary<Write> = fc.oneof(
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("provider" as const), parent: fc.option(fc.nat(), { freq: 3 }) }) },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant("inventory" as const),
            rp: fc.nat(),
            vcpu: fc.integer({ min: 0, max: 4 }),
            mem: fc.integer({ min: 0, max: 2 }),
          }),
        },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("traits" as const), rp: fc.nat(), traits: fc.subarray(["CUSTOM_SNAP_A", "CUSTOM_SNAP_B"]) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("aggregates" as const), rp: fc.nat(), aggs: fc.subarray([0, 1]) }) },
        {
          weight: 4,
          arbitrary: fc.record({ kind: fc.constant("claim" as const), consumer: fc.nat({ max: 5 }), rp: fc.nat(), vcpu: fc.integer({ min: 1, max: 3 }) }),
        },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant("unclaim" as const), consumer: fc.nat({ max: 5 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), rp: fc.nat() }) },
        // Commits that move the change token but not what a snapshot copies (its digest is unchanged).
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("rename" as const), rp: fc.nat() }) },
        { weight: 1, arbitrary: fc.constant({ kind: "unrelated" as const }) },
      );
      const step = fc.record({ write, through: fc.nat({ max: 2 }), readThrough: fc.nat({ max: 2 }), query: fc.nat() });
      // Traits are created once, through either process.
      for (const t of ["CUSTOM_SNAP_A", "CUSTOM_SNAP_B"]) must(await call(first(bases), "PUT", `/traits/${t}`), [201, 204]);
      let runs = 0;
      /** Comparisons whose answer had candidates (two empty answers agree whatever the snapshots hold). */
      let withCandidates = 0;
      const compare = async (label: unknown, q: string, base: string) => {
        const want = await candidates(q);
        expect({ label, got: await candidates(q, base) }).toEqual({ label, got: want });
        if (/"allocation_requests": ?\[\{/.test(want)) withCandidates++;
      };
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), async (steps) => {
          runs++;
          const tag = `r${runs}-${crypto.randomUUID().slice(0, 8)}`;
          const providers: string[] = [];
          // NOTE: names count every provider made (a deleted one's index would be reused).
          let made = 0;
          const aggs = [crypto.randomUUID(), crypto.randomUUID()];
          const consumers = Array.from({ length: 6 }, () => crypto.randomUUID());
          const queries = [
            "resources=VCPU:1",
            "resources=VCPU:2,MEMORY_MB:256",
            "resources=VCPU:1&required=CUSTOM_SNAP_A",
            `resources=VCPU:1&member_of=${aggs[0]}`,
            "resources_X=VCPU:1&resources_Y=MEMORY_MB:128&group_policy=none",
            "resources=VCPU:1&limit=2",
          ];
          for (const s of steps) {
            const base = at(bases, s.through);
            const w = s.write;
            const rp = providers.length ? at(providers, ("rp" in w ? w.rp : 0) % providers.length) : undefined;
            if (w.kind === "provider") {
              const uuid = crypto.randomUUID();
              const parent = w.parent !== null && providers.length ? providers[w.parent % providers.length] : undefined;
              must(
                await call(base, "POST", "/resource_providers", { name: `${tag}-${made++}`, uuid, ...(parent ? { parent_provider_uuid: parent } : {}) }),
                [200],
              );
              providers.push(uuid);
            } else if (w.kind === "unrelated") {
              await store.db
                .insertInto("projects")
                .values({ external_id: `${tag}-${crypto.randomUUID()}` })
                .execute();
            } else if (rp === undefined) {
              continue;
            } else if (w.kind === "inventory") {
              const inventories: Record<string, { total: number }> = {};
              if (w.vcpu) inventories.VCPU = { total: w.vcpu };
              if (w.mem) inventories.MEMORY_MB = { total: w.mem * 512 };
              // NOTE: an inventory in use cannot go below its usage or away (409): a lost case, not an error.
              must(
                await call(base, "PUT", `/resource_providers/${rp}/inventories`, { resource_provider_generation: await generation(base, rp), inventories }),
                [200, 409],
              );
            } else if (w.kind === "traits") {
              must(
                await call(base, "PUT", `/resource_providers/${rp}/traits`, { resource_provider_generation: await generation(base, rp), traits: w.traits }),
                [200],
              );
            } else if (w.kind === "aggregates") {
              must(
                await call(base, "PUT", `/resource_providers/${rp}/aggregates`, {
                  resource_provider_generation: await generation(base, rp),
                  aggregates: w.aggs.map((i) => at(aggs, i)),
                }),
                [200],
              );
            } else if (w.kind === "claim") {
              const c = at(consumers, w.consumer);
              const current = (await call(base, "GET", `/allocations/${c}`)).body;
              must(
                await call(base, "PUT", `/allocations/${c}`, {
                  allocations: { [rp]: { resources: { VCPU: w.vcpu } } },
                  project_id: "p",
                  user_id: "u",
                  consumer_generation: current.consumer_generation ?? null,
                  consumer_type: "INSTANCE",
                }),
                [204, 400, 409],
              );
            } else if (w.kind === "rename") {
              must(await call(base, "PUT", `/resource_providers/${rp}`, { name: `${tag}-renamed-${made++}` }), [200]);
            } else if (w.kind === "delete") {
              // NOTE: a provider with children or allocations is refused (409).
              const r = await call(base, "DELETE", `/resource_providers/${rp}`);
              must(r, [204, 409]);
              if (r.status === 204) providers.splice(providers.indexOf(rp), 1);
            }
            if (w.kind === "unclaim") must(await call(base, "DELETE", `/allocations/${at(consumers, w.consumer)}`), [204, 404]);
            const q = at(queries, s.query % queries.length);
            const label = `after ${JSON.stringify(w)} through ${s.through}, read through ${s.readThrough}: ${q}`;
            await compare(label, q, at(bases, s.readThrough));
          }
          // Every query through every process at the end.
          for (const q of queries) for (const base of bases) await compare({ q, base }, q, base);
          // Leave the database to the next run: this run's consumers and providers removed.
          for (const c of consumers) await call(first(bases), "DELETE", `/allocations/${c}`);
          for (const p of [...providers].reverse()) await call(first(bases), "DELETE", `/resource_providers/${p}`);
        }),
        { numRuns: 12 },
      );
      console.info(`candidates-multi-process [${dialect}]: ${withCandidates} comparisons with candidates`);
      expect(withCandidates).toBeGreaterThan(20);
    }, 300_000);
  });
}
