// The candidate search over a snapshot (src/objects/candidates/snapshot.ts) answers exactly what the
// database reads answer, on every database: the same bytes for every scenario query, at every
// microversion, with both generation strategies, and on random deployments; and a snapshot is never
// used once the database has changed, whether this process or another connection wrote.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { prepare } from "../../src/server.js";
import { COPY_STATEMENTS, DIGESTED, quietNeeded, Snapshots, type SnapshotMode } from "../../src/objects/candidates/snapshot.js";
import { copyReader, NoToken } from "../../src/objects/candidates/snapshot-read.js";
import { seedProviders, type ProviderSpec } from "../helpers/seed-candidates.js";
import { createDatabase, describeEachDb, DIALECTS } from "../helpers/databases.js";
import { openStore, type Store } from "../../src/db/open.js";
import { SCENARIOS } from "../fixtures/candidates/scenarios.js";
import { subst } from "../fixtures/candidates/normalize.js";
import { bodyOptions, parseRequest } from "../../src/handlers/allocation-candidate.js";
import { parseVersionHeader } from "../../src/http/microversion.js";
import { findCandidates } from "../../src/objects/candidates/search.js";
import { responseBody } from "../../src/http/candidate-body.js";
import { at, entry, first } from "@berth/client/common";

const HEADERS = { "x-auth-token": "admin" };

async function reset(store: Store): Promise<void> {
  const db = store.db;
  for (const t of ["allocations", "inventories", "resource_provider_traits", "resource_provider_aggregates", "placement_aggregates"] as const) {
    await db.deleteFrom(t).execute();
  }
  await db.updateTable("resource_providers").set({ parent_provider_id: null, root_provider_id: null }).execute();
  await db.deleteFrom("resource_providers").execute();
}

/** Status and body, with the request id (which differs between any two requests) blanked. */
async function answer(app: Hono, version: string, query: string): Promise<string> {
  const r = await app.request(`/allocation_candidates?${query}`, { headers: { ...HEADERS, "openstack-api-version": `placement ${version}` } });
  const text = await r.text();
  return `${r.status} ${text.replace(/"request_id": ?"[^"]*"/g, '"request_id": ""')}`;
}

