// `db sync` on a database at each earlier Placement revision: the reference's own alembic makes the
// database at that revision, data goes in, Berth upgrades it; the schema is then the head's and
// the data is all there. Unmigrated data from before Stein blocks the upgrade, as in the reference,
// until `db online_data_migrations` has run.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
import { createDatabase, describeEachDb } from "../helpers/databases.js";
import { introspect } from "../helpers/introspect.js";
import { referenceInstalled, referenceUpgrade } from "../helpers/reference-tools.js";
import type { Dialect } from "../../src/db/capabilities.js";
import { openStore, type Store } from "../../src/db/open.js";
import { currentRevision, syncSchema } from "../../src/db/sync.js";
import { INITIAL_REVISION, MigrationBlockedError, REVISIONS } from "../../src/db/migrations.js";
import { runOnlineMigrations } from "../../src/db/online-migrations.js";
import { ALEMBIC_HEAD } from "../../src/db/schema.js";
import { nowUtc } from "../../src/db/time.js";

const INCOMPLETE = { projectId: "00000000-0000-0000-0000-000000000000", userId: "00000000-0000-0000-0000-000000000000" };
const DATA_TABLES = [
  "resource_classes",
  "resource_providers",
  "inventories",
  "projects",
  "users",
  "consumers",
  "allocations",
  "traits",
  "resource_provider_traits",
  "placement_aggregates",
  "resource_provider_aggregates",
] as const;

async function database(dialect: Dialect): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect !== "sqlite") return createDatabase(dialect);
  return { url: `sqlite:///${join(mkdtempSync(join(tmpdir(), "berth-up-")), "p.sqlite")}`, drop: async () => {} };
}

/** Every row of the data tables, in the columns the initial revision has. */
async function dump(store: Store): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of DATA_TABLES) {
    const rows = (await store.db.selectFrom(t).selectAll().execute()) as Record<string, unknown>[];
    out[t] = rows
      .map((r) => {
        const { consumer_type_id: _, ...rest } = r;
        return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))));
      })
      .sort();
  }
  return out;
}

/** A little of everything, as the reference at any revision holds it. */
async function seed(store: Store): Promise<void> {
  const db = store.db;
  const now = nowUtc();
  await db.insertInto("resource_classes").values({ id: 10000, name: "CUSTOM_GOLD", created_at: now }).execute();
  await db.insertInto("resource_providers").values({ uuid: "11111111-1111-1111-1111-111111111111", name: "rp1", generation: 3, created_at: now }).execute();
  const rp1 = (await db.selectFrom("resource_providers").select("id").where("name", "=", "rp1").executeTakeFirstOrThrow()).id;
  await db.updateTable("resource_providers").set({ root_provider_id: rp1 }).where("id", "=", rp1).execute();
  await db
    .insertInto("resource_providers")
    .values({ uuid: "22222222-2222-2222-2222-222222222222", name: "rp2", generation: 1, root_provider_id: rp1, parent_provider_id: rp1, created_at: now })
    .execute();
  await db
    .insertInto("inventories")
    .values({
      resource_provider_id: rp1,
      resource_class_id: 10000,
      total: 8,
      reserved: 1,
      min_unit: 1,
      max_unit: 4,
      step_size: 1,
      allocation_ratio: 1.5,
      created_at: now,
    })
    .execute();
  await db.insertInto("projects").values({ external_id: "proj", created_at: now }).execute();
  await db.insertInto("users").values({ external_id: "user", created_at: now }).execute();
  const project = (await db.selectFrom("projects").select("id").executeTakeFirstOrThrow()).id;
  const user = (await db.selectFrom("users").select("id").executeTakeFirstOrThrow()).id;
  await db
    .insertInto("consumers")
    .values({ uuid: "33333333-3333-3333-3333-333333333333", project_id: project, user_id: user, generation: 2, created_at: now })
    .execute();
  await db
    .insertInto("allocations")
    .values({ resource_provider_id: rp1, consumer_id: "33333333-3333-3333-3333-333333333333", resource_class_id: 10000, used: 2, created_at: now })
    .execute();
  await db.insertInto("traits").values({ name: "CUSTOM_FAST", created_at: now }).execute();
  const trait = (await db.selectFrom("traits").select("id").executeTakeFirstOrThrow()).id;
  await db.insertInto("resource_provider_traits").values({ trait_id: trait, resource_provider_id: rp1, created_at: now }).execute();
  await db.insertInto("placement_aggregates").values({ uuid: "44444444-4444-4444-4444-444444444444", created_at: now }).execute();
  const agg = (await db.selectFrom("placement_aggregates").select("id").executeTakeFirstOrThrow()).id;
  await db.insertInto("resource_provider_aggregates").values({ resource_provider_id: rp1, aggregate_id: agg, created_at: now }).execute();
}

