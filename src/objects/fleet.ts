// Fleet-wide reads for the dashboard (/ui/): totals per resource class, the fullest and emptiest
// providers, pages of trees and consumers, one tree in full. A few statements per answer whatever
// the fleet's size (never one per provider), the same on every database.
import { sql, type Expression, type SqlBool } from "kysely";
import type { Tx } from "../db/tx.js";
import { allocatable, capacityOf } from "./capacity.js";
import { NULL_CONSUMER_TYPE_ALIAS } from "./consumer.js";
import { SHARES_TRAIT } from "./candidates/world.js";

/** Which trees the fleet view counts: each given filter narrows it (trees, not single providers). */
export interface FleetFilter {
  /** Trees with a provider in this aggregate. */
  aggregate?: string;
  /** Trees with a provider that has this trait. */
  trait?: string;
  /** The tree of this provider. */
  tree?: string;
}

export interface ClassTotals {
  name: string;
  /** Providers with an inventory of the class. */
  providers: number;
  total: number;
  reserved: number;
  /** Sum of (total - reserved) * allocation_ratio, each truncated as Placement does. */
  capacity: number;
  used: number;
}

export interface RankedProvider {
  uuid: string;
  name: string | null;
  root_uuid: string;
  root_name: string | null;
  resource_class: string;
  capacity: number;
  used: number;
}

const num = (v: unknown) => Number(v ?? 0);

/** Per provider and class (of one class, when given), what is allocated against it. */
function usageTable(db: Tx, onlyClass?: string) {
  let q = db.selectFrom("allocations").select(["resource_provider_id as rp", "resource_class_id as rc", (eb) => eb.fn.sum<number>("used").as("used")]);
  if (onlyClass !== undefined) q = q.where("resource_class_id", "=", (eb) => eb.selectFrom("resource_classes").select("id").where("name", "=", onlyClass));
  return q.groupBy(["resource_provider_id", "resource_class_id"]).as("u");
}

/** The roots of the providers a subquery selects (by id). */
function rootsOf(ids: Expression<unknown>) {
  return sql`select f.root_provider_id from resource_providers f where f.id in (${ids})`;
}

/**
 * The condition "provider `col` belongs to a tree the filter keeps", or undefined (no filter).
 * NOTE: each filter is a subquery on the placement tables: the planner of every dialect turns
 * these IN lists into semi-joins.
 */
