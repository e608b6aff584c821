// Batched reads for the candidate search: name lookups, the request-wide facts, a SQL prefilter of
// root providers (sound: it never drops a tree that could anchor a candidate) read page by page,
// and whole trees (providers, inventories with usages, traits, the request's aggregates) in four
// queries per chunk.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { Tx } from "../../db/tx.js";
import type { DB } from "../../db/schema.js";
import type { CandidateRequest, RequestGroup } from "./request.js";
import { addProviders, SHARES_TRAIT, type Provider, type World } from "./world.js";
import { rootChecks } from "./prefilter.js";
import type { Row, RowReader } from "./rows.js";
import { fitsSql, INVENTORY_COLUMNS } from "../capacity.js";
import { at, first, last } from "@berth/client/common";

export interface Names {
  classes: Map<string, number>;
  traits: Map<string, number>;
  aggregates: Map<string, number>;
  /** in_tree uuid -> root id, for providers that exist. */
  inTreeRoots: Map<string, number>;
  /** Reverse maps, filled as trees are loaded. */
  classNames: Map<number, string>;
  traitNames: Map<number, string>;
  aggUuids: Map<number, string>;
}

const CHUNK = 1000;
function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Every class, trait (with MISC_SHARES_VIA_AGGREGATE), aggregate and in_tree provider the request names. */
export function requestNames(req: CandidateRequest): { classes: Set<string>; traits: Set<string>; aggregates: Set<string>; trees: Set<string> } {
  const classes = new Set<string>();
  const traits = new Set<string>([SHARES_TRAIT, ...req.wide.rootRequired, ...req.wide.rootForbidden]);
  const aggregates = new Set<string>();
  const trees = new Set<string>();
  for (const g of req.groups) {
    g.resources.forEach((_, rc) => classes.add(rc));
    g.requiredTraits.flat().forEach((t) => traits.add(t));
    g.forbiddenTraits.forEach((t) => traits.add(t));
    g.memberOf.flat().forEach((a) => aggregates.add(a));
    g.forbiddenAggs.forEach((a) => aggregates.add(a));
    if (g.inTree !== undefined) trees.add(g.inTree);
  }
  return { classes, traits, aggregates, trees };
}

/** Ids of every class, trait, aggregate and in_tree provider the request names (unknown ones are absent). */
export async function lookupNames(db: Tx, req: CandidateRequest): Promise<Names> {
  const { classes: rcs, traits, aggregates: aggs, trees } = requestNames(req);
  const [rcRows, traitRows, aggRows, treeRows] = await Promise.all([
    rcs.size
      ? db
          .selectFrom("resource_classes")
          .select(["id", "name"])
          .where("name", "in", [...rcs])
          .execute()
      : [],
    db
      .selectFrom("traits")
      .select(["id", "name"])
      .where("name", "in", [...traits])
      .execute(),
    aggs.size
      ? db
          .selectFrom("placement_aggregates")
          .select(["id", "uuid"])
          .where("uuid", "in", [...aggs])
          .execute()
      : [],
    trees.size
      ? db
          .selectFrom("resource_providers")
          .select(["uuid", "root_provider_id"])
          .where("uuid", "in", [...trees])
          .execute()
      : [],
  ]);
  return {
    classes: new Map(rcRows.map((r) => [r.name, r.id])),
    traits: new Map(traitRows.map((r) => [r.name, r.id])),
    aggregates: new Map(aggRows.map((r) => [r.uuid!, r.id])),
    inTreeRoots: new Map(treeRows.map((r) => [r.uuid, r.root_provider_id!])),
    classNames: new Map(rcRows.map((r) => [r.id, r.name])),
    traitNames: new Map(traitRows.map((r) => [r.id, r.name])),
    aggUuids: new Map(aggRows.map((r) => [r.id, r.uuid!])),
  };
}