describeEachDb("db sync from an earlier revision", (dialect) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  async function at(revision: string): Promise<Store> {
    const db = await database(dialect);
    await referenceUpgrade(db.url, revision);
    const store = openStore(db.url);
    cleanup.push(async () => {
      await store.close();
      await db.drop();
    });
    expect(await currentRevision(store)).toBe(revision);
    return store;
  }

  for (const revision of REVISIONS.slice(0, -1)) {
    it.skipIf(!referenceInstalled)(
      `upgrades ${revision} to the head, keeping the data`,
      async () => {
        const store = await at(revision);
        await seed(store);
        const before = await dump(store);
        const r = await syncSchema(store);
        expect(r).toEqual({ created: false, revision: ALEMBIC_HEAD, upgraded: REVISIONS.slice(REVISIONS.indexOf(revision) + 1) });
        expect(await currentRevision(store)).toBe(ALEMBIC_HEAD);
        const expected = JSON.parse(readFileSync(new URL(`../fixtures/reference-schema/${dialect}.json`, import.meta.url), "utf8"));
        const actual = await introspect(store.db, dialect);
        expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
        for (const table of Object.keys(expected)) expect({ table, ...actual[table] }).toEqual({ table, ...expected[table] });
        expect(await dump(store)).toEqual(before);
        const consumers = await store.db.selectFrom("consumers").select("consumer_type_id").execute();
        expect(consumers).toEqual([{ consumer_type_id: null }]);
        // The new table works, foreign key included.
        await store.db.insertInto("consumer_types").values({ name: "INSTANCE", created_at: nowUtc() }).execute();
        expect(await syncSchema(store)).toEqual({ created: false, revision: ALEMBIC_HEAD, upgraded: [] });
      },
      120_000,
    );
  }

  it.skipIf(!referenceInstalled)(
    "stops on data from before Stein until the online data migrations ran, as the reference",
    async () => {
      const store = await at(INITIAL_REVISION);
      const now = nowUtc();
      await store.db
        .insertInto("resource_providers")
        .values({ uuid: "55555555-5555-5555-5555-555555555555", name: "old", generation: 0, created_at: now })
        .execute();
      const rp = (await store.db.selectFrom("resource_providers").select("id").executeTakeFirstOrThrow()).id;
      await store.db.insertInto("resource_classes").values({ id: 10000, name: "CUSTOM_X", created_at: now }).execute();
      for (const consumer of ["66666666-6666-6666-6666-666666666666", "66666666-6666-6666-6666-666666666666", "77777777-7777-7777-7777-777777777777"])
        await store.db
          .insertInto("allocations")
          .values({ resource_provider_id: rp, consumer_id: consumer, resource_class_id: 10000, used: 1, created_at: now })
          .execute();

      await expect(syncSchema(store)).rejects.toThrow(MigrationBlockedError);
      await expect(syncSchema(store)).rejects.toThrow(/1 resource provider\(s\) have no root provider id/);
      expect(await currentRevision(store)).toBe(INITIAL_REVISION);

      // One row: the roots only; the next step is then the one that stops.
      const one = await runOnlineMigrations(store, 1, true, INCOMPLETE);
      expect(one.totals).toEqual([{ name: "set_root_provider_ids", found: 1, done: 1 }]);
      await expect(syncSchema(store)).rejects.toThrow(/2 consumer\(s\) with allocations have no consumers record/);
      expect(await currentRevision(store)).toBe("611cd6dffd7b");

      const rest = await runOnlineMigrations(store, 50, false, INCOMPLETE);
      expect(rest.totals).toEqual([
        { name: "set_root_provider_ids", found: 0, done: 0 },
        { name: "create_incomplete_consumers", found: 2, done: 2 },
      ]);
      expect((await syncSchema(store)).upgraded).toEqual(["b5c396305c25", ALEMBIC_HEAD]);
      const root = await store.db.selectFrom("resource_providers").select(["id", "root_provider_id"]).executeTakeFirstOrThrow();
      expect(root.root_provider_id).toBe(root.id);
      const consumers = await store.db
        .selectFrom("consumers")
        .innerJoin("projects", "projects.id", "consumers.project_id")
        .innerJoin("users", "users.id", "consumers.user_id")
        .select(["consumers.uuid", "projects.external_id as project", "users.external_id as user", "consumers.generation"])
        .orderBy("consumers.uuid")
        .execute();
      expect(consumers).toEqual([
        { uuid: "66666666-6666-6666-6666-666666666666", project: INCOMPLETE.projectId, user: INCOMPLETE.userId, generation: 0 },
        { uuid: "77777777-7777-7777-7777-777777777777", project: INCOMPLETE.projectId, user: INCOMPLETE.userId, generation: 0 },
      ]);
    },
    120_000,
  );
});
