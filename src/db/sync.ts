// `db sync`: create the reference's schema head when absent or upgrade an earlier revision to it, and
// make sure the standard resource classes and traits are present; `db stamp`.
import { sql } from "kysely";
import type { Store } from "./open.js";
import { ALEMBIC_HEAD, TABLES } from "./schema.js";
import { createTable } from "./ddl.js";
import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from "./standard-names.js";
import { nowUtc } from "./time.js";
import { REVISIONS, stepsAfter } from "./migrations.js";

export class SchemaVersionError extends Error {}

/** The alembic revision the database is at, or undefined when it has no schema yet. */
export async function currentRevision(store: Store): Promise<string | undefined> {
  const tables = await store.db.introspection.getTables();
  if (!tables.some((t) => t.name === "alembic_version")) return undefined;
  const row = await store.db.selectFrom("alembic_version").select("version_num").executeTakeFirst();
  return row?.version_num;
}

export interface SyncResult {
  created: boolean;
  revision: string;
  /** The revisions upgraded through, oldest first (empty when created or already at the head). */
  upgraded: string[];
}

/** Creates the head on an empty database, or upgrades one at an earlier revision step by step, as
 * placement-manage db sync does (each step with its alembic_version update; a blocked step stops
 * the upgrade at the revision before it). */
export async function syncSchema(store: Store): Promise<SyncResult> {
  const rev = await currentRevision(store);
  if (rev === ALEMBIC_HEAD) return { created: false, revision: rev, upgraded: [] };
  if (rev !== undefined) {
    const steps = stepsAfter(rev);
    if (!steps)
      throw new SchemaVersionError(
        `The database is at alembic revision ${rev}, which is not one of Placement's (${REVISIONS.join(", ")}); Berth knows no way from it to ${ALEMBIC_HEAD}`,
      );
    const upgraded: string[] = [];
    for (const step of steps) {
      await store.db.transaction().execute(async (trx) => {
        await step.run(trx, store.caps.dialect);
        await trx.updateTable("alembic_version").set({ version_num: step.revision }).execute();
      });
      upgraded.push(step.revision);
    }
    return { created: false, revision: ALEMBIC_HEAD, upgraded };
  }
  await store.db.transaction().execute(async (trx) => {
    for (const t of TABLES) for (const stmt of createTable(t, store.caps.dialect)) await sql.raw(stmt).execute(trx);
    await trx.insertInto("alembic_version").values({ version_num: ALEMBIC_HEAD }).execute();
  });
  return { created: true, revision: ALEMBIC_HEAD, upgraded: [] };
}

/** Sets alembic_version to `revision` without changing the schema, as placement-manage db stamp
 * (`head` and `base` as alembic reads them). */
export async function stampRevision(store: Store, revision: string): Promise<void> {
  const wanted = revision === "head" ? ALEMBIC_HEAD : revision;
  if (wanted !== "base" && !REVISIONS.includes(wanted)) throw new SchemaVersionError(`Can't locate revision identified by '${revision}'`);
  const tables = await store.db.introspection.getTables();
  await store.db.transaction().execute(async (trx) => {
    if (!tables.some((t) => t.name === "alembic_version"))
      for (const stmt of createTable(TABLES.find((t) => t.name === "alembic_version")!, store.caps.dialect)) await sql.raw(stmt).execute(trx);
    await trx.deleteFrom("alembic_version").execute();
    // NOTE: "base", as alembic's, means before the first revision: no row.
    if (wanted !== "base") await trx.insertInto("alembic_version").values({ version_num: wanted }).execute();
  });
}

/** Inserts the standard resource classes (with their fixed ids) and standard traits that are missing. */
export async function syncStandardNames(store: Store): Promise<void> {
  const { db, caps } = store;
  const now = nowUtc();
  await db.transaction().execute(async (trx) => {
    const have = new Set((await trx.selectFrom("resource_classes").select("name").where("id", "<", 10000).execute()).map((r) => r.name));
    const missing = STANDARD_RESOURCE_CLASSES.map((name, id) => ({ id, name, created_at: now })).filter((r) => !have.has(r.name));
    if (missing.length) {
      // NOTE: VCPU has id 0; MySQL would read 0 as "next auto-increment value" without this mode.
      if (caps.dialect === "mysql") await sql`SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')`.execute(trx);
      await trx.insertInto("resource_classes").values(missing).execute();
      if (caps.dialect === "mysql") await sql`SET SESSION sql_mode = REPLACE(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO', '')`.execute(trx);
    }
    const traits = new Set((await trx.selectFrom("traits").select("name").execute()).map((r) => r.name));
    const newTraits = STANDARD_TRAITS.filter((t) => !traits.has(t)).map((name) => ({ name, created_at: now }));
    for (let i = 0; i < newTraits.length; i += 500)
      await trx
        .insertInto("traits")
        .values(newTraits.slice(i, i + 500))
        .execute();
  });
}