/** Whether any provider has a parent, and the sharing providers. */
export async function globalFacts(db: Tx, names: Names): Promise<{ hasTrees: boolean; sharing: { id: number; root: number }[] }> {
  const shareId = names.traits.get(SHARES_TRAIT);
  const [nested, sharing] = await Promise.all([
    db.selectFrom("resource_providers").select("id").where("parent_provider_id", "is not", null).limit(1).execute(),
    shareId === undefined
      ? []
      : db
          .selectFrom("resource_provider_traits as t")
          .innerJoin("resource_providers as p", "p.id", "t.resource_provider_id")
          .select(["p.id", "p.root_provider_id as root"])
          .where("t.trait_id", "=", shareId)
          .execute(),
  ]);
  // NOTE: in id order, as the snapshot lists them: the order options are tried in.
  return { hasTrees: nested.length > 0, sharing: sharing.map((r) => ({ id: r.id, root: r.root! })).sort((a, b) => a.id - b.id) };
}

/** root_required: roots having every required trait and none of the forbidden ones. */
export async function rootsWithTraits(db: Tx, required: number[], forbidden: number[]): Promise<Set<number>> {
  let q = db.selectFrom("resource_providers as root").select("root.id").where("root.parent_provider_id", "is", null);
  for (const t of required) q = q.where((eb) => hasTrait(eb, "root.id", [t]));
  if (forbidden.length) q = q.where((eb) => eb.not(hasTrait(eb, "root.id", forbidden)));
  return new Set((await q.execute()).map((r) => r.id));
}

/** Every root provider's id, in id order (an explanation looks at every tree). */
export async function allRoots(db: Tx): Promise<number[]> {
  const rows = await db.selectFrom("resource_providers").select("id").where("parent_provider_id", "is", null).orderBy("id").execute();
  return rows.map((r) => r.id);
}

/**
 * Sharing provider -> anchor roots (roots of every provider in one of its aggregates), the sharing
 * providers in id order. NOTE: the engine lists each anchor's sharing providers in this map's
 * order, which is the order their options are tried in: the rows come in whatever order the
 * database gives (PostgreSQL's and MySQL's vary with the data), the snapshot lists them by id.
 */
export async function sharingAnchors(db: Tx, sharing: number[]): Promise<Map<number, Set<number>>> {
  const out = new Map<number, Set<number>>();
  for (const id of [...sharing].sort((a, b) => a - b)) out.set(id, new Set());
  for (const part of chunks(sharing)) {
    const rows = await db
      .selectFrom("resource_provider_aggregates as s")
      .innerJoin("resource_provider_aggregates as o", "o.aggregate_id", "s.aggregate_id")
      .innerJoin("resource_providers as p", "p.id", "o.resource_provider_id")
      .select(["s.resource_provider_id as s", "p.root_provider_id as root"])
      .distinct()
      .where("s.resource_provider_id", "in", part)
      .execute();
    for (const r of rows) out.get(r.s)?.add(r.root!);
  }
  for (const [id, set] of out) if (!set.size) out.delete(id);
  return out;
}

/**
 * Loads whole trees into the world (skipping those already there). Only the aggregates the request
 * names are read: no other aggregate can change an answer, and summaries do not list aggregates.
 */
export async function loadTrees(
  db: Tx,
  read: RowReader,
  world: World,
  names: Names,
  rootIds: readonly number[],
  /** Root uuids the caller already read: without trees a root is its whole tree, and needs no re-read. */
  uuids?: Map<number, string>,
): Promise<void> {
  const todo = [...new Set(rootIds)].filter((r) => !world.byRoot.has(r)).sort((a, b) => a - b);
  for (const part of chunks(todo, 5000)) {
    // NOTE: a page of roots that holds (nearly) every root in its id range is read as that range
    // (two parameters: the statement stays small and cheap to build and prepare); a sparse one as
    // IN lists. Rows of other trees are dropped below.
    const lo = first(part);
    const hi = last(part);
    let dense = hi - lo < 3 * part.length;
    if (!dense && part.length > 50) {
      const [n] = await read(
        db
          .selectFrom("resource_providers")
          .select((eb) => eb.fn.countAll<number | string>().as("n"))
          .where("parent_provider_id", "is", null)
          .where("id", ">=", lo)
          .where("id", "<=", hi),
      );
      dense = Number(n![0]) < 1.25 * part.length;
    }
    for (const ids of dense ? [part] : chunks(part)) await loadChunk(db, read, world, names, ids, dense, world.hasTrees ? undefined : uuids);
  }
}