describeEachDb("candidates from a snapshot answer as the database reads do", (dialect) => {
  let store: Store;
  let drop: () => Promise<void>;
  const apps: Record<string, Record<SnapshotMode, Hono>> = {};
  // NOTE: fewer random runs on the server databases, whose writes cost more.
  const runs = dialect === "sqlite" ? 40 : 15;
  beforeAll(async () => {
    const db = await createDatabase(dialect);
    drop = db.drop;
    const config = testConfig({ placement_database: { connection: db.url, sync_on_startup: "true" } });
    ({ store } = await prepare(config));
    for (const strategy of ["depth-first", "breadth-first"]) {
      const c = testConfig({
        placement_database: { connection: db.url, sync_on_startup: "true" },
        placement: { allocation_candidates_generation_strategy: strategy },
      });
      apps[strategy] = {
        never: createApp({ store, config: c, candidateSnapshot: "never" }),
        always: createApp({ store, config: c, candidateSnapshot: "always" }),
        auto: createApp({ store, config: c, candidateSnapshot: "auto" }),
      };
    }
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  for (const sc of SCENARIOS) {
    it(`${sc.name}: every query, every version, both strategies`, async () => {
      await reset(store);
      const seeded = await seedProviders(store.db, sc.providers);
      for (const [strategy, app] of Object.entries(apps)) {
        for (const [version, raw] of sc.queries) {
          for (const q of [subst(raw, seeded), subst(raw, seeded).replace(/&?limit=\d+/, "") + "&limit=1"]) {
            const label = `${sc.name} ${strategy} @${version} ${q}`;
            const want = await answer(app.never, version, q);
            expect({ label, got: await answer(app.always, version, q) }).toEqual({ label, got: want });
          }
        }
      }
    });
  }

  it("candidates written straight from their slots read as written through their maps", async () => {
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    let compared = 0;
    for (const sc of SCENARIOS) {
      await reset(store);
      const seeded = await seedProviders(store.db, sc.providers);
      for (const [version, raw] of sc.queries) {
        const v = parseVersionHeader(`placement ${version}`);
        let req: ReturnType<typeof parseRequest>;
        try {
          req = parseRequest(new URLSearchParams(subst(raw, seeded)), v);
        } catch {
          continue;
        }
        const found = await findCandidates(store.db, req, { maxCandidates: -1, randomize: false, strategy: "depth-first" }).catch(() => undefined);
        if (!found) continue;
        const o = bodyOptions(v, req, found);
        expect({ raw, body: decode(responseBody(found, o)) }).toEqual({ raw, body: decode(responseBody(found, { ...o, direct: false })) });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  });

  it("a large body (kept summaries for hundreds of providers) reads whole, the same bytes either way", async () => {
    await reset(store);
    const seeded = await seedProviders(
      store.db,
      Array.from({ length: 400 }, (_, i) => ({ name: `cn${i}`, inv: { VCPU: 8, MEMORY_MB: 4096 }, traits: i % 2 ? ["CUSTOM_A"] : [] })),
    );
    const app = entry(apps, "depth-first");
    for (const mode of ["never", "always", "always"] as const) {
      const r = await app[mode].request("/allocation_candidates?resources=VCPU:1,MEMORY_MB:64", {
        headers: { ...HEADERS, "openstack-api-version": "placement 1.39" },
      });
      const bytes = Buffer.from(await r.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(2 * 65_536);
      expect(r.headers.get("content-length")).toBe(String(bytes.length));
      const body = JSON.parse(bytes.toString("utf8"));
      expect(body.allocation_requests).toHaveLength(400);
      expect(Object.keys(body.provider_summaries).sort()).toEqual([...seeded.uuid.values()].sort());
    }
    expect(await answer(app.always, "1.39", "resources=VCPU:1,MEMORY_MB:64")).toBe(await answer(app.never, "1.39", "resources=VCPU:1,MEMORY_MB:64"));
  });

  it("random deployments and requests", async () => {
    const CLASSES = ["VCPU", "MEMORY_MB", "DISK_GB"];
    const TRAITS = ["CUSTOM_A", "CUSTOM_B", "MISC_SHARES_VIA_AGGREGATE"];
    const AGGS = ["G1", "G2"];
    const provider = fc.record({
      parent: fc.option(fc.nat(), { freq: 2 }),
      inv: fc.dictionary(fc.constantFrom(...CLASSES), fc.record({ total: fc.integer({ min: 1, max: 4 }), max_unit: fc.integer({ min: 1, max: 4 }) }), {
        maxKeys: 2,
      }),
      used: fc.dictionary(fc.constantFrom(...CLASSES), fc.integer({ min: 0, max: 2 }), { maxKeys: 1 }),
      traits: fc.subarray(TRAITS),
      aggs: fc.subarray(AGGS),
    });
    const group = fc.record({
      resources: fc.dictionary(fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 2 }), { maxKeys: 2 }),
      required: fc.option(fc.constantFrom("CUSTOM_A", "!CUSTOM_B", "in:CUSTOM_A,CUSTOM_B"), { freq: 3 }),
      memberOf: fc.option(fc.constantFrom("G1", "!G2", "in:G1,G2"), { freq: 3 }),
    });
    const request = fc.record({
      unsuffixed: fc.option(group, { freq: 2 }),
      granular: fc.array(group, { maxLength: 2 }),
      isolate: fc.boolean(),
      sameSubtree: fc.boolean(),
      rootRequired: fc.option(fc.constantFrom("CUSTOM_A", "!CUSTOM_B"), { freq: 4 }),
      limit: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
    });
    const seededAggs = new Map<string, string>();
    // NOTE: an aggregate no provider is in still gets a uuid (an unknown aggregate).
    const agg = (s: string) => s.replace(/G\d/g, (g) => seededAggs.get(g) ?? "00000000-0000-4000-8000-00000000000" + g[1]);
    const toQuery = (r: Of<typeof request>): string | undefined => {
      const parts: string[] = [];
      const add = (suffix: string, g: Of<typeof group>) => {
        const res = Object.entries(g.resources)
          .map(([rc, n]) => `${rc}:${n}`)
          .join(",");
        if (res) parts.push(`resources${suffix}=${res}`);
        if (g.required) parts.push(`required${suffix}=${g.required}`);
        if (g.memberOf) parts.push(`member_of${suffix}=${agg(g.memberOf)}`);
      };
      if (r.unsuffixed && Object.keys(r.unsuffixed.resources).length) add("", r.unsuffixed);
      r.granular.forEach((g, i) => add(`_${i}`, g));
      if (!parts.some((p) => p.startsWith("resources"))) return undefined;
      if (r.granular.length > 1) parts.push(`group_policy=${r.isolate ? "isolate" : "none"}`);
      if (r.sameSubtree && r.granular.length > 1) parts.push("same_subtree=_0,_1");
      if (r.rootRequired) parts.push(`root_required=${r.rootRequired}`);
      if (r.limit) parts.push(`limit=${r.limit}`);
      return parts.join("&");
    };
    await fc.assert(
      fc.asyncProperty(fc.array(provider, { minLength: 1, maxLength: 8 }), fc.array(request, { minLength: 1, maxLength: 6 }), async (ps, reqs) => {
        await reset(store);
        const specs: ProviderSpec[] = ps.map((p, i) => ({
          name: `p${i}`,
          parent: p.parent === null || i === 0 ? undefined : `p${p.parent % i}`,
          inv: Object.fromEntries(Object.entries(p.inv).map(([rc, v]) => [rc, { total: v.total, max_unit: v.max_unit }])),
          used: Object.fromEntries(Object.entries(p.used).filter(([rc, n]) => rc in p.inv && n <= entry(p.inv, rc).total)),
          traits: p.traits,
          aggs: p.aggs,
        }));
        const seeded = await seedProviders(store.db, specs);
        seededAggs.clear();
        for (const [k, v] of seeded.agg) seededAggs.set(k, v);
        // NOTE: each request twice: the second time its pages of roots come from the snapshot's
        // kept pages (as may an earlier request's with the same checks).
        for (const r of [...reqs, ...reqs]) {
          const q = toQuery(r);
          if (!q) continue;
          for (const [strategy, app] of Object.entries(apps)) {
            const label = `${strategy} ${q}`;
            const want = await answer(app.never, "1.39", q);
            expect({ label, got: await answer(app.always, "1.39", q) }).toEqual({ label, got: want });
          }
        }
      }),
      { numRuns: runs },
    );
  }, 300_000);

  it("sharing providers, one inside another tree, answer in one order whatever their uuids", async () => {
    // NOTE: found by the random test on PostgreSQL and MariaDB: the database read listed each
    // anchor's sharing providers in the order the database returned its rows, which follows the
    // uuids there; the snapshot lists them by id.
    for (let i = 0; i < 8; i++) {
      await reset(store);
      await seedProviders(store.db, [
        { name: "cn", inv: { DISK_GB: 1 }, aggs: ["G1"] },
        { name: "child-share", parent: "cn", inv: { DISK_GB: 1 }, traits: ["MISC_SHARES_VIA_AGGREGATE"], aggs: ["G2"] },
        { name: "empty", aggs: ["G2"] },
        { name: "share", inv: { DISK_GB: 1 }, traits: ["CUSTOM_A", "MISC_SHARES_VIA_AGGREGATE"], aggs: ["G1", "G2"] },
      ]);
      for (const q of ["resources_0=DISK_GB:1&limit=3", "resources=DISK_GB:1"])
        for (const [strategy, app] of Object.entries(apps)) {
          const label = `${strategy} ${q}`;
          expect({ label, got: await answer(app.always, "1.39", q) }).toEqual({ label, got: await answer(app.never, "1.39", q) });
        }
    }
  });

  it("many trees of a few shapes, some copies differing in one usage, trait or aggregate", async () => {
    // NOTE: over a snapshot, trees of one shape share one walk (engine.ts, byShape); the database
    // reads walk every tree, so any difference the shape misses shows up here.
    const CLASSES = ["VCPU", "MEMORY_MB"];
    const node = fc.record({
      parent: fc.nat(),
      inv: fc.dictionary(fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 3 }), { minKeys: 1, maxKeys: 2 }),
      traits: fc.subarray(["CUSTOM_A", "CUSTOM_B"]),
      aggs: fc.subarray(["G1", "G2"]),
    });
    const shape = fc.array(node, { minLength: 1, maxLength: 4 });
    const copy = fc.record({
      shape: fc.nat(),
      change: fc.option(fc.record({ node: fc.nat(), kind: fc.constantFrom("used", "trait", "agg", "inv") }), { freq: 2 }),
    });
    const queries = [
      "resources=VCPU:1",
      "resources=VCPU:1,MEMORY_MB:1",
      "resources=VCPU:1&required=CUSTOM_A",
      "resources_X=VCPU:1&resources_Y=MEMORY_MB:1&group_policy=isolate",
      "resources_X=VCPU:1&resources_Y=MEMORY_MB:1&group_policy=none&same_subtree=_X,_Y",
      "resources_X=VCPU:1&resources_Y=VCPU:1&group_policy=isolate",
      "resources=MEMORY_MB:1&member_of=G1",
      "resources=VCPU:1&member_of=!G2&root_required=!CUSTOM_B",
      "resources=VCPU:2&limit=2",
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 3 }), fc.array(copy, { minLength: 2, maxLength: 8 }), async (shapes, copies) => {
        await reset(store);
        const specs: ProviderSpec[] = [];
        copies.forEach((c, t) => {
          const nodes = at(shapes, c.shape % shapes.length);
          const changed = c.change && c.change.node % nodes.length;
          nodes.forEach((n, i) => {
            const mine = changed === i ? c.change!.kind : undefined;
            const inv = Object.fromEntries(Object.entries(n.inv).map(([rc, total]) => [rc, mine === "inv" ? total + 1 : total]));
            specs.push({
              name: `t${t}n${i}`,
              parent: i === 0 ? undefined : `t${t}n${n.parent % i}`,
              inv,
              used: mine === "used" ? { [first(Object.keys(inv))]: 1 } : {},
              traits: mine === "trait" ? (n.traits.includes("CUSTOM_A") ? n.traits.filter((x) => x !== "CUSTOM_A") : [...n.traits, "CUSTOM_A"]) : n.traits,
              aggs: mine === "agg" ? (n.aggs.includes("G1") ? n.aggs.filter((x) => x !== "G1") : [...n.aggs, "G1"]) : n.aggs,
            });
          });
        });
        const seeded = await seedProviders(store.db, specs);
        const agg = (q: string) => q.replace(/G\d/g, (g) => seeded.agg.get(g) ?? "00000000-0000-4000-8000-00000000000" + g[1]);
        for (const raw of queries) {
          const q = agg(raw);
          for (const [strategy, app] of Object.entries(apps)) {
            for (const version of ["1.39", "1.28"]) {
              const label = `${strategy} @${version} ${q}`;
              const want = await answer(app.never, version, q);
              expect({ label, got: await answer(app.always, version, q) }).toEqual({ label, got: want });
            }
          }
        }
      }),
      { numRuns: runs },
    );
  }, 300_000);

  it("names in another case answer as the database reads do (MySQL compares strings case-blind)", async () => {
    await reset(store);
    const seeded = await seedProviders(store.db, [
      { name: "cn", inv: { VCPU: 4, MEMORY_MB: 512 }, traits: ["CUSTOM_A"], aggs: ["G1"] },
      { name: "nic", parent: "cn", inv: { SRIOV_NET_VF: 2 }, traits: ["CUSTOM_B"], aggs: ["G2"] },
      { name: "other", inv: { VCPU: 2 }, aggs: ["G2"] },
    ]);
    const G1 = seeded.agg.get("G1")!;
    const G2 = seeded.agg.get("G2")!;
    const cn = seeded.uuid.get("cn")!;
    const queries = [
      `resources=VCPU:1&member_of=${G1.toUpperCase()}`,
      `resources=VCPU:1&member_of=in:${G1.toUpperCase()},${G2}`,
      `resources=VCPU:1&member_of=!${G2.toUpperCase()}`,
      `resources=VCPU:1&in_tree=${cn.toUpperCase()}`,
      `resources_X=VCPU:1&in_tree_X=${cn.toUpperCase()}&resources_Y=SRIOV_NET_VF:1&group_policy=none`,
      "resources=vcpu:1",
      "resources=VCPU:1&required=custom_a",
      "resources=VCPU:1&required=!custom_b",
      "resources=VCPU:1&root_required=custom_a",
      `resources=VCPU:1&member_of=${G1.toUpperCase()}&required=CUSTOM_NOPE`,
      `resources=VCPU:1&member_of=${G1}&required=CUSTOM_NOPE`,
      `resources_X=VCPU:1&member_of_X=${G2.toUpperCase()}&required_X=CUSTOM_NOPE&resources_Y=VCPU:1&group_policy=none`,
    ];
    for (const q of queries) {
      for (const [strategy, app] of Object.entries(apps)) {
        for (const version of ["1.39", "1.21"]) {
          const label = `${strategy} @${version} ${q}`;
          const want = await answer(app.never, version, q);
          expect({ label, got: await answer(app.always, version, q) }).toEqual({ label, got: want });
        }
      }
    }
  });

  it("the digest covers every table and column a copy reads", () => {
    for (const statement of COPY_STATEMENTS) {
      const [, cols, table] = /^SELECT (.*?) FROM (\w+)/.exec(statement)!;
      const read = cols!.split(", ").map((c) => c.replace(/^sum\((\w+)\)$/, "$1"));
      const covered = DIGESTED.find((d) => d.table === table)?.cols ?? [];
      expect({ table, missing: read.filter((c) => !covered.includes(c)) }).toEqual({ table, missing: [] });
    }
  });

  it("auto: a large deployment's snapshot waits for more quiet requests, one per 10 ms its last build took", () => {
    expect([0, 4, 10, 11, 2000].map(quietNeeded)).toEqual([1, 1, 1, 2, 200]);
  });

  it("auto: a snapshot is read once the database was quiet, and dropped after any write", async () => {
    await reset(store);
    const seeded = await seedProviders(store.db, [{ name: "cn", inv: { VCPU: 4 } }]);
    const app = entry(apps, "depth-first").auto;
    const used = async () =>
      JSON.parse((await answer(app, "1.39", "resources=VCPU:1")).slice(4)).provider_summaries[seeded.uuid.get("cn")!].resources.VCPU.used;
    expect(await used()).toBe(0);
    expect(await used()).toBe(0);
    expect(await used()).toBe(0);
    const consumer = crypto.randomUUID();
    const put = await app.request(`/allocations/${consumer}`, {
      method: "PUT",
      headers: { ...HEADERS, "content-type": "application/json", "openstack-api-version": "placement 1.39" },
      body: JSON.stringify({
        allocations: { [seeded.uuid.get("cn")!]: { resources: { VCPU: 3 } } },
        project_id: "p",
        user_id: "u",
        consumer_generation: null,
        consumer_type: "INSTANCE",
      }),
    });
    expect(put.status).toBe(204);
    expect(await used()).toBe(3);
    expect(await used()).toBe(3);
    const del = await app.request(`/allocations/${consumer}`, { method: "DELETE", headers: { ...HEADERS, "openstack-api-version": "placement 1.39" } });
    expect(del.status).toBe(204);
    expect(await used()).toBe(0);
  });
});

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

