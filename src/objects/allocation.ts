// Allocations: the claim (replace some consumers' allocations in one transaction, never over
// capacity), and the reads GET shows. The claim queue (claim-queue.ts) runs claims through these
// steps, alone or several in one transaction.
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
import { fromDb, nowUtc } from "../db/time.js";
import { ConcurrentUpdate, DomainError, NotFound } from "./errors.js";
import { ResourceClassNotFound } from "./resource-class.js";
import { allocatable, INVENTORY_COLUMNS, unitsFit, type Inv } from "./capacity.js";
import {
  deleteConsumersWithoutAllocations,
  ensureIdentities,
  insertConsumers,
  insertConsumersQuery,
  lookupAll,
  pick,
  updateConsumer,
  type ConsumerRow,
  type Identities,
  type Lookup,
  type NewConsumer,
  type Writer,
} from "./consumer.js";

/** A provider generation changed under the claim on every attempt. */
export class ProviderConcurrentUpdate extends ConcurrentUpdate {
  constructor() {
    super("Another thread concurrently updated the resource provider data. Please retry your update");
  }
}
/** A consumer's generation changed between reading and writing it. */
export class ConsumerConcurrentUpdate extends ConcurrentUpdate {
  constructor() {
    super("Another thread concurrently updated the data. Please retry your update");
  }
}
/** The consumer generation in the request is not the stored one. */
export class ConsumerGenerationConflict extends ConcurrentUpdate {}
/** An allocation names a provider that does not exist. */
export class AllocationProviderNotFound extends NotFound {
  constructor(readonly uuid: string) {
    super(`Allocation for resource provider '${uuid}' that does not exist.`);
  }
}
/** The provider has no inventory of the class. */
export class InvalidInventory extends DomainError {
  constructor(resourceClass: string, provider: string, message?: string) {
    super(message ?? `Inventory for '${resourceClass}' on resource provider '${provider}' invalid.`);
  }
}
export class CapacityExceeded extends InvalidInventory {
  constructor(resourceClass: string, provider: string) {
    super(
      resourceClass,
      provider,
      `Unable to create allocation for '${resourceClass}' on resource provider '${provider}'. The requested amount would exceed the capacity.`,
    );
  }
}
export class ConstraintsViolated extends InvalidInventory {
  constructor(resourceClass: string, provider: string) {
    super(
      resourceClass,
      provider,
      `Unable to create allocation for '${resourceClass}' on resource provider '${provider}'. The requested amount would violate inventory constraints.`,
    );
  }
}

/** One consumer's part of a claim. */
export interface ConsumerWrite {
  uuid: string;
  project: string;
  user: string;
  /** From 1.28: the generation the client saw, null for a consumer it believes new. */
  checkGeneration: boolean;
  generation?: number | null;
  /** The generation as the client wrote it, where Python shows it otherwise (1.0, 2^63+1), for the conflict message. */
  generationText?: string;
  /** From 1.38. */
  consumerType?: string;
  /** provider uuid -> class name -> amount; empty removes the consumer's allocations. */
  allocations: Map<string, Map<string, number>>;
}

export interface LockedProvider {
  id: number;
  uuid: string;
  generation: number;
}

interface Existing {
  consumer: string;
  provider: LockedProvider;
  rcId: number;
  rcName: string;
}

/** What a claim read before deciding: consumers, classes, providers, and the errors found so far. */
export interface ClaimPlan {
  writes: ConsumerWrite[];
  lookup: Lookup;
  /** Providers by uuid; generations are refreshed when locked and kept current as the claim bumps them. */
  providers: Map<string, LockedProvider>;
  /** Existing allocations of the consumers whose allocations are being removed. */
  removed: Existing[];
  /** The first error in the reference's order: a consumer generation, then an unknown provider. */
  error?: DomainError;
  /** An unknown resource class (the reference finds it later, inside its write transaction). */
  classError?: DomainError;
  /** Lower-case uuids of the providers the lookup locked already. */
  locked: ReadonlySet<string>;
}

export interface ClaimOptions {
  /** [placement] allocation_conflict_retry_count. */
  retries: number;
}