async function loadChunk(db: Tx, read: RowReader, world: World, names: Names, part: number[], dense: boolean, uuids?: Map<number, string>): Promise<void> {
  const wanted = new Set(part);
  const within = <Q extends { where: (...a: any[]) => Q }>(q: Q, col: string): Q =>
    dense ? q.where(col, ">=", part[0]).where(col, "<=", part[part.length - 1]) : q.where(col, "in", part);
  // NOTE: without trees (the caller then passes the uuids) a provider is its own root, and the
  // rows are selected by their own provider id, without the join.
  const inTrees = <Q extends { where: (...a: any[]) => Q; innerJoin: (...a: any[]) => any }>(q: Q, alias: string): Q =>
    uuids
      ? within(q, `${alias}.resource_provider_id`)
      : within(q.innerJoin("resource_providers as p", "p.id", `${alias}.resource_provider_id`) as Q, "p.root_provider_id");
  const aggIds = [...names.aggregates.values()];
  // NOTE: rows are arrays, columns in select order (see rows.ts).
  const [rps, invs, traits, aggs] = await Promise.all([
    uuids
      ? part.map((id): Row => [id, uuids.get(id)!, null, id])
      : read(within(db.selectFrom("resource_providers").select(["id", "uuid", "parent_provider_id", "root_provider_id"]), "root_provider_id")),
    read(
      inTrees(
        db.selectFrom("inventories as i").select([
          "i.resource_provider_id as rp",
          "i.resource_class_id as rc",
          ...INVENTORY_COLUMNS,
          // NOTE: usage per inventory as a correlated sum (an index lookup per row) rather than a
          // separate grouped query joined in memory.
          sql<
            number | string | null
          >`(SELECT sum(a.used) FROM allocations a WHERE a.resource_provider_id = i.resource_provider_id AND a.resource_class_id = i.resource_class_id)`.as(
            "used",
          ),
        ]),
        "i",
      ),
    ),
    read(inTrees(db.selectFrom("resource_provider_traits as t").select(["t.resource_provider_id as rp", "t.trait_id as trait"]), "t")),
    aggIds.length === 0
      ? []
      : read(
          inTrees(
            db
              .selectFrom("resource_provider_aggregates as ra")
              .select(["ra.resource_provider_id as rp", "ra.aggregate_id as agg"])
              .where("ra.aggregate_id", "in", aggIds),
            "ra",
          ),
        ),
  ]);
  await learnNames(db, names, invs, traits);
  const { classNames, traitNames, aggUuids } = names;
  const byId = new Map<number, Provider>();
  const providers: Provider[] = [];
  // NOTE: each tree's providers in id order (the order options are tried in), whatever the plan.
  if (!uuids) rps.sort((a, b) => (a[0] as number) - (b[0] as number));
  for (const r of rps) {
    const root = r[3] as number;
    if (!wanted.has(root) || world.byRoot.has(root)) continue;
    const id = r[0] as number;
    const p: Provider = {
      id,
      uuid: r[1] as string,
      parentId: r[2] as number | null,
      rootId: root,
      inv: new Map(),
      traits: new Set(),
      aggs: aggIds.length ? new Set() : NO_AGGREGATES,
    };
    byId.set(id, p);
    providers.push(p);
  }
  for (const i of invs) {
    const rc = classNames.get(i[1] as number);
    // NOTE: a class deleted between the reads has no name; its inventory cannot be in use.
    if (rc === undefined) continue;
    byId.get(i[0] as number)?.inv.set(rc, {
      total: Number(i[2]),
      reserved: Number(i[3]),
      minUnit: Number(i[4]),
      maxUnit: Number(i[5]),
      stepSize: Number(i[6]),
      ratio: Number(i[7]),
      used: Number(i[8] ?? 0),
    });
  }
  // NOTE: each provider's traits in trait id order, whatever the plan: the order the reference's
  // summary query returns them on SQLite (its (provider, trait) index), and so the
  // order of provider_summaries' traits.
  for (const t of sortByTraitId(traits)) {
    const name = traitNames.get(t[1] as number);
    if (name !== undefined) byId.get(t[0] as number)?.traits.add(name);
  }
  for (const a of aggs) byId.get(a[0] as number)?.aggs.add(aggUuids.get(a[1] as number)!);
  addProviders(world, providers);
}

