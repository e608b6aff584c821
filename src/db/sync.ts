// `db sync`: create the reference's schema head when absent, stamp alembic_version, and make sure the
// standard resource classes and traits are present.
import { sql } from "kysely";
import type { Store } from "./open.js";
import { ALEMBIC_HEAD, TABLES } from "./schema.js";
import { createTable } from "./ddl.js";
import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from "./standard-names.js";
import { nowUtc } from "./time.js";

export class SchemaVersionError extends Error {}

/** The alembic revision the database is at, or undefined when it has no schema yet. */
export async function currentRevision(store: Store): Promise<string | undefined> {
  const tables = await store.db.introspection.getTables();
  if (!tables.some((t) => t.name === "alembic_version")) return undefined;
  const row = await store.db.selectFrom("alembic_version").select("version_num").executeTakeFirst();
  return row?.version_num;
}

export async function syncSchema(store: Store): Promise<{ created: boolean; revision: string }> {
  const rev = await currentRevision(store);
  if (rev === ALEMBIC_HEAD) return { created: false, revision: rev };
  if (rev !== undefined)
    throw new SchemaVersionError(
      `The database is at alembic revision ${rev}, not ${ALEMBIC_HEAD}; upgrade it with placement-manage db sync from Placement 8.0.0 first`,
    );
  await store.db.transaction().execute(async (trx) => {
    for (const t of TABLES) for (const stmt of createTable(t, store.caps.dialect)) await sql.raw(stmt).execute(trx);
    await trx.insertInto("alembic_version").values({ version_num: ALEMBIC_HEAD }).execute();
  });
  return { created: true, revision: ALEMBIC_HEAD };
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
    for (let i = 0; i < newTraits.length; i += 500) await trx.insertInto("traits").values(newTraits.slice(i, i + 500)).execute();
  });
}
