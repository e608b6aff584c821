// Aggregates of a provider: uuids only (placement keeps no other data about them).
import type { Store } from "../db/open.js";
import { insertId, type Tx } from "../db/tx.js";
import { nowUtc } from "../db/time.js";
import { keyOrder } from "../db/key-order.js";
import { aggregateIds } from "./provider-filter.js";

/** The aggregate uuids of a provider (a set: the reference gives no order; this is creation order). */
export async function aggregatesOf(trx: Tx, providerId: number): Promise<string[]> {
  const rows = await trx
    .selectFrom("resource_provider_aggregates as rpa")
    .innerJoin("placement_aggregates as agg", "agg.id", "rpa.aggregate_id")
    .select("agg.uuid")
    .where("rpa.resource_provider_id", "=", providerId)
    .orderBy("agg.id")
    .execute();
  return rows.map((r) => r.uuid!);
}

/**
 * Makes the provider's aggregates exactly `uuids`, creating aggregates never seen before. Uuids
 * are stored as given (the reference does not normalize them). The caller bumps the generation.
 */
export async function setAggregates(store: Store, trx: Tx, providerId: number, uuids: readonly string[]): Promise<void> {
  const wanted = new Set(uuids);
  const now = nowUtc();
  const existing = await trx
    .selectFrom("resource_provider_aggregates as rpa")
    .innerJoin("placement_aggregates as agg", "agg.id", "rpa.aggregate_id")
    .select(["agg.id", "agg.uuid"])
    .where("rpa.resource_provider_id", "=", providerId)
    .execute();
  const have = new Set(existing.map((r) => r.uuid!));
  // NOTE: new aggregates are created in one order, so two requests that create the same ones wait
  // for each other instead of deadlocking (PostgreSQL finds a deadlock only after deadlock_timeout,
  // 1 s by default). The reference creates them in no set order.
  const toAdd = [...wanted].filter((u) => !have.has(u)).sort(keyOrder);
  const toDrop = existing.filter((r) => !wanted.has(r.uuid!)).map((r) => r.id);
  const known = await aggregateIds(trx, toAdd);
  const ids: number[] = [];
  for (const u of toAdd) ids.push(known.get(u) ?? (await ensureAggregate(store, trx, u, now)));
  if (ids.length) {
    await trx
      .insertInto("resource_provider_aggregates")
      .values(ids.map((aggregate_id) => ({ resource_provider_id: providerId, aggregate_id, created_at: now })))
      .execute();
  }
  if (toDrop.length) {
    await trx.deleteFrom("resource_provider_aggregates").where("resource_provider_id", "=", providerId).where("aggregate_id", "in", toDrop).execute();
  }
}

// NOTE: two requests creating the same new aggregate at once: the loser's transaction fails on the
// unique uuid and nothing of it is kept (the reference retries; a client retry does the same).
function ensureAggregate(store: Store, trx: Tx, uuid: string, now: string): Promise<number> {
  return insertId(store, trx, "placement_aggregates", { uuid, created_at: now });
}
