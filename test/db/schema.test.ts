// `berth db sync` creates exactly the reference's schema head, on every database.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDb, createDatabase } from "../helpers/databases.js";
import { introspect } from "../helpers/introspect.js";
import { openStore, type Store } from "../../src/db/open.js";
import { currentRevision, syncSchema, syncStandardNames } from "../../src/db/sync.js";
import { ALEMBIC_HEAD } from "../../src/db/schema.js";
import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from "../../src/db/standard-names.js";

describeEachDb("db sync", (dialect) => {
  let store: Store;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createDatabase(dialect);
    drop = db.drop;
    store = openStore(db.url);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  it("reports no revision on an empty database", async () => {
    expect(await currentRevision(store)).toBeUndefined();
  });

  it("creates the reference's schema head", async () => {
    expect(await syncSchema(store)).toEqual({ created: true, revision: ALEMBIC_HEAD, upgraded: [] });
    const expected = JSON.parse(readFileSync(new URL(`../fixtures/reference-schema/${dialect}.json`, import.meta.url), "utf8"));
    const actual = await introspect(store.db, dialect);
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const table of Object.keys(expected)) expect({ table, ...actual[table] }).toEqual({ table, ...expected[table] });
    expect(await currentRevision(store)).toBe(ALEMBIC_HEAD);
  });

  it("is idempotent and syncs the standard names with the reference's ids", async () => {
    expect(await syncSchema(store)).toEqual({ created: false, revision: ALEMBIC_HEAD, upgraded: [] });
    await syncStandardNames(store);
    await syncStandardNames(store);
    const classes = await store.db.selectFrom("resource_classes").select(["id", "name"]).orderBy("id").execute();
    expect(classes.map((c) => [c.id, c.name])).toEqual(STANDARD_RESOURCE_CLASSES.map((n, i) => [i, n]));
    const traits = await store.db.selectFrom("traits").select("name").execute();
    expect(traits.map((t) => t.name).sort()).toEqual([...STANDARD_TRAITS].sort());
  });
});
