// The transactional ways to write claims: locks, consumers, allocations and the generation
// compare-and-swap, inside a transaction the caller holds (inClaimTransaction retries it).
//
// A claim runs in one transaction: one batched lookup (consumers, classes, providers, projects,
// users; on PostgreSQL it also takes the providers' row locks, caps.supportsLockingCte), the
// checks the reference makes first, the consumer writes, the providers' locks (FOR UPDATE, in uuid
// order) where the lookup did not take them, the capacity check against fresh usage, the
// allocation insert and every generation bumped with one compare-and-swap UPDATE. On PostgreSQL
// the capacity read rides in the statement that inserts and bumps (judged afterwards; an error
// rolls it all back). NOTE: the capacity is never read by the statement that waits for the lock:
// a PostgreSQL statement that waits for a row lock still reads every other table as of its start,
// so it would miss what the previous holder committed. A provider generation that moved anyway
// (SQLite across processes, writers that do not lock) is retried on the server, as are deadlocks
// and serialization failures.
import { sql, type Transaction } from "kysely";
import type { Store } from "../db/open.js";
import type { DB } from "../db/schema.js";
import { attemptsFor, isRetryable, pause, RetriesExhausted, retryReason, type Tx } from "../db/tx.js";
import { nowUtc } from "../db/time.js";
import { INVENTORY_COLUMNS, invFromRow } from "./capacity.js";
import {
  deleteConsumersWithoutAllocations,
  ensureIdentities,
  insertConsumers,
  insertConsumersQuery,
  pick,
  updateConsumer,
  type ConsumerRow,
  type Lookup,
  type NewConsumer,
  type Writer,
} from "./consumer.js";
import { AllocationProviderNotFound, ConsumerConcurrentUpdate, ProviderConcurrentUpdate, type ConsumerWrite } from "./allocation.js";
import { claimItems, identitiesOf, type ClaimPlan, type Item, type LockedProvider } from "./claim-plan.js";
import { judgeCapacity, type CapacityRow } from "./claim-judge.js";
import { first } from "@berth/client/common";

export interface ClaimOptions {
  /** [placement] allocation_conflict_retry_count. */
  retries: number;
}

/** How long a claim keeps retrying deadlocks and serialization failures, at least. */
export const RACE_PATIENCE_MS = 15_000;

/** Runs fn in a claim transaction, retrying lost provider races and deadlocks. */
export async function inClaimTransaction<T>(store: Store, opts: ClaimOptions, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  // NOTE: the reference gives up after allocation_conflict_retry_count attempts in all; at least one.
  const attempts = Math.max(1, opts.retries);
  let conflicts = 0;
  let dbErrors = 0;
  const started = Date.now();
  for (;;) {
    try {
      return await claimTransaction(store).execute(fn);
    } catch (e) {
      if (e instanceof ProviderConcurrentUpdate) {
        if (++conflicts >= attempts) throw e;
      } else if (isRetryable(e)) {
        const reason = retryReason(e) ?? "deadlock";
        // NOTE: races (deadlocks, serialization failures) get more attempts here than elsewhere: a
        // batch of claims meets them more often; and for at least RACE_PATIENCE_MS, because a
        // Galera cluster that has lost a node refuses conflicting commits for several seconds until
        // it has evicted the node (seen: 409s after 6.8 s of deadlocks; the reference's oslo.db
        // retries back off for up to about 25 s). Lock timeouts and busy waits as everywhere.
        const race = reason === "deadlock" || reason === "serialization";
        if (++dbErrors >= (race ? 20 : attemptsFor(reason)) && (!race || Date.now() - started >= RACE_PATIENCE_MS)) throw new RetriesExhausted(reason, e);
        store.onRetry?.(reason);
        // Past the usual attempts, back off (up to half a second) rather than hammer a cluster that is
        // still reconfiguring.
        await (dbErrors <= 20 ? pause(dbErrors) : new Promise((r) => setTimeout(r, Math.min(500, 25 * 2 ** Math.min(dbErrors - 20, 5)))));
      } else throw e;
    }
  }
}