describe("a snapshot sees other connections' commits [sqlite file]", () => {
  let dir: string;
  let store: Store;
  let app: Hono;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-snap-"));
    const config = testConfig({ placement_database: { connection: `sqlite:///${join(dir, "db.sqlite")}`, sync_on_startup: "true" } });
    ({ store } = await prepare(config));
    app = createApp({ store, config, candidateSnapshot: "always" });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("another process's write is seen by the next request", async () => {
    const seeded = await seedProviders(store.db, [{ name: "cn", inv: { VCPU: 4 } }]);
    const total = async () => {
      const body = JSON.parse((await answer(app, "1.39", "resources=VCPU:1")).slice(4));
      return body.provider_summaries[seeded.uuid.get("cn")!]?.resources.VCPU.capacity;
    };
    expect(await total()).toBe(4);
    expect(await total()).toBe(4);
    const other = new SqliteDatabase(join(dir, "db.sqlite"));
    other.prepare("UPDATE inventories SET total = 6 WHERE resource_provider_id = ?").run(seeded.id.get("cn")!);
    expect(await total()).toBe(6);
    other.prepare("UPDATE inventories SET total = 2 WHERE resource_provider_id = ?").run(seeded.id.get("cn")!);
    other.close();
    expect(await total()).toBe(2);
  });

  it("auto: with a commit before every request (never quiet), rebuilds once the database reads cost as much as a build", async () => {
    const seeded = await seedProviders(
      store.db,
      Array.from({ length: 50 }, (_, i) => ({ name: `busy-${i}`, inv: { VCPU: 4 } })),
    );
    let builds = 0;
    const reader = copyReader(store)!;
    const snapshots = new Snapshots(reader, "auto", () => builds++);
    const other = new SqliteDatabase(join(dir, "db.sqlite"));
    const touch = other.prepare("UPDATE resource_providers SET updated_at = ? WHERE id = ?");
    try {
      // The first build happens after one quiet request; from then on nothing is ever quiet.
      expect(await snapshots.get()).toBeUndefined();
      expect(await snapshots.get()).toBeDefined();
      expect(builds).toBe(1);
      let answered = 0;
      for (let i = 0; i < 400; i++) {
        touch.run(`2026-01-01 00:00:${String(i % 60).padStart(2, "0")}`, seeded.id.get("busy-0")!);
        const snap = await snapshots.get();
        if (snap) {
          answered++;
          // Only ever the copy at the request's own token.
          expect(snap.token).toBe(await reader.token());
        } else snapshots.readCost(1);
      }
      // Reads of 1 ms each pay for a rebuild every (build time) requests: some, never every one.
      expect(builds).toBeGreaterThan(1);
      expect(answered).toBe(builds - 1);
      expect(answered).toBeLessThan(400);
    } finally {
      other.close();
    }
  });
});