/** The projects, users and consumer types the writes name (with repeats). */
export function identitiesOf(writes: readonly ConsumerWrite[]): Identities {
  return {
    projects: writes.map((w) => w.project),
    users: writes.map((w) => w.user),
    types: writes.flatMap((w) => (w.consumerType === undefined ? [] : [w.consumerType])),
  };
}

/** Runs fn in a claim transaction, retrying lost provider races and deadlocks. */
export async function inClaimTransaction<T>(store: Store, opts: ClaimOptions, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  // NOTE: the reference gives up after allocation_conflict_retry_count attempts in all; at least one.
  const attempts = Math.max(1, opts.retries);
  let conflicts = 0;
  let dbErrors = 0;
  for (;;) {
    try {
      return await claimTransaction(store).execute(fn);
    } catch (e) {
      if (e instanceof ProviderConcurrentUpdate) {
        if (++conflicts >= attempts) throw e;
      } else if (isRetryable(e)) {
        const reason = retryReason(e) ?? "deadlock";
        // NOTE: races (deadlocks, serialization failures) get more attempts here than elsewhere: a
        // batch of claims meets them more often; lock timeouts and busy waits as everywhere.
        if (++dbErrors >= (reason === "deadlock" || reason === "serialization" ? 20 : attemptsFor(reason))) throw new RetriesExhausted(reason, e);
        store.onRetry?.(reason);
        await pause(dbErrors);
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
 * Reads what the claim needs, without locks (one round trip, two when allocations are removed),
 * with the consumers' current allocations (a batch judges replacements against them; a consumer
 * with none and no row has nothing to delete). `moreProviders` are read too (the reshaper's).
 * Errors are recorded, not thrown, so callers can put their own checks first.
 */
export async function planClaim(
  store: Store,
  trx: Tx,
  writes: ConsumerWrite[],
  moreProviders: readonly string[] = [],
  opts: { lockProviders?: boolean } = {},
): Promise<ClaimPlan> {
  const classes: string[] = [];
  const rps = new Set(moreProviders);
  for (const w of writes)
    for (const [rp, res] of w.allocations) {
      rps.add(rp);
      for (const rc of res.keys()) classes.push(rc);
    }
  const lookup = await lookupAll(trx, {
    consumers: writes.map((w) => w.uuid),
    classes,
    providers: [...rps],
    ...identitiesOf(writes),
    allocationsOf: writes.map((w) => w.uuid),
    lockProviders: opts.lockProviders && store.caps.supportsLockingCte,
  });
  const providers = new Map(lookup.providers);
  const removed: Existing[] = [];
  const removing = writes.filter((w) => w.allocations.size === 0).map((w) => w.uuid);
  if (removing.length) {
    const rows = await trx
      .selectFrom("allocations as a")
      .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
      .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
      .select(["a.consumer_id", "a.resource_class_id", "rc.name", "rp.id", "rp.uuid", "rp.generation"])
      .where("a.consumer_id", "in", removing)
      .orderBy("a.id")
      .execute();
    for (const r of rows) {
      let p = providers.get(r.uuid);
      if (!p) providers.set(r.uuid, (p = { id: r.id, uuid: r.uuid, generation: r.generation ?? 0 }));
      removed.push({ consumer: r.consumer_id, provider: p, rcId: r.resource_class_id, rcName: r.name });
    }
  }
  const locked = new Set(opts.lockProviders && store.caps.supportsLockingCte ? [...lookup.providers.keys()].map((u) => u.toLowerCase()) : []);
  const plan: ClaimPlan = { writes, lookup, providers, removed, locked };
  plan.error = firstPlanError(plan);
  plan.classError = unknownClass(writes, lookup);
  return plan;
}

/** The first resource class of the writes that does not exist. */
export function unknownClass(writes: readonly ConsumerWrite[], lookup: Lookup): DomainError | undefined {
  for (const w of writes) for (const res of w.allocations.values()) for (const rc of res.keys()) if (!lookup.classes.has(rc)) return new ResourceClassNotFound(rc);
  return undefined;
}

export function firstPlanError(plan: ClaimPlan): DomainError | undefined {
  for (const w of plan.writes) {
    if (!w.checkGeneration) continue;
    const c = pick(plan.lookup.consumers, w.uuid);
    const given = w.generation ?? null;
    const givenText = w.generationText ?? String(given);
    if (c && c.generation !== given)
      return new ConsumerGenerationConflict(`consumer generation conflict - expected ${c.generation} but got ${given === null ? "None" : givenText}`);
    if (!c && given !== null) return new ConsumerGenerationConflict(`consumer generation conflict - expected null but got ${givenText}`);
  }
  for (const w of plan.writes) for (const rp of w.allocations.keys()) if (!pick(plan.providers, rp)) return new AllocationProviderNotFound(rp);
  return undefined;
}

/**
 * Locks the providers (FOR UPDATE, in uuid order so claims never wait on each other in a cycle)
 * and refreshes their generations; every later read sees what earlier holders committed.
 */
export async function lockProviders(store: Store, trx: Tx, plan: ClaimPlan, all: readonly string[]): Promise<void> {
  // NOTE: the ones the lookup locked are locked already, generations included.
  const uuids = all.filter((u) => !plan.locked.has(u.toLowerCase()));
  if (!uuids.length) return;
  let q = trx.selectFrom("resource_providers").select(["id", "uuid", "generation"]).where("uuid", "in", [...new Set(uuids)]).orderBy("uuid");
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

export interface Item {
  consumer: string;
  provider: LockedProvider;
  rcId: number;
  rcName: string;
  used: number;
}

/** The list the reference checks for these writes: new amounts, and zero for each removed allocation. */
export function claimItems(plan: ClaimPlan, writes: readonly ConsumerWrite[]): Item[] {
  const items: Item[] = [];
  for (const w of writes) {
    if (w.allocations.size === 0) {
      for (const r of plan.removed)
        if (r.consumer.toLowerCase() === w.uuid.toLowerCase()) items.push({ consumer: w.uuid, provider: r.provider, rcId: r.rcId, rcName: r.rcName, used: 0 });
      continue;
    }
    for (const [rp, res] of w.allocations)
      for (const [rc, used] of res) items.push({ consumer: w.uuid, provider: pick(plan.providers, rp)!, rcId: pick(plan.lookup.classes, rc)!, rcName: rc, used });
  }
  return items;
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
    store.caps.supportsDataModifyingCte &&
    writes.every((w) => w.allocations.size > 0 && !pick(plan.lookup.consumers, w.uuid)) &&
    items.every((i) => i.used > 0)
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
  const result = await capacityQuery(
    qc.with("bumped", (q) => bumpQuery(q, touched, now).returning("id")) as unknown as Writer,
    items,
  )
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
export async function writeAllocations(store: Store, trx: Tx, items: readonly Item[], visited: ReadonlySet<string>, by?: ReadonlyMap<number, number>): Promise<void> {
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
        ? eb("generation", "+", providers.slice(1).reduce((c, p) => c.when("id", "=", p.id).then(step(p.id)), eb.case().when("id", "=", providers[0]!.id).then(step(providers[0]!.id))).end())
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

/** An inventory row with the usage against it (read keyed by `${providerId}:${rcId}`). */
export type CapacityRow = Inv;

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
  return new Map(
    rows.map((r) => [
      `${r.resource_provider_id}:${r.resource_class_id}`,
      {
        total: Number(r.total),
        reserved: Number(r.reserved),
        minUnit: Number(r.min_unit),
        maxUnit: Number(r.max_unit),
        stepSize: Number(r.step_size),
        ratio: Number(r.allocation_ratio),
        used: Number(r.used ?? 0),
      },
    ]),
  );
}

/**
 * Throws the reference's error for the first item that does not fit, in its order of checks.
 * `inv` may hold more providers and classes than the items name (a batch reads them at once);
 * `usedOf` gives the usage to check against (by default what was read).
 */
export function judgeCapacity(items: readonly Item[], inv: ReadonlyMap<string, CapacityRow>, usedOf: (key: string) => number = (k) => inv.get(k)?.used ?? 0): void {
  const rcIds = [...new Set(items.map((i) => i.rcId))];
  const providers = new Map(items.map((i) => [i.provider.id, i.provider.uuid]));
  const missing = [...providers].filter(([id]) => !rcIds.some((rc) => inv.has(`${id}:${rc}`))).map(([, u]) => u);
  if (missing.length) {
    // NOTE: the reference names every class of the request here, in the order a Python set of
    // their ids iterates.
    const names = new Map(items.map((i) => [i.rcId, i.rcName]));
    const classes = pythonSetOrder(items.map((i) => i.rcId)).map((id) => names.get(id)!);
    throw new InvalidInventory(classes.join(", "), missing.join(", "));
  }

  const wanted = new Map<string, number>();
  for (const it of items) {
    const key = `${it.provider.id}:${it.rcId}`;
    const sum = (wanted.get(key) ?? 0) + it.used;
    wanted.set(key, sum);
    if (it.used === 0) continue;
    const r = inv.get(key);
    if (!r) throw new InvalidInventory(it.rcName, it.provider.uuid);
    if (!unitsFit(r, it.used)) throw new ConstraintsViolated(it.rcName, it.provider.uuid);
    const used = usedOf(key);
    const capacity = allocatable(r);
    if (capacity < used + it.used || capacity < used + sum) throw new CapacityExceeded(it.rcName, it.provider.uuid);
  }
}

// ---- judging a batch ----

/** One claim of a batch: its index in the batch, its writes and what they check. */
export interface Live {
  i: number;
  writes: ConsumerWrite[];
  items: Item[];
}

/**
 * Judges the claims in arrival order, each after giving back its consumers' old allocations and
 * against the usage the accepted ones before it left; records each refusal in `results` and
 * returns the accepted claims.
 */
export function judgeInOrder(
  live: readonly Live[],
  inv: ReadonlyMap<string, CapacityRow>,
  old: ReadonlyMap<string, ReadonlyMap<string, number>>,
  results: (DomainError | undefined)[],
): Live[] {
  const usage = new Map([...inv].map(([k, r]) => [k, r.used]));
  const accepted: Live[] = [];
  for (const l of live) {
    const mine = new Map<string, number>();
    for (const w of l.writes) for (const [k, used] of old.get(w.uuid.toLowerCase()) ?? []) mine.set(k, (mine.get(k) ?? 0) + used);
    try {
      judgeCapacity(l.items, inv, (k) => (usage.get(k) ?? 0) - (mine.get(k) ?? 0));
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      results[l.i] = e;
      continue;
    }
    for (const [k, used] of mine) usage.set(k, (usage.get(k) ?? 0) - used);
    for (const it of l.items) usage.set(key(it), (usage.get(key(it)) ?? 0) + it.used);
    accepted.push(l);
  }
  return accepted;
}

/** Each claim bumps every provider it touches once, as it would have alone. */
export function bumpsPerClaim(claims: readonly Live[]): Map<number, number> {
  const by = new Map<number, number>();
  for (const l of claims) for (const id of new Set(l.items.map((it) => it.provider.id))) by.set(id, (by.get(id) ?? 0) + 1);
  return by;
}

const key = (it: Item) => `${it.provider.id}:${it.rcId}`;

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

// ---- reads ----

export interface ConsumerAllocations {
  /** provider uuid -> {generation, resources} */
  providers: Map<string, { generation: number; resources: Record<string, number> }>;
  project?: string;
  user?: string;
  generation?: number;
  consumerType?: string | null;
  modified?: Date;
}

/** The consumer's allocations, as GET /allocations/{consumer_uuid} shows them. */
export async function allocationsOfConsumer(trx: Tx, consumerUuid: string): Promise<ConsumerAllocations> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .innerJoin("users as u", "u.id", "c.user_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .leftJoin("consumer_types as ct", "ct.id", "c.consumer_type_id")
    .select([
      "rp.uuid as rp_uuid",
      "rp.generation as rp_generation",
      "rc.name as rc",
      "a.used",
      "a.created_at",
      "a.updated_at",
      "c.generation",
      "p.external_id as project",
      "u.external_id as user",
      "ct.name as consumer_type",
    ])
    .where("a.consumer_id", "=", consumerUuid)
    .orderBy("a.id")
    .execute();
  const out: ConsumerAllocations = { providers: new Map() };
  for (const r of rows) {
    let p = out.providers.get(r.rp_uuid);
    if (!p) out.providers.set(r.rp_uuid, (p = { generation: r.rp_generation ?? 0, resources: {} }));
    p.resources[r.rc] = Number(r.used);
    const m = fromDb(r.updated_at) ?? fromDb(r.created_at);
    if (m && (!out.modified || m > out.modified)) out.modified = m;
  }
  if (rows.length) {
    const first = rows[0]!;
    out.project = first.project;
    out.user = first.user;
    out.generation = Number(first.generation);
    out.consumerType = first.consumer_type;
  }
  return out;
}

export interface ProviderAllocations {
  /** consumer uuid -> {generation, resources} */
  consumers: Map<string, { generation: number; resources: Record<string, number> }>;
  modified?: Date;
}

/** The allocations against a provider, by consumer. */
export async function allocationsOfProvider(trx: Tx, providerId: number): Promise<ProviderAllocations> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .innerJoin("users as u", "u.id", "c.user_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["c.uuid", "c.generation", "rc.name as rc", "a.used", "a.created_at", "a.updated_at"])
    .where("a.resource_provider_id", "=", providerId)
    .orderBy("a.id")
    .execute();
  const out: ProviderAllocations = { consumers: new Map() };
  for (const r of rows) {
    let c = out.consumers.get(r.uuid);
    if (!c) out.consumers.set(r.uuid, (c = { generation: Number(r.generation), resources: {} }));
    c.resources[r.rc] = Number(r.used);
    const m = fromDb(r.updated_at) ?? fromDb(r.created_at);
    if (m && (!out.modified || m > out.modified)) out.modified = m;
  }
  return out;
}

/** Deletes every allocation of the consumer, and the consumer. Throws NotFound when it has none. */
export async function deleteAllocationsOfConsumer(trx: Tx, consumerUuid: string): Promise<void> {
  const rows = await trx
    .selectFrom("allocations as a")
    .innerJoin("consumers as c", "c.uuid", "a.consumer_id")
    .select(["a.id", "c.uuid"])
    .where("a.consumer_id", "=", consumerUuid)
    .execute();
  if (!rows.length) throw new NotFound(`No allocations for consumer '${consumerUuid}'`);
  // NOTE: as in the reference, removing allocations does not bump provider or consumer generations.
  await trx
    .deleteFrom("allocations")
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  await deleteConsumersWithoutAllocations(trx, [rows[0]!.uuid]);
}

/**
 * The order CPython 3 iterates `set(ints)` built from this sequence (small non-negative ints hash
 * to themselves): open addressing with linear probes, and a 4x resize when 3/5 full.
 */
export function pythonSetOrder(values: readonly number[]): number[] {
  const LINEAR_PROBES = 9;
  const PERTURB_SHIFT = 5;
  let table: (number | undefined)[] = new Array(8).fill(undefined);
  let used = 0;
  const place = (t: (number | undefined)[], v: number): boolean => {
    const mask = t.length - 1;
    let perturb = v;
    let i = v & mask;
    for (;;) {
      const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      for (let j = 0; j <= probes; j++) {
        if (t[i + j] === undefined) {
          t[i + j] = v;
          return true;
        }
        if (t[i + j] === v) return false;
      }
      perturb = Math.floor(perturb / 2 ** PERTURB_SHIFT);
      i = (i * 5 + 1 + perturb) & mask;
    }
  };
  for (const v of values) {
    if (!place(table, v)) continue;
    used++;
    if (used * 5 >= (table.length - 1) * 3) {
      let size = 8;
      while (size <= used * 4) size *= 2;
      const next: (number | undefined)[] = new Array(size).fill(undefined);
      for (const x of table) if (x !== undefined) place(next, x);
      table = next;
    }
  }
  return table.filter((x): x is number => x !== undefined);
}