/**
 * A transaction for a claim. NOTE: MySQL's default snapshot would hide what the previous lock
 * holder committed; READ COMMITTED makes every statement after the lock see it (PostgreSQL's
 * default already).
 */
export function claimTransaction(store: Store) {
  if (store.caps.dialect !== "mysql") return store.db.transaction();
  // NOTE: the claim connections' sessions are at READ COMMITTED already (src/db/open.ts).
  return store.claimDb ? store.claimDb.transaction() : store.db.transaction().setIsolationLevel("read committed");
}

/**
 * Locks the providers (FOR UPDATE, in uuid order so claims never wait on each other in a cycle)
 * and refreshes their generations; every later read sees what earlier holders committed.
 */
export async function lockProviders(store: Store, trx: Tx, plan: ClaimPlan, all: readonly string[]): Promise<void> {
  // NOTE: the ones the lookup locked are locked already, generations included.
  const uuids = all.filter((u) => !plan.locked.has(u.toLowerCase()));
  if (!uuids.length) return;
  let q = trx
    .selectFrom("resource_providers")
    .select(["id", "uuid", "generation"])
    .where("uuid", "in", [...new Set(uuids)])
    .orderBy("uuid");
  if (store.caps.supportsForUpdate) q = q.forUpdate();
  const rows = await q.execute();
  const seen = new Set<string>();
  for (const r of rows) {
    const p = pick(plan.providers, r.uuid);
    if (p) {
      p.generation = r.generation ?? 0;
      seen.add(p.uuid);
    }
  }
  // A provider deleted since it was looked up.
  const gone = uuids.find((u) => !seen.has(pick(plan.providers, u)?.uuid ?? ""));
  if (gone !== undefined) throw new AllocationProviderNotFound(gone);
}

/**
 * Writes the plan. NOTE: consumers and the removal of their old allocations come before the
 * provider locks, so a lock is held only for the capacity check, the insert and the bump.
 */
export async function applyClaim(store: Store, trx: Tx, plan: ClaimPlan): Promise<void> {
  if (plan.error) throw plan.error;
  if (!plan.writes.length) return;
  if (plan.classError) throw plan.classError;

  const items = claimItems(plan, plan.writes);
  const visited = new Set(items.map((i) => i.consumer));
  await replaceConsumers(store, trx, plan.lookup, plan.writes, visited);
  if (!items.length) return;
  await lockProviders(
    store,
    trx,
    plan,
    items.map((i) => i.provider.uuid),
  );
  if (store.caps.supportsDataModifyingCte) return checkAndWrite(trx, items, visited);
  judgeCapacity(items, await readCapacity(trx, items));
  await writeAllocations(store, trx, items, visited);
}

/**
 * True when the writes can go in one optimistic statement (writeAndReadCapacity): the database
 * can, and every write creates a new consumer with allocations.
 */
export function optimisticWrites(store: Store, plan: ClaimPlan, writes: readonly ConsumerWrite[], items: readonly Item[]): boolean {
  return (
    store.caps.supportsDataModifyingCte && writes.every((w) => w.allocations.size > 0 && !pick(plan.lookup.consumers, w.uuid)) && items.every((i) => i.used > 0)
  );
}

/**
 * Everything the claims write, in one statement with the capacity read (PostgreSQL): the old
 * allocations deleted, the new consumers inserted, the allocations inserted and every provider
 * bumped (by `by`, else once). Every part of a statement reads as of its start, so the capacity rows
 * come back with the consumers' old allocations and without the new ones; the caller judges on
 * them, and rolls back when any claim fails. Only where optimisticWrites holds.
 */
