// The reference's alembic revisions since its initial schema, and Berth's own step for each: what
// `db sync` does to a database at an earlier revision to bring it to the head.
import { sql, type Kysely, type Transaction } from "kysely";
import type { Dialect } from "./capabilities.js";
import { addReferencingColumn, createIndex, createTable } from "./ddl.js";
import { TABLES, type DB } from "./schema.js";

/** The reference's initial revision (Placement 1.0.0, Stein). */
export const INITIAL_REVISION = "b4ed3a175331";

/** A step that must not run yet: the data needs `db online_data_migrations` first. */
export class MigrationBlockedError extends Error {}

export interface Migration {
  revision: string;
  down: string;
  /** The reference's title of the revision. */
  title: string;
  run(trx: Transaction<DB>, dialect: Dialect): Promise<void>;
}

const ONLINE = 'Run the "berth db online_data_migrations" command (or placement-manage\'s), then db sync again.';

async function count(db: Kysely<DB>, q: ReturnType<typeof sql<{ n: number | string }>>): Promise<number> {
  const row = (await q.execute(db)).rows[0];
  return Number(row?.n ?? 0);
}

/** Resource providers without a root provider id (from before Queens). */
export async function providersWithoutRoot(db: Kysely<DB>): Promise<number> {
  return count(db, sql<{ n: number }>`SELECT COUNT(*) AS n FROM resource_providers WHERE root_provider_id IS NULL`);
}

/** Consumers (distinct) that have allocations but no consumers row. */
export async function allocationConsumersMissing(db: Kysely<DB>): Promise<number> {
  return count(
    db,
    sql<{ n: number }>`SELECT COUNT(DISTINCT a.consumer_id) AS n FROM allocations a
      LEFT JOIN consumers c ON a.consumer_id = c.uuid WHERE c.id IS NULL`,
  );
}

const table = (name: string) => TABLES.find((t) => t.name === name)!;

// NOTE: in the reference's order. The first two change no schema: they stop the upgrade while data
// from before Stein is unmigrated, because the code of later releases assumes it is.
export const MIGRATIONS: readonly Migration[] = [
  {
    revision: "611cd6dffd7b",
    down: INITIAL_REVISION,
    title: "Block on null root_provider_id",
    async run(trx) {
      const n = await providersWithoutRoot(trx);
      if (n) throw new MigrationBlockedError(`${n} resource provider(s) have no root provider id. ${ONLINE}`);
    },
  },
  {
    revision: "b5c396305c25",
    down: "611cd6dffd7b",
    title: "Block on null consumer",
    async run(trx) {
      const n = await allocationConsumersMissing(trx);
      if (n) throw new MigrationBlockedError(`${n} consumer(s) with allocations have no consumers record. ${ONLINE}`);
    },
  },
  {
    revision: "422ece571366",
    down: "b5c396305c25",
    title: "Add consumer_types table",
    async run(trx, dialect) {
      const consumers = table("consumers");
      const column = consumers.columns.find((c) => c.name === "consumer_type_id")!;
      const fk = consumers.foreignKeys.find((f) => f.columns[0] === "consumer_type_id")!;
      const index = consumers.indexes.find((i) => i.name === "consumers_consumer_type_id_idx")!;
      const statements = [
        ...createTable(table("consumer_types"), dialect),
        ...addReferencingColumn("consumers", column, { ...fk, name: fk.name! }, dialect),
        createIndex("consumers", index, dialect),
      ];
      for (const s of statements) await sql.raw(s).execute(trx);
    },
  },
];

/** Every revision, oldest first. */
export const REVISIONS: readonly string[] = [INITIAL_REVISION, ...MIGRATIONS.map((m) => m.revision)];

/** The steps from `revision` to the head; undefined when the revision is not one of the reference's. */
export function stepsAfter(revision: string): readonly Migration[] | undefined {
  const i = REVISIONS.indexOf(revision);
  return i < 0 ? undefined : MIGRATIONS.slice(i);
}
