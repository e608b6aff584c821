// Resource providers: lookup, generations (the one compare-and-swap), and persistence.
import type { Store } from "../db/open.js";
import { insertId, isDuplicateKey, type Tx } from "../db/tx.js";
import { fromDb, nowUtc } from "../db/time.js";
import { ConcurrentUpdate, DomainError, Duplicate, NotFound } from "./errors.js";
import { resolveFilter, type ProviderFilter } from "./provider-filter.js";

export interface ProviderRow {
  id: number;
  uuid: string;
  name: string | null;
  generation: number;
  root_provider_id: number | null;
  parent_provider_id: number | null;
  created_at: string | Date | null;
  updated_at: string | Date | null;
}

/** The provider with this uuid, or undefined. */
export async function findProvider(trx: Tx, uuid: string): Promise<ProviderRow | undefined> {
  const row = await trx.selectFrom("resource_providers").selectAll().where("uuid", "=", uuid).executeTakeFirst();
  return row ? { ...row, generation: row.generation ?? 0 } : undefined;
}

/** The provider with this uuid; throws NotFound. */
export async function getProvider(trx: Tx, uuid: string): Promise<ProviderRow> {
  const row = await findProvider(trx, uuid);
  if (!row) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  return row;
}

/**
 * The compare-and-swap every provider write goes through: bumps the generation only if it is still
 * `expected`; throws ConcurrentUpdate otherwise. Returns the new generation.
 */
export async function bumpGeneration(trx: Tx, providerId: number, expected: number): Promise<number> {
  const r = await trx
    .updateTable("resource_providers")
    .set({ generation: expected + 1, updated_at: nowUtc() })
    .where("id", "=", providerId)
    .where("generation", "=", expected)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new ConcurrentUpdate(`generation of provider ${providerId} changed`);
  return expected + 1;
}

/**
 * The compare-and-swap without the bump: ConcurrentUpdate unless the generation is still `expected`,
 * as committed now. NOTE: a plain read may be older than the last commit (a statement snapshot
 * taken before it); the UPDATE waits for a writer holding the row and then judges the committed
 * row, so a write that went first is never missed. It writes the value it finds (nothing changes).
 */
export async function confirmGeneration(trx: Tx, providerId: number, expected: number): Promise<void> {
  const r = await trx
    .updateTable("resource_providers")
    .set({ generation: expected })
    .where("id", "=", providerId)
    .where("generation", "=", expected)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new ConcurrentUpdate(`generation of provider ${providerId} changed`);
}

// ---- Providers as the API shows them: with their parent's and root's uuids. ----

/** A provider with the uuids of its parent and root. */
export interface ProviderView {
  id: number;
  uuid: string;
  name: string | null;
  generation: number;
  parentUuid: string | null;
  rootUuid: string;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** A provider write the domain refuses; the message is the reference's ObjectActionError text. */
export class ProviderActionError extends DomainError {
  constructor(action: "create" | "update", reason: string) {
    super(`Object action ${action} failed because: ${reason}`);
  }
}

/** The provider still has allocations. */
export class ProviderInUse extends DomainError {
  constructor() {
    super("Resource provider has allocations.");
  }
}

/** The provider still has children. */
export class ProviderHasChildren extends DomainError {}

/** A unique name or uuid is taken; `field` says which (the uuid when both are, as the reference says). */
export class DuplicateProvider extends Duplicate {
  constructor(readonly field: "name" | "uuid") {
    super(`duplicate ${field}`);
  }
}

function viewQuery(trx: Tx) {
  // NOTE: the inner join to the root hides providers without a root id, as the reference does.
  return trx
    .selectFrom("resource_providers as rp")
    .innerJoin("resource_providers as root", "root.id", "rp.root_provider_id")
    .leftJoin("resource_providers as parent", "parent.id", "rp.parent_provider_id")
    .select([
      "rp.id",
      "rp.uuid",
      "rp.name",
      "rp.generation",
      "rp.root_provider_id",
      "rp.created_at",
      "rp.updated_at",
      "root.uuid as root_uuid",
      "parent.uuid as parent_uuid",
    ]);
}

type ViewRow = Awaited<ReturnType<ReturnType<typeof viewQuery>["executeTakeFirstOrThrow"]>>;

function toView(r: ViewRow): ProviderView {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    generation: r.generation ?? 0,
    parentUuid: r.parent_uuid ?? null,
    rootUuid: r.root_uuid,
    createdAt: fromDb(r.created_at),
    updatedAt: fromDb(r.updated_at),
  };
}