export async function writeAndReadCapacity(
  store: Store,
  trx: Tx,
  lookup: Lookup,
  writes: readonly ConsumerWrite[],
  items: readonly Item[],
  by?: ReadonlyMap<number, number>,
): Promise<{ inv: Map<string, CapacityRow>; consumers: number; bumped: number }> {
  await ensureIdentities(store, trx, identitiesOf(writes), lookup);
  const now = nowUtc();
  const touched = [...new Map(items.map((i) => [i.provider.uuid, i.provider])).values()];
  const fresh = [...writes]
    .sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0))
    .map((w) => ({
      uuid: w.uuid,
      projectId: pick(lookup.projects, w.project)!,
      userId: pick(lookup.users, w.user)!,
      generation: 1,
      consumerTypeId: w.consumerType === undefined ? null : pick(lookup.types, w.consumerType)!,
    }));
  const qc = trx
    .with("old_allocations", (q) =>
      q.deleteFrom("allocations").where(
        "consumer_id",
        "in",
        writes.map((w) => w.uuid),
      ),
    )
    .with("new_consumers", (q) => insertConsumersQuery(store, q as unknown as Writer, fresh, now).returning("id"))
    .with("new_allocations", (q) => insertQuery(q as unknown as Writer, items, now))
    .with("bumped", (q) => bumpQuery(q as unknown as Writer, touched, now, by).returning("id")) as unknown as Writer;
  const rows = await capacityQuery(qc, items)
    .select(() => [sql<number>`(select count(*) from new_consumers)`.as("consumers"), sql<number>`(select count(*) from bumped)`.as("bumped")])
    .execute();
  // NOTE: with no inventory row at all the counts do not come back; the judge fails the claim then.
  return { inv: capacityRows(rows), consumers: Number(rows[0]?.consumers ?? fresh.length), bumped: Number(rows[0]?.bumped ?? touched.length) };
}

/** After writeAndReadCapacity and the judging: throws when a generation had moved, else records the new ones. */
export function settleOptimistic(items: readonly Item[], got: { bumped: number }, by?: ReadonlyMap<number, number>): void {
  bumped([...new Map(items.map((i) => [i.provider.uuid, i.provider])).values()], got.bumped, by);
}

/**
 * The capacity read, the allocation insert and the generation bumps in one statement (PostgreSQL):
 * every part of a statement reads as of its start, so the capacity rows come back without the
 * inserted allocations; the items are judged on them afterwards, and an error rolls the whole
 * transaction back, insert and bumps with it.
 */
async function checkAndWrite(trx: Tx, items: readonly Item[], visited: ReadonlySet<string>): Promise<void> {
  const touched = [...new Map(items.map((i) => [i.provider.uuid, i.provider])).values()];
  const rows = items.filter((i) => i.used > 0);
  const now = nowUtc();
  let qc: Writer = trx;
  if (rows.length) qc = qc.with("new_allocations", (q) => insertQuery(q, rows, now)) as unknown as Writer;
  const result = await capacityQuery(qc.with("bumped", (q) => bumpQuery(q, touched, now).returning("id")) as unknown as Writer, items)
    .select(() => sql<number>`(select count(*) from bumped)`.as("bumped"))
    .execute();
  judgeCapacity(items, capacityRows(result));
  bumped(touched, Number(result[0]?.bumped ?? 0));
  await deleteEmptied(trx, rows, visited);
}

/**
 * Writes the consumers and deletes their old allocations. NOTE: where the database can, the delete
 * rides in the first consumer write's statement (a data-modifying WITH): one round trip less.
 */
