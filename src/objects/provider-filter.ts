// Provider filters as sets of internal provider ids: aggregates (member_of, forbidden), traits
// (required, any-of, forbidden), trees (in_tree) and capacity (resources). Each is a few batched
// queries; GET /resource_providers and the allocation candidate search combine them.
import { sql } from "kysely";
import type { Tx } from "../db/tx.js";
import { fitsSql } from "./capacity.js";
import { DomainError } from "./errors.js";

/** A trait named in a filter does not exist. */
export class UnknownTrait extends DomainError {
  constructor(readonly traitName: string) {
    super(`No such trait(s): ${traitName}.`);
  }
}

/** A resource class named in a filter does not exist. */
export class UnknownResourceClass extends DomainError {
  constructor(readonly className: string) {
    super(`No such resource class ${className}.`);
  }
}

/** AND of any-ofs over `rows` (provider id, member id): providers having one member of every group. */
function matchAllGroups(groups: number[][], rows: { rp: number; member: number }[]): Set<number> {
  const byProvider = new Map<number, Set<number>>();
  for (const r of rows) {
    let s = byProvider.get(r.rp);
    if (!s) byProvider.set(r.rp, (s = new Set()));
    s.add(r.member);
  }
  const out = new Set<number>();
  for (const [rp, members] of byProvider) {
    if (groups.every((g) => g.some((m) => members.has(m)))) out.add(rp);
  }
  return out;
}

/** aggregate uuid -> internal id, for the uuids that exist. */
export async function aggregateIds(trx: Tx, uuids: Iterable<string>): Promise<Map<string, number>> {
  const list = [...new Set(uuids)];
  if (list.length === 0) return new Map();
  const rows = await trx.selectFrom("placement_aggregates").select(["id", "uuid"]).where("uuid", "in", list).execute();
  return new Map(rows.map((r) => [r.uuid!, r.id]));
}

/**
 * Providers associated with at least one aggregate of every group (`member_of`: outer AND, inner OR).
 * A group naming only unknown aggregates matches nothing.
 */
export async function providersInAggregates(trx: Tx, groups: readonly (readonly string[])[]): Promise<Set<number>> {
  const ids = await aggregateIds(trx, groups.flat());
  const idGroups = groups.map((g) => g.flatMap((u) => (ids.has(u) ? [ids.get(u)!] : [])));
  if (idGroups.length === 0 || idGroups.some((g) => g.length === 0)) return new Set();
  const rows = await trx
    .selectFrom("resource_provider_aggregates")
    .select(["resource_provider_id as rp", "aggregate_id as member"])
    .where("aggregate_id", "in", [...new Set(idGroups.flat())])
    .execute();
  return matchAllGroups(idGroups, rows);
}

/** Providers associated with any of these aggregates (forbidden `member_of`). */
export async function providersInAnyAggregate(trx: Tx, uuids: readonly string[]): Promise<Set<number>> {
  return providersInAggregates(trx, [uuids]);
}

/** trait name -> id; throws UnknownTrait for the first name (in the given order) that does not exist. */
export async function resolveTraits(trx: Tx, names: readonly string[]): Promise<Map<string, number>> {
  const list = [...new Set(names)];
  if (list.length === 0) return new Map();
  const rows = await trx.selectFrom("traits").select(["id", "name"]).where("name", "in", list).execute();
  const ids = new Map(rows.map((r) => [r.name, r.id]));
  const missing = list.find((n) => !ids.has(n));
  if (missing !== undefined) throw new UnknownTrait(missing);
  return ids;
}

/** Providers having at least one trait of every group (outer AND, inner OR), by trait id. */
export async function providersWithTraits(trx: Tx, groups: readonly (readonly number[])[]): Promise<Set<number>> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return new Set();
  const rows = await trx
    .selectFrom("resource_provider_traits")
    .select(["resource_provider_id as rp", "trait_id as member"])
    .where("trait_id", "in", [...new Set(groups.flat())])
    .execute();
  return matchAllGroups(
    groups.map((g) => [...g]),
    rows,
  );
}