for (const dialect of DIALECTS.filter((d) => d !== "sqlite")) {
  describe(`a snapshot sees other connections' commits [${dialect}]`, () => {
    let store: Store;
    let other: Store;
    let app: Hono;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const db = await createDatabase(dialect);
      drop = db.drop;
      const config = testConfig({ placement_database: { connection: db.url, sync_on_startup: "true" } });
      ({ store } = await prepare(config));
      app = createApp({ store, config, candidateSnapshot: "always" });
      other = openStore(db.url);
    });
    afterAll(async () => {
      await store?.close();
      await other?.close();
      await drop?.();
    });

    const capacity = async (uuid: string) => {
      const body = JSON.parse((await answer(app, "1.39", "resources=VCPU:1")).slice(4));
      return body.provider_summaries[uuid]?.resources.VCPU.capacity;
    };

    it("another connection's write is seen by the next request, in or out of a transaction", async () => {
      const seeded = await seedProviders(store.db, [{ name: "cn", inv: { VCPU: 4 } }]);
      const cn = seeded.uuid.get("cn")!;
      const id = seeded.id.get("cn")!;
      expect(await capacity(cn)).toBe(4);
      expect(await capacity(cn)).toBe(4);
      for (const total of [6, 2, 5]) {
        await other.db.updateTable("inventories").set({ total }).where("resource_provider_id", "=", id).execute();
        expect(await capacity(cn)).toBe(total);
      }
      await other.db.transaction().execute(async (trx) => {
        await trx.updateTable("inventories").set({ total: 7 }).where("resource_provider_id", "=", id).execute();
        await trx
          .insertInto("resource_providers")
          .values({ uuid: crypto.randomUUID(), name: "late", generation: 0, created_at: new Date(), updated_at: new Date() })
          .execute();
      });
      expect(await capacity(cn)).toBe(7);
      await other.db.deleteFrom("inventories").where("resource_provider_id", "=", id).execute();
      expect(await capacity(cn)).toBeUndefined();
    });

    it("a transaction open while a copy is read, committed afterwards, is seen by the next request", async () => {
      const seeded = await seedProviders(store.db, [{ name: "cn2", inv: { VCPU: 3 } }]);
      const cn = seeded.uuid.get("cn2")!;
      const id = seeded.id.get("cn2")!;
      expect(await capacity(cn)).toBe(3);
      // NOTE: on MariaDB the copy finds the writer in flight (the tables' read lock is not free) and
      // the request reads the database; on PostgreSQL the copy is read at once, without the writer.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let written!: () => void;
      const wrote = new Promise<void>((r) => (written = r));
      const writer = other.db.transaction().execute(async (trx) => {
        await trx.updateTable("inventories").set({ total: 9 }).where("resource_provider_id", "=", id).execute();
        written();
        await held;
      });
      await wrote;
      const during = capacity(cn);
      await new Promise((r) => setTimeout(r, 200));
      release();
      await writer;
      expect([3, 9]).toContain(await during);
      expect(await capacity(cn)).toBe(9);
    });

    it("auto without a change token (as on a Galera node): built once, then kept while its digest holds; under writes rebuilt only once reads cost a build", async () => {
      const seeded = await seedProviders(store.db, [{ name: "tl", inv: { VCPU: 4 } }]);
      const reader = copyReader(store)!;
      // NOTE: this database's own reader, with its token withheld as a Galera node's is.
      const tokenless = { ...reader, token: () => Promise.reject(new NoToken("withheld")) };
      let builds = 0;
      const snapshots = new Snapshots(tokenless, "auto", () => builds++);
      expect(await snapshots.get()).toBeUndefined();
      const first = await snapshots.get();
      expect(first).toBeDefined();
      for (let i = 0; i < 5; i++) expect((await snapshots.get())?.providers).toBe(first!.providers);
      expect(builds).toBe(1);
      let answered = 0;
      for (let i = 0; i < 60; i++) {
        await other.db
          .updateTable("inventories")
          .set({ reserved: 1 + (i % 2) })
          .where("resource_provider_id", "=", seeded.id.get("tl")!)
          .execute();
        const snap = await snapshots.get();
        if (snap) {
          answered++;
          expect(snap.byUuid.get(seeded.uuid.get("tl")!)!.inv.get("VCPU")!.reserved).toBe(1 + (i % 2));
        } else snapshots.readCost(1);
      }
      expect(builds).toBeGreaterThan(1);
      expect(answered).toBe(builds - 1);
    });

    it("a moved token with the placement tables unchanged keeps the snapshot (no rebuild); any change to what a copy reads rebuilds it", async () => {
      const seeded = await seedProviders(store.db, [
        { name: "dg-a", inv: { VCPU: 4 }, traits: ["CUSTOM_DG"], aggs: ["dg-agg"] },
        { name: "dg-b", inv: { VCPU: 2 } },
      ]);
      const a = seeded.id.get("dg-a")!;
      const b = seeded.id.get("dg-b")!;
      let builds = 0;
      const reader = copyReader(store)!;
      const snapshots = new Snapshots(reader, "always", () => builds++);
      const side = await createDatabase(dialect);
      const sideStore = openStore(side.url);
      try {
        const first = await snapshots.get();
        expect(first).toBeDefined();
        expect(builds).toBe(1);
        const raw = (q: string) => sql.raw(q).execute(other.db);
        const now = dialect === "postgres" ? "now()" : "NOW()";
        // Commits that move the (server-wide) token but not what a copy reads.
        const unchanged: [string, () => Promise<unknown>][] = [
          ["a commit in another database of the server", () => sql.raw("CREATE TABLE side_t (x int)").execute(sideStore.db)],
          [
            "a provider renamed, its generation bumped",
            () => raw(`UPDATE resource_providers SET name = 'dg-renamed', generation = generation + 1, updated_at = ${now} WHERE id = ${a}`),
          ],
          [
            "a project and a user created",
            () => raw("INSERT INTO projects (external_id) VALUES ('dg-project')").then(() => raw("INSERT INTO users (external_id) VALUES ('dg-user')")),
          ],
        ];
        for (const [what, write] of unchanged) {
          await write();
          const snap = await snapshots.get();
          expect({ what, same: snap?.providers === first!.providers, builds }).toEqual({ what, same: true, builds: 1 });
          expect(snap!.token).not.toBe(first!.token);
        }
        // One change per table a copy reads, none of them moving a generation.
        const changed: [string, () => Promise<unknown>][] = [
          [
            "resource_providers: a new provider",
            () => raw(`INSERT INTO resource_providers (uuid, name, generation) VALUES ('${crypto.randomUUID()}', 'dg-new', 0)`),
          ],
          ["resource_providers: a parent set", () => raw(`UPDATE resource_providers SET parent_provider_id = ${a} WHERE id = ${b}`)],
          [
            "resource_classes: a class renamed",
            () =>
              raw("INSERT INTO resource_classes (name) VALUES ('CUSTOM_DG_X')").then(() =>
                raw("UPDATE resource_classes SET name = 'CUSTOM_DG_Y' WHERE name = 'CUSTOM_DG_X'"),
              ),
          ],
          ["traits: a trait created", () => raw("INSERT INTO traits (name) VALUES ('CUSTOM_DG_NEW')")],
          ["placement_aggregates: an aggregate created", () => raw(`INSERT INTO placement_aggregates (uuid) VALUES ('${crypto.randomUUID()}')`)],
          ["inventories: reserved changed", () => raw(`UPDATE inventories SET reserved = 1 WHERE resource_provider_id = ${a}`)],
          [
            "allocations: a claim written",
            () =>
              raw(
                `INSERT INTO allocations (resource_provider_id, consumer_id, resource_class_id, used) SELECT resource_provider_id, '${crypto.randomUUID()}', resource_class_id, 1 FROM inventories WHERE resource_provider_id = ${b}`,
              ),
          ],
          [
            "allocations: the claim moved to another consumer, usage unchanged (no rebuild needed)",
            () => raw(`UPDATE allocations SET consumer_id = '${crypto.randomUUID()}' WHERE resource_provider_id = ${b}`),
          ],
          ["allocations: the claim deleted", () => raw(`DELETE FROM allocations WHERE resource_provider_id = ${b}`)],
          ["resource_provider_traits: a trait removed", () => raw(`DELETE FROM resource_provider_traits WHERE resource_provider_id = ${a}`)],
          [
            "resource_provider_aggregates: a provider joined an aggregate",
            () =>
              raw(
                `INSERT INTO resource_provider_aggregates (resource_provider_id, aggregate_id) SELECT ${b}, id FROM placement_aggregates ORDER BY id LIMIT 1`,
              ),
          ],
        ];
        let expected = 1;
        for (const [what, write] of changed) {
          await write();
          if (!what.includes("no rebuild")) expected++;
          const snap = await snapshots.get();
          expect({ what, builds }).toEqual({ what, builds: expected });
          // What the snapshot holds is what the database holds now.
          const [[[dbUsed]]] = (await reader.copy(["SELECT coalesce(sum(used), 0) FROM allocations"])).rows as [[[unknown]]];
          const snapUsed = [...snap!.providers.values()].reduce((n, p) => n + [...p.inv.values()].reduce((m, i) => m + i.used, 0), 0);
          expect({ what, used: snapUsed }).toEqual({ what, used: Number(dbUsed) });
        }
      } finally {
        await sideStore.close();
        await side.drop();
      }
    });
  });
}