export async function replaceConsumers(store: Store, trx: Tx, lookup: Lookup, writes: readonly ConsumerWrite[], visited: ReadonlySet<string>): Promise<void> {
  // NOTE: a consumer the lookup found neither as a row nor in any allocation row has nothing to
  // delete: another writer's allocations for it would come with its consumer row, which the insert
  // below would meet (and the claim fail over). A round trip less for a new consumer where the
  // delete is a statement of its own (MySQL, SQLite).
  const consumers = writes
    .map((w) => w.uuid)
    .filter((c) => !lookup.allocationsRead?.has(c.toLowerCase()) || pick(lookup.consumers, c) || lookup.allocations.has(c.toLowerCase()));
  const deleteOld = (qc: Writer) => qc.deleteFrom("allocations").where("consumer_id", "in", consumers);
  let riders: ((qc: Writer) => Writer) | undefined =
    store.caps.supportsDataModifyingCte && consumers.length ? (qc) => qc.with("old_allocations", (q) => deleteOld(q)) as unknown as Writer : undefined;
  const writer = (): Writer => {
    const w = riders ? riders(trx) : trx;
    riders = undefined;
    return w;
  };
  await writeConsumers(store, trx, lookup, writes, visited, writer);
  if (consumers.length && (riders || !store.caps.supportsDataModifyingCte)) await deleteOld(trx).execute();
}

/**
 * Inserts the items' allocations, bumps every provider they touch (once, or by `by`), and removes
 * the visited consumers left without allocations. NOTE: the providers are locked from before the
 * capacity check to the commit; the insert and the bumps are one statement where the database can.
 */
export async function writeAllocations(
  store: Store,
  trx: Tx,
  items: readonly Item[],
  visited: ReadonlySet<string>,
  by?: ReadonlyMap<number, number>,
): Promise<void> {
  const touched = [...new Map(items.map((i) => [i.provider.uuid, i.provider])).values()];
  const rows = items.filter((i) => i.used > 0);
  const now = nowUtc();
  let bumper: Writer = trx;
  if (rows.length && store.caps.supportsDataModifyingCte) bumper = trx.with("new_allocations", (q) => insertQuery(q, rows, now)) as unknown as Writer;
  else if (rows.length) await insertQuery(trx, rows, now).execute();
  if (touched.length) bumped(touched, Number((await bumpQuery(bumper, touched, now, by).executeTakeFirst()).numUpdatedRows), by);
  await deleteEmptied(trx, rows, visited);
}

function insertQuery(qc: Writer, rows: readonly Item[], now: string) {
  return qc
    .insertInto("allocations")
    .values(rows.map((i) => ({ resource_provider_id: i.provider.id, consumer_id: i.consumer, resource_class_id: i.rcId, used: i.used, created_at: now })));
}

/** Removes the visited consumers that got no allocation rows. */
function deleteEmptied(trx: Tx, rows: readonly Item[], visited: ReadonlySet<string>): Promise<void> {
  const keep = new Set(rows.map((i) => i.consumer));
  return deleteConsumersWithoutAllocations(
    trx,
    [...visited].filter((c) => !keep.has(c)),
  );
}

/**
 * The generation compare-and-swap of every provider a claim touched, in one UPDATE; the providers
 * are locked already, so a miss means a writer that does not lock (SQLite across processes).
 * `by` gives a provider's increment when it is not one (a batch of claims bumps once per claim).
 */
function bumpQuery(qc: Writer, providers: readonly LockedProvider[], now: string, by?: ReadonlyMap<number, number>) {
  // Each row matches only at the generation the claim read under its lock, so the increment
  // below sets exactly that generation + 1 (+ n).
  const step = (id: number) => by?.get(id) ?? 1;
  const uneven = providers.some((p) => step(p.id) !== 1);
  return qc
    .updateTable("resource_providers")
    .set((eb) => ({
      generation: uneven
        ? eb(
            "generation",
            "+",
            providers
              .slice(1)
              .reduce(
                (c, p) => c.when("id", "=", p.id).then(step(p.id)),
                eb
                  .case()
                  .when("id", "=", first(providers).id)
                  .then(step(first(providers).id)),
              )
              .end(),
          )
        : eb("generation", "+", 1),
      updated_at: now,
    }))
    .where((eb) => eb.or(providers.map((p) => eb.and([eb("id", "=", p.id), eb("generation", "=", p.generation)]))));
}