/** The provider with this uuid, with parent and root uuids, or undefined. */
export async function findProviderView(trx: Tx, uuid: string): Promise<ProviderView | undefined> {
  const row = await viewQuery(trx).where("rp.uuid", "=", uuid).executeTakeFirst();
  return row ? toView(row) : undefined;
}

/** Providers matching the filter, in id order. Throws UnknownTrait / UnknownResourceClass. */
export async function listProviders(trx: Tx, filter: ProviderFilter): Promise<ProviderView[]> {
  const restriction = await resolveFilter(trx, filter);
  if (restriction.empty || restriction.only?.size === 0) return [];
  let q = viewQuery(trx);
  // NOTE: an empty name means no name filter, as in the reference.
  if (filter.name) q = q.where("rp.name", "=", filter.name);
  if (filter.uuid) q = q.where("rp.uuid", "=", filter.uuid);
  if (restriction.rootId !== undefined) q = q.where("rp.root_provider_id", "=", restriction.rootId);
  const rows = await q.orderBy("rp.id").execute();
  const { only, except } = restriction;
  return rows.filter((r) => (!only || only.has(r.id)) && !except.has(r.id)).map(toView);
}

/** Inserts a provider (a root unless parentUuid is given). Throws ProviderActionError, DuplicateProvider. */
export async function createProvider(store: Store, trx: Tx, input: { uuid: string; name: string; parentUuid?: string | null }): Promise<ProviderView> {
  if (!input.name) throw new ProviderActionError("create", "name is required");
  let parent: ProviderView | undefined;
  if (input.parentUuid != null) {
    if (input.parentUuid === input.uuid) {
      throw new ProviderActionError("create", "parent provider UUID cannot be same as UUID. Please set parent provider UUID to None if there is no parent.");
    }
    parent = await findProviderView(trx, input.parentUuid);
    if (!parent) throw new ProviderActionError("create", "parent provider UUID does not exist.");
  }
  const now = nowUtc();
  const parentRow = parent
    ? await trx.selectFrom("resource_providers").select("root_provider_id").where("id", "=", parent.id).executeTakeFirstOrThrow()
    : undefined;
  // NOTE: checked first because a failed insert aborts a PostgreSQL transaction; the insert's own
  // error still covers a race.
  const taken = await trx
    .selectFrom("resource_providers")
    .select(["uuid"])
    .where((w) => w.or([w("uuid", "=", input.uuid), w("name", "=", input.name)]))
    .execute();
  if (taken.length) throw new DuplicateProvider(taken.some((t) => t.uuid === input.uuid) ? "uuid" : "name");
  let id: number;
  try {
    id = await insertId(store, trx, "resource_providers", {
      uuid: input.uuid,
      name: input.name,
      generation: 0,
      parent_provider_id: parent?.id ?? null,
      root_provider_id: parentRow?.root_provider_id ?? null,
      created_at: now,
    });
  } catch (e) {
    if (isDuplicateKey(e))
      throw new DuplicateProvider(/0name|\.name/.test(`${(e as Error).message} ${(e as { constraint?: string }).constraint ?? ""}`) ? "name" : "uuid");
    throw e;
  }
  // NOTE: a root learns its own id only after the insert; the reference's second write also
  // stamps updated_at, which a child never gets at creation.
  if (!parent) await trx.updateTable("resource_providers").set({ root_provider_id: id, updated_at: now }).where("id", "=", id).execute();
  return (await findProviderView(trx, input.uuid))!;
}

/**
 * Renames and (re)parents a provider. `parentUuid` undefined keeps the parent; below 1.37
 * (`allowReparenting` false) a parent can only be set where there was none. The generation is
 * left alone, as in the reference. Throws ProviderActionError, DuplicateProvider.
 */