/**
 * (provider id, trait id) rows with each provider's in trait id order: as they are when already in
 * (provider, trait) order (SQLite's plan; checked in one pass), else sorted by trait id.
 */
export function sortByTraitId(rows: readonly Row[]): readonly Row[] {
  let ordered = true;
  for (let i = 1; i < rows.length && ordered; i++) {
    const a = at(rows, i - 1);
    const b = at(rows, i);
    ordered = (a[0] as number) < (b[0] as number) || (a[0] === b[0] && (a[1] as number) < (b[1] as number));
  }
  return ordered ? rows : [...rows].sort((a, b) => (a[1] as number) - (b[1] as number));
}

/** Shared by providers when the request names no aggregate (never written to). */
const NO_AGGREGATES: Set<string> = new Set();

/** Names of the class and trait ids in these rows that the request did not name (one round trip). */
async function learnNames(db: Tx, names: Names, invs: readonly Row[], traits: readonly Row[]): Promise<void> {
  const classIds = new Set<number>();
  const traitIds = new Set<number>();
  for (const i of invs) if (!names.classNames.has(i[1] as number)) classIds.add(i[1] as number);
  for (const t of traits) if (!names.traitNames.has(t[1] as number)) traitIds.add(t[1] as number);
  if (classIds.size === 0 && traitIds.size === 0) return;
  const [rcs, ts] = await Promise.all([
    classIds.size
      ? db
          .selectFrom("resource_classes")
          .select(["id", "name"])
          .where("id", "in", [...classIds])
          .execute()
      : [],
    traitIds.size
      ? db
          .selectFrom("traits")
          .select(["id", "name"])
          .where("id", "in", [...traitIds])
          .execute()
      : [],
  ]);
  for (const r of rcs) names.classNames.set(r.id, r.name);
  for (const r of ts) names.traitNames.set(r.id, r.name);
}

type RootEb = ExpressionBuilder<DB & { root: DB["resource_providers"] }, "root">;
type AnyEb = ExpressionBuilder<any, any>;

function hasTrait(eb: AnyEb, ref: string, traitIds: number[]): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom("resource_provider_traits as rt")
      .select(sql.lit(1).as("one"))
      .where("rt.resource_provider_id", "=", eb.ref(ref))
      .where("rt.trait_id", "in", traitIds),
  );
}

function inAggregate(eb: AnyEb, ref: string, aggIds: number[]): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom("resource_provider_aggregates as ra")
      .select(sql.lit(1).as("one"))
      .where("ra.resource_provider_id", "=", eb.ref(ref))
      .where("ra.aggregate_id", "in", aggIds),
  );
}

/** The provider `ref` can take `amount` of class `rcId` now (the reference's capacity rule). */
function hasCapacity(eb: AnyEb, ref: string, rcId: number, amount: number): Expression<SqlBool> {
  const a = sql.lit(amount);
  return eb.exists(
    eb
      .selectFrom("inventories as i")
      .select(sql.lit(1).as("one"))
      .where("i.resource_provider_id", "=", eb.ref(ref))
      .where("i.resource_class_id", "=", rcId)
      .where(
        fitsSql(
          "i",
          sql`(SELECT sum(al.used) FROM allocations al WHERE al.resource_provider_id = i.resource_provider_id AND al.resource_class_id = i.resource_class_id)`,
          a,
        ),
      ),
  );
}