/** After the bump: throws when a provider's generation had moved, else records the new ones. */
function bumped(providers: readonly LockedProvider[], updated: number, by?: ReadonlyMap<number, number>): void {
  if (updated !== providers.length) throw new ProviderConcurrentUpdate();
  for (const p of providers) p.generation += by?.get(p.id) ?? 1;
}

/** The inventories (and their usage) of the items' providers and classes, in one query. */
export async function readCapacity(trx: Tx, items: readonly Item[]): Promise<Map<string, CapacityRow>> {
  return capacityRows(await capacityQuery(trx, items).execute());
}

function capacityQuery(qc: Writer, items: readonly Item[]) {
  const providerIds = [...new Set(items.map((i) => i.provider.id))];
  const rcIds = [...new Set(items.map((i) => i.rcId))];
  return qc
    .selectFrom("inventories as i")
    .leftJoin(
      (eb) =>
        eb
          .selectFrom("allocations")
          .select(["resource_provider_id", "resource_class_id", (e) => e.fn.sum<number>("used").as("used")])
          .where("resource_provider_id", "in", providerIds)
          .where("resource_class_id", "in", rcIds)
          .groupBy(["resource_provider_id", "resource_class_id"])
          .as("u"),
      (join) => join.onRef("u.resource_provider_id", "=", "i.resource_provider_id").onRef("u.resource_class_id", "=", "i.resource_class_id"),
    )
    .select(["i.resource_provider_id", "i.resource_class_id", ...INVENTORY_COLUMNS, "u.used"])
    .where("i.resource_provider_id", "in", providerIds)
    .where("i.resource_class_id", "in", rcIds);
}

type CapacityQueryRow = Awaited<ReturnType<ReturnType<typeof capacityQuery>["execute"]>>[number];

function capacityRows(rows: readonly CapacityQueryRow[]): Map<string, CapacityRow> {
  return new Map(rows.map((r) => [`${r.resource_provider_id}:${r.resource_class_id}`, invFromRow(r)]));
}

// Consumers in uuid order (two claims on the same consumers lock them in the same order); the new
// ones in one INSERT.
async function writeConsumers(
  store: Store,
  trx: Tx,
  lookup: Lookup,
  writes: readonly ConsumerWrite[],
  visited: ReadonlySet<string>,
  writer: () => Writer = () => trx,
): Promise<void> {
  await ensureIdentities(store, trx, identitiesOf(writes), lookup);
  const sorted = [...writes].sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  const fresh: NewConsumer[] = [];
  const existing: { w: ConsumerWrite; c: ConsumerRow; next: { projectId: number; userId: number; consumerTypeId: number | null } }[] = [];
  for (const w of sorted) {
    const projectId = pick(lookup.projects, w.project)!;
    const userId = pick(lookup.users, w.user)!;
    const typeId = w.consumerType === undefined ? undefined : pick(lookup.types, w.consumerType)!;
    const c = pick(lookup.consumers, w.uuid);
    // NOTE: like the reference, a new consumer that ends up with nothing allocated stays, at
    // generation 0; one that gets allocations is at generation 1 after its first write.
    if (!c) fresh.push({ uuid: w.uuid, projectId, userId, generation: visited.has(w.uuid) ? 1 : 0, consumerTypeId: typeId ?? null });
    else existing.push({ w, c, next: { projectId, userId, consumerTypeId: typeId ?? c.consumerTypeId } });
  }
  if (fresh.length && (await insertConsumers(store, writer(), fresh)) !== fresh.length) throw new ConsumerConcurrentUpdate();
  for (const { w, c, next } of existing) {
    const changed = next.projectId !== c.projectId || next.userId !== c.userId || next.consumerTypeId !== c.consumerTypeId;
    if (visited.has(w.uuid)) {
      if (!(await updateConsumer(writer(), c, next, true))) throw new ConsumerConcurrentUpdate();
    } else if (changed) {
      // The reference writes these without a generation bump and ignores a lost race here.
      await updateConsumer(writer(), c, next, false);
    }
  }
}