export async function updateProvider(
  trx: Tx,
  current: ProviderView,
  change: { name: string; parentUuid?: string | null },
  allowReparenting: boolean,
): Promise<ProviderView> {
  const now = nowUtc();
  const set: Record<string, unknown> = {};
  if (change.name !== current.name) set.name = change.name;
  let newRoot: number | undefined;
  let subtree: number[] = [];
  const parentUuid = change.parentUuid === undefined ? current.parentUuid : change.parentUuid;
  const own = await trx
    .selectFrom("resource_providers")
    .select(["parent_provider_id", "root_provider_id"])
    .where("id", "=", current.id)
    .executeTakeFirstOrThrow();
  if (parentUuid !== null) {
    const parent = await trx.selectFrom("resource_providers").select(["id", "root_provider_id"]).where("uuid", "=", parentUuid).executeTakeFirst();
    if (!parent || parent.root_provider_id === null) throw new ProviderActionError("create", "parent provider UUID does not exist.");
    if (own.parent_provider_id !== null && own.parent_provider_id !== parent.id && !allowReparenting) {
      throw new ProviderActionError("update", "re-parenting a provider is not currently allowed.");
    }
    subtree = await subtreeIds(trx, current);
    if (subtree.includes(parent.id)) throw new ProviderActionError("update", "creating loop in the provider tree is not allowed.");
    if (own.parent_provider_id !== parent.id) set.parent_provider_id = parent.id;
    newRoot = parent.root_provider_id;
  } else if (own.parent_provider_id !== null) {
    if (!allowReparenting) throw new ProviderActionError("update", "un-parenting a provider is not currently allowed.");
    subtree = await subtreeIds(trx, current);
    set.parent_provider_id = null;
    newRoot = current.id;
  }
  const rootMoves = newRoot !== undefined && newRoot !== own.root_provider_id;
  if (rootMoves) set.root_provider_id = newRoot;
  // NOTE: like the reference's ORM, an unchanged row is not written (updated_at stays).
  if (Object.keys(set).length) {
    try {
      await trx
        .updateTable("resource_providers")
        .set({ ...set, updated_at: now })
        .where("id", "=", current.id)
        .execute();
    } catch (e) {
      if (isDuplicateKey(e)) throw new DuplicateProvider("name");
      throw e;
    }
  }
  const below = subtree.filter((id) => id !== current.id);
  if (rootMoves && below.length) {
    await trx.updateTable("resource_providers").set({ root_provider_id: newRoot!, updated_at: now }).where("id", "in", below).execute();
  }
  return (await findProviderView(trx, current.uuid))!;
}

/** Ids of the provider and all its descendants (one read of its tree). */
async function subtreeIds(trx: Tx, p: ProviderView): Promise<number[]> {
  const rows = await trx
    .selectFrom("resource_providers as rp")
    .innerJoin("resource_providers as me", "me.root_provider_id", "rp.root_provider_id")
    .select(["rp.id", "rp.parent_provider_id"])
    .where("me.id", "=", p.id)
    .execute();
  const children = new Map<number, number[]>();
  for (const r of rows) {
    if (r.parent_provider_id === null) continue;
    const list = children.get(r.parent_provider_id) ?? [];
    list.push(r.id);
    children.set(r.parent_provider_id, list);
  }
  const out: number[] = [];
  const stack = [p.id];
  while (stack.length) {
    const id = stack.pop()!;
    if (out.includes(id)) continue;
    out.push(id);
    stack.push(...(children.get(id) ?? []));
  }
  return out;
}

/**
 * Deletes a provider with its inventories, aggregate links and traits. Throws ProviderHasChildren
 * or ProviderInUse (checked in that order).
 */
export async function deleteProvider(trx: Tx, p: ProviderView): Promise<void> {
  const child = await trx.selectFrom("resource_providers").select("id").where("parent_provider_id", "=", p.id).limit(1).executeTakeFirst();
  if (child) throw new ProviderHasChildren();
  const alloc = await trx.selectFrom("allocations").select("id").where("resource_provider_id", "=", p.id).limit(1).executeTakeFirst();
  if (alloc) throw new ProviderInUse();
  await trx.deleteFrom("inventories").where("resource_provider_id", "=", p.id).execute();
  await trx.deleteFrom("resource_provider_aggregates").where("resource_provider_id", "=", p.id).execute();
  await trx.deleteFrom("resource_provider_traits").where("resource_provider_id", "=", p.id).execute();
  // NOTE: a root points at itself; clear that first so the self-referencing key lets it go.
  await trx.updateTable("resource_providers").set({ root_provider_id: null }).where("id", "=", p.id).where("root_provider_id", "=", p.id).execute();
  await trx.deleteFrom("resource_providers").where("id", "=", p.id).execute();
}