/** Conditions on one provider (`ref`, by default `p`) for a single-provider group (capacity, traits, aggregates). */
function providerConds(eb: AnyEb, g: RequestGroup, names: Names, ref = "p.id"): Expression<SqlBool>[] {
  // NOTE: cheap membership tests first; the databases evaluate these AND terms in order.
  const conds: Expression<SqlBool>[] = [];
  for (const anyOf of g.memberOf) conds.push(inAggregate(eb, ref, idsOf(anyOf, names)));
  for (const anyOf of g.requiredTraits)
    conds.push(
      hasTrait(
        eb,
        ref,
        anyOf.map((t) => names.traits.get(t)!),
      ),
    );
  if (g.forbiddenTraits.length)
    conds.push(
      eb.not(
        hasTrait(
          eb,
          ref,
          g.forbiddenTraits.map((t) => names.traits.get(t)!),
        ),
      ),
    );
  if (g.forbiddenAggs.length) conds.push(eb.not(inAggregate(eb, ref, idsOf(g.forbiddenAggs, names))));
  for (const [rc, amount] of g.resources) conds.push(hasCapacity(eb, ref, names.classes.get(rc)!, amount));
  return conds;
}

function idsOf(aggs: string[], names: Names): number[] {
  const ids = aggs.flatMap((a) => (names.aggregates.has(a) ? [names.aggregates.get(a)!] : []));
  return ids.length ? ids : [-1];
}

function someProviderInTree(eb: AnyEb, conds: (eb: AnyEb, ref: string) => Expression<SqlBool>[], trees: boolean): Expression<SqlBool> {
  if (!trees) {
    // NOTE: without trees every provider is its own root: the conditions apply to the root row
    // itself, which saves a probe of the root_provider_id index per root (about a quarter of the
    // flat prefilter's time).
    const c = conds(eb, "root.id");
    return c.length ? eb.and(c) : sql<SqlBool>`1 = 1`;
  }
  let q = eb.selectFrom("resource_providers as p").select(sql.lit(1).as("one")).where("p.root_provider_id", "=", eb.ref("root.id"));
  const c = conds(eb, "p.id");
  if (c.length) q = q.where(eb.and(c));
  return eb.exists(q);
}

/** The prefilter's checks (prefilter.ts) rendered as SQL conditions on `root`. */
function rootConds(eb: RootEb, req: CandidateRequest, names: Names, world: World): Expression<SqlBool>[] {
  const e = eb as AnyEb;
  return rootChecks(req, names, world).map((c) => {
    if ("tree" in c) return eb("root.id", "=", c.tree);
    if ("rootTrait" in c) return hasTrait(e, "root.id", [names.traits.get(c.rootTrait)!]);
    if ("rootWithout" in c)
      return eb.not(
        hasTrait(
          e,
          "root.id",
          c.rootWithout.map((t) => names.traits.get(t)!),
        ),
      );
    if ("rc" in c) return someProviderInTree(e, (x, ref) => [hasCapacity(x, ref, names.classes.get(c.rc)!, c.amount)], world.hasTrees);
    return someProviderInTree(e, (x, ref) => providerConds(x, c.group, names, ref), world.hasTrees);
  });
}

/**
 * One page of candidate roots in id order, after `after`, with their uuids when the deployment has
 * no trees (a root is then its whole tree, and loadTrees need not read it again).
 */
export async function viableRoots(
  db: Tx,
  read: RowReader,
  req: CandidateRequest,
  names: Names,
  world: World,
  after: number,
  limit?: number,
): Promise<{ ids: number[]; uuids?: Map<number, string> }> {
  let q = db
    .selectFrom("resource_providers as root")
    .select(world.hasTrees ? ["root.id"] : ["root.id", "root.uuid"])
    .where("root.parent_provider_id", "is", null)
    .where("root.id", ">", after)
    .where((eb) => eb.and(rootConds(eb, req, names, world)))
    .orderBy("root.id");
  if (limit !== undefined) q = q.limit(limit);
  const rows = await read(q);
  return {
    ids: rows.map((r) => r[0] as number),
    uuids: world.hasTrees ? undefined : new Map(rows.map((r) => [r[0] as number, r[1] as string])),
  };
}
