// `db online_data_migrations`: the data migrations Placement 8.0.0 runs there, in its order, each
// taking at most a batch of rows and answering (found, done). They use only columns that exist since
// the initial revision, so they run on a database at any revision (they unblock its db sync).
import { sql, type Kysely } from "kysely";
import type { Store } from "./open.js";
import type { DB } from "./schema.js";
import { nowUtc } from "./time.js";
import { ignoringDuplicates } from "./tx.js";

export interface OnlineMigration {
  /** The reference's function name, printed in the table. */
  name: string;
  run(store: Store, batch: number, ids: IncompleteIdentity): Promise<{ found: number; done: number }>;
}

/** The external ids of the project and user that consumers created without them get. */
export interface IncompleteIdentity {
  projectId: string;
  userId: string;
}

async function externalId(store: Store, db: Kysely<DB>, table: "projects" | "users", external: string): Promise<number> {
  const find = () => db.selectFrom(table).select("id").where("external_id", "=", external).executeTakeFirst();
  const have = await find();
  if (have) return have.id;
  await ignoringDuplicates(store, db.insertInto(table).values({ external_id: external, created_at: nowUtc() })).execute();
  return (await find())!.id;
}

export const ONLINE_MIGRATIONS: readonly OnlineMigration[] = [
  {
    // Providers from before nested providers (Queens) have no root: each is its own.
    name: "set_root_provider_ids",
    async run(store, batch) {
      return store.db.transaction().execute(async (trx) => {
        const ids = (await trx.selectFrom("resource_providers").select("id").where("root_provider_id", "is", null).orderBy("id").limit(batch).execute()).map(
          (r) => r.id,
        );
        if (!ids.length) return { found: 0, done: 0 };
        const r = await trx
          .updateTable("resource_providers")
          .set({ root_provider_id: sql<number>`id` })
          .where("id", "in", ids)
          .where("root_provider_id", "is", null)
          .executeTakeFirst();
        const n = Number(r.numUpdatedRows);
        return { found: n, done: n };
      });
    },
  },
  {
    // Allocations written before consumers had records (before Rocky, or below microversion 1.8)
    // get a consumer of the configured "incomplete" project and user.
    name: "create_incomplete_consumers",
    async run(store, batch, ids) {
      return store.db.transaction().execute(async (trx) => {
        const projectId = await externalId(store, trx, "projects", ids.projectId);
        const userId = await externalId(store, trx, "users", ids.userId);
        const missing = (
          await trx
            .selectFrom("allocations as a")
            .leftJoin("consumers as c", "c.uuid", "a.consumer_id")
            .select("a.consumer_id")
            .where("c.id", "is", null)
            .groupBy("a.consumer_id")
            .orderBy("a.consumer_id")
            .limit(batch)
            .execute()
        ).map((r) => r.consumer_id);
        if (!missing.length) return { found: 0, done: 0 };
        const now = nowUtc();
        const r = await ignoringDuplicates(
          store,
          trx.insertInto("consumers").values(missing.map((uuid) => ({ uuid, project_id: projectId, user_id: userId, created_at: now }))),
        ).executeTakeFirst();
        const n = Number(r.numInsertedOrUpdatedRows ?? 0n);
        return { found: n, done: n };
      });
    },
  },
];

export interface MigrationTotals {
  name: string;
  found: number;
  done: number;
}

export interface OnlineRun {
  totals: MigrationTotals[];
  /** Lines printed as the batches run, as the reference prints them. */
  lines: string[];
  /** What threw, in every batch. */
  errors: { name: string; error: unknown }[];
  /** Something threw in the last batch (the one the exit status is about). */
  failedLastBatch: boolean;
  /** Rows migrated in the last batch. */
  ranLastBatch: number;
}

/**
 * Runs batches of `maxCount` across the migrations (a batch stops once it has migrated `maxCount`
 * rows); with `limited`, one batch, otherwise until a batch migrates nothing.
 */
export async function runOnlineMigrations(store: Store, maxCount: number, limited: boolean, ids: IncompleteIdentity): Promise<OnlineRun> {
  const totals = new Map<string, MigrationTotals>();
  const lines: string[] = [];
  const errors: OnlineRun["errors"] = [];
  let ran: number | undefined;
  let failed = false;
  while (ran === undefined || ran !== 0) {
    ran = 0;
    failed = false;
    for (const m of ONLINE_MIGRATIONS) {
      let found = 0;
      let done = 0;
      try {
        ({ found, done } = await m.run(store, maxCount - ran, ids));
      } catch (error) {
        lines.push(`Error attempting to run ${m.name}`);
        errors.push({ name: m.name, error });
        failed = true;
      }
      if (found) lines.push(`${found} rows matched query ${m.name}, ${done} migrated`);
      const t = totals.get(m.name) ?? { name: m.name, found: 0, done: 0 };
      totals.set(m.name, { name: m.name, found: t.found + found, done: t.done + done });
      ran += done;
      if (ran >= maxCount) break;
    }
    if (limited) break;
  }
  return { totals: [...totals.values()], lines, errors, failedLastBatch: failed, ranLastBatch: ran };
}

/** Exit status as the reference's: 2 errors and nothing migrated (in a limited run), 1 rows migrated
 * (more may remain), 0 nothing (more) to do. */
export function onlineExitCode(r: OnlineRun, limited: boolean): number {
  if (r.failedLastBatch && !(limited && r.ranLastBatch)) return 2;
  return r.ranLastBatch ? 1 : 0;
}