function filterSql(db: Tx, f: FleetFilter, rootCol: string): Expression<SqlBool> | undefined {
  const parts: Expression<SqlBool>[] = [];
  const root = sql.ref(rootCol);
  if (f.aggregate !== undefined) {
    const members = db
      .selectFrom("resource_provider_aggregates as rpa")
      .innerJoin("placement_aggregates as pa", "pa.id", "rpa.aggregate_id")
      .select("rpa.resource_provider_id")
      .where("pa.uuid", "=", f.aggregate);
    parts.push(sql<SqlBool>`${root} in (${rootsOf(members)})`);
  }
  if (f.trait !== undefined) {
    const holders = db
      .selectFrom("resource_provider_traits as rpt")
      .innerJoin("traits as t", "t.id", "rpt.trait_id")
      .select("rpt.resource_provider_id")
      .where("t.name", "=", f.trait);
    parts.push(sql<SqlBool>`${root} in (${rootsOf(holders)})`);
  }
  if (f.tree !== undefined) {
    const tree = db.selectFrom("resource_providers as t").select("t.root_provider_id").where("t.uuid", "=", f.tree);
    parts.push(sql<SqlBool>`${root} in (${tree})`);
  }
  if (!parts.length) return undefined;
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/** How many providers and trees the filter keeps. */
export async function fleetCounts(db: Tx, f: FleetFilter): Promise<{ providers: number; trees: number }> {
  const where = filterSql(db, f, "rp.root_provider_id");
  let q = db
    .selectFrom("resource_providers as rp")
    .select([(eb) => eb.fn.countAll<number>().as("providers"), (eb) => eb.fn.count<number>("rp.root_provider_id").distinct().as("trees")]);
  if (where) q = q.where(where);
  const r = await q.executeTakeFirst();
  return { providers: num(r?.providers), trees: num(r?.trees) };
}

export interface FleetSummary {
  classes: ClassTotals[];
  /** The class providers are ranked by (the one asked, else the class most providers have). */
  resource_class: string | null;
  fullest: RankedProvider[];
  emptiest: RankedProvider[];
}

/**
 * Capacity, reserved and used per resource class over the filter's trees, and the `limit` fullest
 * and emptiest providers of one class by used / capacity (ties by id), in four statements: the
 * inventory sums (grouped by class and limits, so that capacity is truncated per inventory as
 * Placement shows it), the usage sums, the ranked class's inventories with usage, and the ranked
 * providers' names.
 * NOTE: measured at 10,000 providers on SQLite (bench/ui.ts): reading every inventory row into
 * JavaScript costs more than the database's sums, and so does joining every inventory to its usage
 * for the sums; one class's rows sorted here cost less than two sorted statements.
 */
export async function fleetSummary(db: Tx, f: FleetFilter, rankBy: string | undefined, limit: number): Promise<FleetSummary> {
  const where = filterSql(db, f, "rp.root_provider_id");
  const inventories = () => {
    const q = db
      .selectFrom("inventories as i")
      .innerJoin("resource_providers as rp", "rp.id", "i.resource_provider_id")
      .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id");
    return where ? q.where(where) : q;
  };
  const sums = await inventories()
    .select(["rc.name", "i.total", "i.reserved", "i.allocation_ratio", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(["rc.id", "rc.name", "i.total", "i.reserved", "i.allocation_ratio"])
    .orderBy("rc.id")
    .execute();
  // NOTE: usage against the filter's providers, summed apart from the inventories (no join needed).
  let usedQ = db
    .selectFrom("allocations as a")
    .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select(["rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
    .groupBy(["rc.id", "rc.name"]);
  if (where) usedQ = usedQ.where(where);
  const usedOf = new Map((await usedQ.execute()).map((r) => [r.name, num(r.used)]));
  const totals = new Map<string, ClassTotals>();
  for (const r of sums) {
    const n = num(r.n);
    const limits = { total: num(r.total), reserved: num(r.reserved), ratio: num(r.allocation_ratio) };
    let t = totals.get(r.name);
    if (!t) totals.set(r.name, (t = { name: r.name, providers: 0, total: 0, reserved: 0, capacity: 0, used: 0 }));
    t.providers += n;
    t.total += limits.total * n;
    t.reserved += limits.reserved * n;
    t.capacity += capacityOf(limits) * n;
    t.used = usedOf.get(r.name) ?? 0;
  }
  const classes = [...totals.values()];
  const ranked = rankBy ?? [...classes].sort((a, b) => b.providers - a.providers)[0]?.name;
  if (!ranked) return { classes, resource_class: null, fullest: [], emptiest: [] };
  const list: { id: number; share: number; capacity: number; used: number }[] = [];
  for (const r of await inventories()
    .leftJoin(usageTable(db, ranked), (j) => j.onRef("u.rp", "=", "i.resource_provider_id").onRef("u.rc", "=", "i.resource_class_id"))
    .select(["i.resource_provider_id as id", "i.total", "i.reserved", "i.allocation_ratio", sql<number>`coalesce(u.used, 0)`.as("used")])
    .where("rc.name", "=", ranked)
    .execute()) {
    const limits = { total: num(r.total), reserved: num(r.reserved), ratio: num(r.allocation_ratio) };
    const used = num(r.used);
    if (allocatable(limits) > 0) list.push({ id: num(r.id), share: used / allocatable(limits), capacity: capacityOf(limits), used });
  }
  const fullest = [...list].sort((a, b) => b.share - a.share || a.id - b.id).slice(0, limit);
  const emptiest = list.sort((a, b) => a.share - b.share || a.id - b.id).slice(0, limit);
  const ids = [...new Set([...fullest, ...emptiest].map((p) => p.id))];
  const names = new Map<number, { uuid: string; name: string | null; root_uuid: string; root_name: string | null }>();
  if (ids.length)
    for (const r of await db
      .selectFrom("resource_providers as rp")
      .innerJoin("resource_providers as root", "root.id", "rp.root_provider_id")
      .select(["rp.id", "rp.uuid", "rp.name", "root.uuid as root_uuid", "root.name as root_name"])
      .where("rp.id", "in", ids)
      .execute())
      names.set(num(r.id), { uuid: r.uuid, name: r.name, root_uuid: r.root_uuid, root_name: r.root_name });
  const view = (p: { id: number; capacity: number; used: number }): RankedProvider => ({
    ...names.get(p.id)!,
    resource_class: ranked,
    capacity: p.capacity,
    used: p.used,
  });
  return { classes, resource_class: ranked, fullest: fullest.map(view), emptiest: emptiest.map(view) };
}

/** What the fleet filters can choose from: aggregates and traits with how many providers have each. */
export async function filterChoices(db: Tx): Promise<{ aggregates: { uuid: string; providers: number }[]; traits: { name: string; providers: number }[] }> {
  const aggs = await db
    .selectFrom("resource_provider_aggregates as rpa")
    .innerJoin("placement_aggregates as pa", "pa.id", "rpa.aggregate_id")
    .select(["pa.uuid", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(["pa.id", "pa.uuid"])
    .orderBy("pa.uuid")
    .execute();
  const traits = await db
    .selectFrom("resource_provider_traits as rpt")
    .innerJoin("traits as t", "t.id", "rpt.trait_id")
    .select(["t.name", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(["t.id", "t.name"])
    .orderBy("t.name")
    .execute();
  return {
    aggregates: aggs.flatMap((a) => (a.uuid ? [{ uuid: a.uuid, providers: num(a.n) }] : [])),
    traits: traits.map((t) => ({ name: t.name, providers: num(t.n) })),
  };
}

/**
 * A LIKE pattern that matches `text` anywhere, case-insensitively (with lower() on the column).
 * NOTE: escaped with `!`: a backslash means different things in MySQL's string literals and the others'.
 */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

export interface TreeSummary {
  uuid: string;
  name: string | null;
  providers: number;
  /** class -> capacity and used over the whole tree. */
  resources: Record<string, { capacity: number; used: number }>;
}

/** One page of roots (by name, then id), matching `search` in name or uuid, with their trees' totals. */
export async function treesPage(db: Tx, search: string | undefined, offset: number, limit: number): Promise<{ total: number; trees: TreeSummary[] }> {
  const match = search ? containsPattern(search) : undefined;
  const roots = () => {
    let q = db.selectFrom("resource_providers as rp").where("rp.parent_provider_id", "is", null);
    if (match) q = q.where(sql<SqlBool>`(lower(rp.name) like ${match} escape '!' or lower(rp.uuid) like ${match} escape '!')`);
    return q;
  };
  const count = await roots()
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  const page = await roots().select(["rp.id", "rp.uuid", "rp.name"]).orderBy("rp.name").orderBy("rp.id").offset(offset).limit(limit).execute();
  const ids = page.map((r) => r.id);
  const sizes = new Map<number, number>();
  const resources = new Map<number, Record<string, { capacity: number; used: number }>>();
  if (ids.length) {
    for (const r of await db
      .selectFrom("resource_providers")
      .select(["root_provider_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("root_provider_id", "in", ids)
      .groupBy("root_provider_id")
      .execute())
      sizes.set(num(r.root_provider_id), num(r.n));
    const inv = await db
      .selectFrom("inventories as i")
      .innerJoin("resource_providers as rp", "rp.id", "i.resource_provider_id")
      .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id")
      .leftJoin(usageTable(db), (j) => j.onRef("u.rp", "=", "i.resource_provider_id").onRef("u.rc", "=", "i.resource_class_id"))
      .select(["rp.root_provider_id", "rc.name", "i.total", "i.reserved", "i.allocation_ratio", sql<number>`coalesce(u.used, 0)`.as("used")])
      .where("rp.root_provider_id", "in", ids)
      .orderBy("rc.id")
      .execute();
    for (const r of inv) {
      const root = num(r.root_provider_id);
      let res = resources.get(root);
      if (!res) resources.set(root, (res = {}));
      const slot = (res[r.name] ??= { capacity: 0, used: 0 });
      slot.capacity += capacityOf({ total: num(r.total), reserved: num(r.reserved), ratio: num(r.allocation_ratio) });
      slot.used += num(r.used);
    }
  }
  return {
    total: num(count?.n),
    trees: page.map((r) => ({ uuid: r.uuid, name: r.name, providers: sizes.get(r.id) ?? 1, resources: resources.get(r.id) ?? {} })),
  };
}

export interface InventoryView {
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  capacity: number;
  used: number;
}

export interface ProviderView {
  uuid: string;
  name: string | null;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
  inventories: Record<string, InventoryView>;
  traits: string[];
  aggregates: string[];
}

/** Providers (by id) with inventories, usage, traits and aggregates, in four statements. */
async function providerViews(db: Tx, where: (q: any) => any): Promise<ProviderView[]> {
  const rows = (await where(
    db
      .selectFrom("resource_providers as rp")
      .leftJoin("resource_providers as parent", "parent.id", "rp.parent_provider_id")
      .innerJoin("resource_providers as root", "root.id", "rp.root_provider_id")
      .select(["rp.id", "rp.uuid", "rp.name", "rp.generation", "parent.uuid as parent_uuid", "root.uuid as root_uuid"])
      .orderBy("rp.id"),
  ).execute()) as { id: number; uuid: string; name: string | null; generation: number | null; parent_uuid: string | null; root_uuid: string }[];
  const ids = rows.map((r) => r.id);
  const byId = new Map<number, ProviderView>();
  for (const r of rows)
    byId.set(r.id, {
      uuid: r.uuid,
      name: r.name,
      generation: num(r.generation),
      parent_provider_uuid: r.parent_uuid,
      root_provider_uuid: r.root_uuid,
      inventories: {},
      traits: [],
      aggregates: [],
    });
  if (!ids.length) return [];
  const inv = await db
    .selectFrom("inventories as i")
    .innerJoin("resource_classes as rc", "rc.id", "i.resource_class_id")
    .leftJoin(usageTable(db), (j) => j.onRef("u.rp", "=", "i.resource_provider_id").onRef("u.rc", "=", "i.resource_class_id"))
    .select([
      "i.resource_provider_id",
      "rc.name",
      "i.total",
      "i.reserved",
      "i.min_unit",
      "i.max_unit",
      "i.step_size",
      "i.allocation_ratio",
      sql<number>`coalesce(u.used, 0)`.as("used"),
    ])
    .where("i.resource_provider_id", "in", ids)
    .orderBy("rc.id")
    .execute();
  for (const r of inv) {
    const limits = { total: num(r.total), reserved: num(r.reserved), ratio: num(r.allocation_ratio) };
    byId.get(r.resource_provider_id)!.inventories[r.name] = {
      total: limits.total,
      reserved: limits.reserved,
      min_unit: num(r.min_unit),
      max_unit: num(r.max_unit),
      step_size: num(r.step_size),
      allocation_ratio: limits.ratio,
      capacity: capacityOf(limits),
      used: num(r.used),
    };
  }
  const traits = await db
    .selectFrom("resource_provider_traits as rpt")
    .innerJoin("traits as t", "t.id", "rpt.trait_id")
    .select(["rpt.resource_provider_id", "t.name"])
    .where("rpt.resource_provider_id", "in", ids)
    .orderBy("t.name")
    .execute();
  for (const t of traits) byId.get(t.resource_provider_id)!.traits.push(t.name);
  const aggs = await db
    .selectFrom("resource_provider_aggregates as rpa")
    .innerJoin("placement_aggregates as pa", "pa.id", "rpa.aggregate_id")
    .select(["rpa.resource_provider_id", "pa.uuid"])
    .where("rpa.resource_provider_id", "in", ids)
    .orderBy("pa.uuid")
    .execute();
  for (const a of aggs) if (a.uuid) byId.get(a.resource_provider_id)!.aggregates.push(a.uuid);
  return [...byId.values()];
}

/**
 * The tree of a provider: every provider of it, and the sharing providers (MISC_SHARES_VIA_AGGREGATE)
 * in an aggregate with one of them. Undefined when no provider has that uuid.
 */
export async function treeOf(db: Tx, uuid: string): Promise<{ providers: ProviderView[]; sharing: ProviderView[] } | undefined> {
  const hit = await db.selectFrom("resource_providers").select("root_provider_id").where("uuid", "=", uuid).executeTakeFirst();
  if (!hit || hit.root_provider_id === null) return undefined;
  const root = hit.root_provider_id;
  const providers = await providerViews(db, (q) => q.where("rp.root_provider_id", "=", root));
  const treeAggs = db
    .selectFrom("resource_provider_aggregates as a")
    .innerJoin("resource_providers as m", "m.id", "a.resource_provider_id")
    .select("a.aggregate_id")
    .where("m.root_provider_id", "=", root);
  const sharingIds = db
    .selectFrom("resource_provider_aggregates as sa")
    .innerJoin("resource_provider_traits as st", "st.resource_provider_id", "sa.resource_provider_id")
    .innerJoin("traits as t", "t.id", "st.trait_id")
    .select("sa.resource_provider_id")
    .where("t.name", "=", SHARES_TRAIT)
    .where("sa.aggregate_id", "in", treeAggs);
  const sharing = await providerViews(db, (q) => q.where("rp.id", "in", sharingIds).where("rp.root_provider_id", "<>", root));
  return { providers, sharing };
}

/** Names and roots of the given providers (the candidate explorer's table), unknown uuids left out. */
export async function providerNames(db: Tx, uuids: readonly string[]): Promise<Record<string, { name: string | null; root_uuid: string | null }>> {
  const out: Record<string, { name: string | null; root_uuid: string | null }> = {};
  if (!uuids.length) return out;
  const rows = await db
    .selectFrom("resource_providers as rp")
    .leftJoin("resource_providers as root", "root.id", "rp.root_provider_id")
    .select(["rp.uuid", "rp.name", "root.uuid as root_uuid"])
    .where("rp.uuid", "in", [...uuids])
    .execute();
  for (const r of rows) out[r.uuid] = { name: r.name, root_uuid: r.root_uuid };
  return out;
}

export interface ConsumerFilter {
  project?: string;
  user?: string;
  /** A consumer type name, or NULL_CONSUMER_TYPE_ALIAS ("unknown") for consumers without one. */
  type?: string;
}

export interface ConsumerSummary {
  uuid: string;
  project_id: string;
  user_id: string;
  consumer_type: string;
  generation: number;
  providers: number;
  usages: Record<string, number>;
}

export interface UsageGroup {
  key: string;
  consumers: number;
  usages: Record<string, number>;
}

function consumersWhere(db: Tx, f: ConsumerFilter) {
  let q = db
    .selectFrom("consumers as c")
    .innerJoin("projects as p", "p.id", "c.project_id")
    .innerJoin("users as us", "us.id", "c.user_id")
    .leftJoin("consumer_types as ct", "ct.id", "c.consumer_type_id");
  if (f.project !== undefined) q = q.where("p.external_id", "=", f.project);
  if (f.user !== undefined) q = q.where("us.external_id", "=", f.user);
  if (f.type === NULL_CONSUMER_TYPE_ALIAS) q = q.where("c.consumer_type_id", "is", null);
  else if (f.type !== undefined) q = q.where("ct.name", "=", f.type);
  return q;
}

/** One page of consumers (by uuid) with their usage, and the total count. */
export async function consumersPage(db: Tx, f: ConsumerFilter, offset: number, limit: number): Promise<{ total: number; consumers: ConsumerSummary[] }> {
  const count = await consumersWhere(db, f)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirst();
  const page = await consumersWhere(db, f)
    .select(["c.uuid", "c.generation", "p.external_id as project", "us.external_id as user", "ct.name as type"])
    .orderBy("c.uuid")
    .offset(offset)
    .limit(limit)
    .execute();
  const byUuid = new Map<string, ConsumerSummary>();
  for (const r of page)
    byUuid.set(r.uuid, {
      uuid: r.uuid,
      project_id: r.project,
      user_id: r.user,
      consumer_type: r.type ?? NULL_CONSUMER_TYPE_ALIAS,
      generation: num(r.generation),
      providers: 0,
      usages: {},
    });
  if (byUuid.size) {
    const rows = await db
      .selectFrom("allocations as a")
      .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
      .select(["a.consumer_id", "a.resource_provider_id", "rc.name", "a.used"])
      .where("a.consumer_id", "in", [...byUuid.keys()])
      .orderBy("rc.id")
      .execute();
    const providers = new Map<string, Set<number>>();
    for (const r of rows) {
      const c = byUuid.get(r.consumer_id)!;
      c.usages[r.name] = (c.usages[r.name] ?? 0) + num(r.used);
      let set = providers.get(r.consumer_id);
      if (!set) providers.set(r.consumer_id, (set = new Set()));
      set.add(r.resource_provider_id);
    }
    for (const [uuid, set] of providers) byUuid.get(uuid)!.providers = set.size;
  }
  return { total: num(count?.n), consumers: [...byUuid.values()] };
}

/** Consumers and usage grouped by project, user or consumer type, over the filter (two statements). */
export async function usageGroups(db: Tx, f: ConsumerFilter, by: "project" | "user" | "type"): Promise<UsageGroup[]> {
  const col = by === "project" ? "p.external_id" : by === "user" ? "us.external_id" : "ct.name";
  const counts = await consumersWhere(db, f)
    .select([sql<string | null>`${sql.ref(col)}`.as("k"), (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy(col as never)
    .execute();
  const sums = await consumersWhere(db, f)
    .innerJoin("allocations as a", "a.consumer_id", "c.uuid")
    .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
    .select([sql<string | null>`${sql.ref(col)}`.as("k"), "rc.name", (eb) => eb.fn.sum<number>("a.used").as("used")])
    .groupBy([col, "rc.id", "rc.name"] as never)
    .orderBy("rc.id")
    .execute();
  const groups = new Map<string, UsageGroup>();
  for (const c of counts) {
    const key = c.k ?? NULL_CONSUMER_TYPE_ALIAS;
    groups.set(key, { key, consumers: num(c.n), usages: {} });
  }
  for (const s of sums) groups.get(s.k ?? NULL_CONSUMER_TYPE_ALIAS)!.usages[s.name] = num(s.used);
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