/** Providers having any of these traits (forbidden traits), by trait id. */
export async function providersWithAnyTrait(trx: Tx, traitIds: readonly number[]): Promise<Set<number>> {
  if (traitIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom("resource_provider_traits")
    .select("resource_provider_id")
    .distinct()
    .where("trait_id", "in", [...new Set(traitIds)])
    .execute();
  return new Set(rows.map((r) => r.resource_provider_id));
}

/** The root provider id of the tree holding the provider with this uuid, or undefined. */
export async function treeRootId(trx: Tx, uuid: string): Promise<number | undefined> {
  const row = await trx
    .selectFrom("resource_providers as rp")
    .innerJoin("resource_providers as root", "root.id", "rp.root_provider_id")
    .select("root.id")
    .where("rp.uuid", "=", uuid)
    .executeTakeFirst();
  return row?.id;
}

/** resource class name -> id; throws UnknownResourceClass for the first name that does not exist. */
export async function resolveResourceClasses(trx: Tx, names: readonly string[]): Promise<Map<string, number>> {
  const list = [...new Set(names)];
  if (list.length === 0) return new Map();
  const rows = await trx.selectFrom("resource_classes").select(["id", "name"]).where("name", "in", list).execute();
  const ids = new Map(rows.map((r) => [r.name, r.id]));
  const missing = list.find((n) => !ids.has(n));
  if (missing !== undefined) throw new UnknownResourceClass(missing);
  return ids;
}

export interface Capacity {
  providerId: number;
  rootId: number | null;
}

/**
 * Providers that can take `amount` of class `rcId` now: (total - reserved) * allocation_ratio
 * covers what is used plus amount, and amount is within min_unit..max_unit and a multiple of
 * step_size. Optionally limited to one tree.
 */
export async function providersWithCapacity(trx: Tx, rcId: number, amount: number, rootId?: number): Promise<Capacity[]> {
  const usage = trx
    .selectFrom("allocations")
    .select(["resource_provider_id", sql<number>`sum(used)`.as("used")])
    .where("resource_class_id", "=", rcId)
    .groupBy("resource_provider_id")
    .as("usage");
  let q = trx
    .selectFrom("resource_providers as rp")
    .innerJoin("inventories as inv", (j) => j.onRef("inv.resource_provider_id", "=", "rp.id").on("inv.resource_class_id", "=", rcId))
    .leftJoin(usage, "usage.resource_provider_id", "inv.resource_provider_id")
    .select(["rp.id", "rp.root_provider_id"])
    .where(fitsSql("inv", sql.ref("usage.used"), sql`${amount}`));
  if (rootId !== undefined) q = q.where("rp.root_provider_id", "=", rootId);
  const rows = await q.execute();
  return rows.map((r) => ({ providerId: r.id, rootId: r.root_provider_id }));
}

/** The filters of GET /resource_providers, already parsed. */
export interface ProviderFilter {
  name?: string;
  uuid?: string;
  inTree?: string;
  memberOf?: string[][];
  forbiddenAggregates?: string[];
  requiredTraits?: string[][];
  forbiddenTraits?: string[];
  resources?: Map<string, number>;
}

/** Restriction to apply on top of the name/uuid/tree query: ids to keep and ids to drop. */
export interface IdRestriction {
  /** undefined = no restriction; an empty set = nothing matches. */
  only?: Set<number>;
  except: Set<number>;
  rootId?: number;
  /** Set when a filter already proves the answer is empty. */
  empty: boolean;
}

function intersect(a: Set<number> | undefined, b: Set<number>): Set<number> {
  if (!a) return b;
  return new Set([...a].filter((x) => b.has(x)));
}

/**
 * Resolves the set-valued filters in the reference's order, which decides which error wins and
 * when an unknown name is never looked at: in_tree, required traits, forbidden traits, member_of,
 * forbidden aggregates, resources. An unknown tree or an empty trait/aggregate match ends early.
 */
export async function resolveFilter(trx: Tx, f: ProviderFilter): Promise<IdRestriction> {
  const r: IdRestriction = { except: new Set(), empty: false };
  const done = () => ({ ...r, empty: true });
  if (f.inTree) {
    r.rootId = await treeRootId(trx, f.inTree);
    if (r.rootId === undefined) return done();
  }
  if (f.requiredTraits?.length) {
    const ids = await resolveTraits(trx, f.requiredTraits.flat());
    const match = await providersWithTraits(
      trx,
      f.requiredTraits.map((g) => g.map((n) => ids.get(n)!)),
    );
    if (match.size === 0) return done();
    r.only = intersect(r.only, match);
  }
  if (f.forbiddenTraits?.length) {
    const ids = await resolveTraits(trx, f.forbiddenTraits);
    for (const id of await providersWithAnyTrait(trx, [...ids.values()])) r.except.add(id);
  }
  if (f.memberOf?.length) {
    const match = await providersInAggregates(trx, f.memberOf);
    if (match.size === 0) return done();
    r.only = intersect(r.only, match);
  }
  if (f.forbiddenAggregates?.length) {
    for (const id of await providersInAnyAggregate(trx, f.forbiddenAggregates)) r.except.add(id);
  }
  if (f.resources?.size) {
    const ids = await resolveResourceClasses(trx, [...f.resources.keys()]);
    for (const [name, amount] of f.resources) {
      const fit = await providersWithCapacity(trx, ids.get(name)!, amount);
      r.only = intersect(r.only, new Set(fit.map((c) => c.providerId)));
    }
  }
  return r;
}
