// Traits: standard (os-traits) and CUSTOM_ ones, and the traits of providers.
import type { Store } from "../db/open.js";
import { ignoringDuplicates, type Tx } from "../db/tx.js";
import { fromDb, nowUtc } from "../db/time.js";
import { DomainError, NotFound } from "./errors.js";
import { bumpGeneration, confirmGeneration, type ProviderRow } from "./resource-provider.js";

export const CUSTOM_PREFIX = "CUSTOM_";

export class TraitNotFound extends NotFound {}
export class TraitCannotDeleteStandard extends DomainError {}
export class TraitInUse extends DomainError {}

export interface Trait {
  id: number;
  name: string;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

export interface TraitFilter {
  /** Exact names (`name=in:A,B`). */
  nameIn?: readonly string[];
  /** `name=startswith:P`; a SQL LIKE prefix, as the reference matches it. */
  prefix?: string;
  /** true: on some provider; false: on none. */
  associated?: boolean;
}

type TraitDbRow = { id: number; name: string; created_at: string | Date | null; updated_at: string | Date | null };
const toTrait = (r: TraitDbRow): Trait => ({ id: r.id, name: r.name, createdAt: fromDb(r.created_at), updatedAt: fromDb(r.updated_at) });

/** name -> id for the names that exist. */
export async function traitIds(trx: Tx, names: readonly string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await trx
    .selectFrom("traits")
    .select(["id", "name"])
    .where("name", "in", [...names])
    .execute();
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** The traits matching every given filter, by name. */
export async function listTraits(trx: Tx, filter: TraitFilter = {}): Promise<Trait[]> {
  let q = trx.selectFrom("traits").select(["traits.id", "traits.name", "traits.created_at", "traits.updated_at"]);
  if (filter.nameIn) {
    if (filter.nameIn.length === 0) return [];
    q = q.where("traits.name", "in", [...filter.nameIn]);
  }
  // NOTE: like the reference, the prefix is not escaped (`%` and `_` act as wildcards) and the
  // database's own LIKE decides case sensitivity.
  if (filter.prefix !== undefined) q = q.where("traits.name", "like", `${filter.prefix}%`);
  if (filter.associated !== undefined) {
    const on = filter.associated;
    q = q.where((eb) => {
      const used = eb.exists(eb.selectFrom("resource_provider_traits as rpt").select("rpt.trait_id").whereRef("rpt.trait_id", "=", "traits.id"));
      return on ? used : eb.not(used);
    });
  }
  const rows = await q.orderBy("traits.name").execute();
  return rows.map(toTrait);
}

/** The trait with exactly this name (case-sensitive on every database), or undefined. */
export async function findTrait(trx: Tx, name: string): Promise<Trait | undefined> {
  const rows = await trx.selectFrom("traits").select(["id", "name", "created_at", "updated_at"]).where("name", "=", name).execute();
  const row = rows.find((r) => r.name === name);
  return row ? toTrait(row) : undefined;
}

/** The trait with this name; throws TraitNotFound. */
export async function getTrait(trx: Tx, name: string): Promise<Trait> {
  const t = await findTrait(trx, name);
  if (!t) throw new TraitNotFound(`No such trait(s): ${name}.`);
  return t;
}

/**
 * Inserts a trait unless one of that name exists (another request may have created it a moment
 * ago: its insert is then waited for and skipped, not an error). True when this call created it.
 */
export async function createTrait(store: Pick<Store, "caps">, trx: Tx, name: string, clock?: () => Date): Promise<boolean> {
  const r = await ignoringDuplicates(store, trx.insertInto("traits").values({ name, created_at: nowUtc(clock) })).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Deletes a custom trait no provider has. */
export async function deleteTrait(trx: Tx, name: string): Promise<void> {
  const t = await getTrait(trx, name);
  if (!t.name.startsWith(CUSTOM_PREFIX)) throw new TraitCannotDeleteStandard(`Cannot delete standard trait ${name}.`);
  const use = await trx.selectFrom("resource_provider_traits").select("trait_id").where("trait_id", "=", t.id).limit(1).executeTakeFirst();
  if (use) throw new TraitInUse(`The trait ${name} is in use by a resource provider.`);
  await trx.deleteFrom("traits").where("id", "=", t.id).execute();
}

/**
 * The traits of one provider, by trait id: the order the reference's query returns them on SQLite
 * (through the (provider, trait) index; other databases' plans choose their own).
 */
export async function providerTraits(trx: Tx, providerId: number): Promise<Trait[]> {
  const rows = await trx
    .selectFrom("resource_provider_traits as rpt")
    .innerJoin("traits", "traits.id", "rpt.trait_id")
    .select(["traits.id", "traits.name", "traits.created_at", "traits.updated_at"])
    .where("rpt.resource_provider_id", "=", providerId)
    .orderBy("traits.id")
    .execute();
  return rows.map(toTrait);
}

/**
 * Replaces the provider's traits with `traits`. When the set changes, the generation goes through
 * the compare-and-swap (ConcurrentUpdate if it moved since `provider` was read); an unchanged set
 * leaves the generation alone, as the reference does. Returns the provider's generation.
 */
export async function setProviderTraits(trx: Tx, provider: ProviderRow, traits: readonly Trait[], clock?: () => Date): Promise<number> {
  const have = new Set((await providerTraits(trx, provider.id)).map((t) => t.id));
  const want = new Set(traits.map((t) => t.id));
  const toDelete = [...have].filter((id) => !want.has(id));
  const toAdd = [...want].filter((id) => !have.has(id));
  if (toDelete.length === 0 && toAdd.length === 0) {
    // NOTE: the set read may already hold another writer's commit made after `provider` was read:
    // the generation decides, as for a change.
    await confirmGeneration(trx, provider.id, provider.generation);
    return provider.generation;
  }
  // NOTE: the compare-and-swap goes first so a lost race writes nothing before it fails.
  const generation = await bumpGeneration(trx, provider.id, provider.generation);
  if (toDelete.length) {
    await trx.deleteFrom("resource_provider_traits").where("resource_provider_id", "=", provider.id).where("trait_id", "in", toDelete).execute();
  }
  if (toAdd.length) {
    const now = nowUtc(clock);
    await trx
      .insertInto("resource_provider_traits")
      .values(toAdd.map((trait_id) => ({ trait_id, resource_provider_id: provider.id, created_at: now })))
      .execute();
  }
  return generation;
}

/** The newest of the traits' timestamps (updated, else created), as the reference's last-modified. */
export function lastModified(traits: readonly Trait[]): Date | undefined {
  let best: Date | undefined;
  for (const t of traits) {
    const d = t.updatedAt ?? t.createdAt;
    if (d && (!best || d > best)) best = d;
  }
  return best;
}
