// GET /allocation_candidates as one function: resolve names and request-wide facts, decide between
// an error and an empty answer in the reference's order, then read candidate trees page by page
// and generate candidates until the limit (or max_allocation_candidates) is reached.
import type { Tx } from "../../db/tx.js";
import { providersInAggregates, UnknownResourceClass, UnknownTrait } from "../provider-filter.js";
import type { CandidateRequest, RequestGroup } from "./request.js";
import { acrossAnchors, newSearchState, Searcher, type Candidate, type Strategy } from "./engine.js";
import { allRoots, globalFacts, loadTrees, lookupNames, rootsWithTraits, sharingAnchors, viableRoots, type Names } from "./load.js";
import { emptyWorld, type World } from "./world.js";
import { rowReader } from "./rows.js";
import {
  snapshotAnyInAggregates,
  snapshotNames,
  snapshotRootsWithTraits,
  snapshotViableRoots,
  snapshotWorld,
  type Snapshot,
  type Snapshots,
} from "./snapshot.js";
import type SqliteDatabase from "better-sqlite3";
import type { Store } from "../../db/open.js";
import { at, last } from "@berth/client/common";

export interface SearchOptions {
  /** [placement] max_allocation_candidates; -1 for none. */
  maxCandidates: number;
  randomize: boolean;
  strategy: Strategy;
  /**
   * NOTE: a hard ceiling on candidates generated for one request when nothing else bounds it: a
   * wide symmetric tree can have billions, which no response could carry.
   */
  ceiling?: number;
  random?: () => number;
  /** The store's SQLite connection, if any: the bulk reads then take raw rows from it (rows.ts). */
  sqlite?: SqliteDatabase.Database;
  /** The store's array reader (PostgreSQL), if any: the bulk reads then take rows as arrays. */
  readArrays?: Store["readArrays"];
  /** The store's snapshots: a search answers from one while the database is unchanged. */
  snapshots?: Snapshots;
}

export const DEFAULT_CEILING = 100_000;

export interface SearchResult {
  /** What the response lists. */
  candidates: Candidate[];
  /** Providers (whole trees) the summaries are drawn from. */
  world: World;
  /** Before 1.29 with trees, summaries come from every candidate found, not only those returned. */
  found: Candidate[];
  /** True when the ceiling or the work budget cut the search short. */
  truncated: boolean;
  /** The world is a snapshot's, which later searches share (what is derived from it may be kept). */
  persistent?: boolean;
}

const nothing = (): SearchResult => ({ candidates: [], world: emptyWorld(), found: [], truncated: false });

/** Where a search reads: the database, or a snapshot of it (the same answers). */
interface Source {
  names(req: CandidateRequest): Promise<Names>;
  rootsWithTraits(required: string[], forbidden: string[], names: Names): Promise<Set<number>>;
  /** The request's world, with the sharing providers' trees loaded. */
  world(names: Names, anchorRoots: Set<number> | undefined): Promise<World>;
  viableRoots(req: CandidateRequest, names: Names, world: World, after: number, page: number): Promise<{ ids: number[]; uuids?: Map<number, string> }>;
  loadTrees(world: World, names: Names, roots: readonly number[], uuids?: Map<number, string>): Promise<void>;
  anyInAggregates(memberOf: string[][]): Promise<boolean>;
}

function databaseSource(db: Tx, opts: SearchOptions): Source {
  const read = rowReader(db, opts.sqlite, opts.readArrays);
  return {
    names: (req) => lookupNames(db, req),
    rootsWithTraits: (required, forbidden, names) =>
      rootsWithTraits(
        db,
        required.map((t) => names.traits.get(t)!),
        forbidden.map((t) => names.traits.get(t)!),
      ),
    async world(names, anchorRoots) {
      const facts = await globalFacts(db, names);
      const world = emptyWorld({
        hasTrees: facts.hasTrees,
        sharing: new Set(facts.sharing.map((s) => s.id)),
        sharingAnchors: await sharingAnchors(
          db,
          facts.sharing.map((s) => s.id),
        ),
        anchorRoots,
        inTreeRoots: names.inTreeRoots,
      });
      await loadTrees(
        db,
        read,
        world,
        names,
        facts.sharing.map((s) => s.root),
      );
      return world;
    },
    viableRoots: (req, names, world, after, page) => viableRoots(db, read, req, names, world, after, page),
    loadTrees: (world, names, roots, uuids) => loadTrees(db, read, world, names, roots, uuids),
    anyInAggregates: async (memberOf) => (await providersInAggregates(db, memberOf)).size > 0,
  };
}

function snapshotSource(snap: Snapshot): Source {
  return {
    names: async (req) => snapshotNames(snap, req),
    rootsWithTraits: async (required, forbidden) => snapshotRootsWithTraits(snap, required, forbidden),
    world: async (names, anchorRoots) => snapshotWorld(snap, names, anchorRoots),
    viableRoots: async (req, names, world, after, page) => snapshotViableRoots(snap, req, names, world, after, page),
    loadTrees: async () => {},
    anyInAggregates: async (memberOf) => snapshotAnyInAggregates(snap, memberOf),
  };
}

export async function findCandidates(db: Tx, req: CandidateRequest, opts: SearchOptions): Promise<SearchResult> {
  const snap = await opts.snapshots?.get();
  if (snap || !opts.snapshots) return searchFrom(snap, db, req, opts);
  // NOTE: what reading the database costs while the snapshot is stale decides when rebuilding pays.
  const started = performance.now();
  try {
    return await searchFrom(undefined, db, req, opts);
  } finally {
    opts.snapshots.readCost(performance.now() - started);
  }
}

/**
 * The world an explanation looks at (explain.ts): every tree, with the request's names, sharing
 * providers and root_required roots, read as the search reads them (from the snapshot, or from the
 * database with the search's own loaders when there is none).
 */
export async function wholeWorld(snap: Snapshot | undefined, db: Tx, req: CandidateRequest, opts: SearchOptions): Promise<World> {
  const src = snap ? snapshotSource(snap) : databaseSource(db, opts);
  const names = await src.names(req);
  const { rootRequired, rootForbidden } = req.wide;
  let anchorRoots: Set<number> | undefined;
  if (rootRequired.length || rootForbidden.length) {
    // NOTE: an unknown root trait is the list's 400; an explanation of it sees no allowed root.
    const known = [...rootRequired, ...rootForbidden].every((t) => names.traits.has(t));
    anchorRoots = known ? await src.rootsWithTraits(rootRequired, rootForbidden, names) : new Set();
  }
  const world = await src.world(names, anchorRoots);
  if (!snap) await src.loadTrees(world, names, await allRoots(db));
  return world;
}

/** The search as the list runs it, from a given snapshot (or the database when undefined). */
export async function searchFrom(snap: Snapshot | undefined, db: Tx, req: CandidateRequest, opts: SearchOptions): Promise<SearchResult> {
  const src = snap ? snapshotSource(snap) : databaseSource(db, opts);
  const names = await src.names(req);
  const { rootRequired, rootForbidden } = req.wide;
  for (const t of [...rootRequired, ...rootForbidden]) if (!names.traits.has(t)) throw new UnknownTrait(t);
  let anchorRoots: Set<number> | undefined;
  if (rootRequired.length || rootForbidden.length) {
    anchorRoots = await src.rootsWithTraits(rootRequired, rootForbidden, names);
    if (anchorRoots.size === 0) return nothing();
  }
  const world = await src.world(names, anchorRoots);

  const error = firstLookupError(req.groups, names);
  if (error) {
    // NOTE: the reference walks the groups in order and stops with an empty answer at the first
    // group without candidates, so an unknown name in a later group is then never reported.
    for (const g of req.groups.slice(0, error.index)) {
      const one: CandidateRequest = { groups: [g], wide: { ...req.wide, sameSubtrees: [], groupPolicy: undefined }, nestedAware: true };
      const r = await generate(src, one, names, world, { ...opts, randomize: false }, 1);
      if (r.found.length === 0) return nothing();
    }
    const g = at(req.groups, error.index);
    if (error.kind === "class") throw new UnknownResourceClass(error.name);
    if (g.memberOf.length && !(await src.anyInAggregates(g.memberOf))) return nothing();
    throw new UnknownTrait(error.name);
  }

  const limit = req.wide.limit && req.wide.limit > 0 ? req.wide.limit : Infinity;
  const max = opts.maxCandidates > 0 ? opts.maxCandidates : Infinity;
  const ceiling = opts.ceiling ?? DEFAULT_CEILING;
  const needAll = opts.randomize || (!req.nestedAware && world.hasTrees);
  const target = Math.min(max, ceiling, needAll ? Infinity : limit);
  const r = await generate(src, req, names, world, opts, target);
  let candidates = r.found;
  if (opts.randomize) candidates = sample(candidates, Math.min(limit, candidates.length), opts.random ?? Math.random);
  else if (candidates.length > limit) candidates = candidates.slice(0, limit);
  return { candidates, world, found: r.found, truncated: r.truncated || r.found.length >= ceiling, persistent: !!snap };
}

function firstLookupError(groups: readonly RequestGroup[], names: Names) {
  for (const [index, g] of groups.entries()) {
    for (const rc of g.resources.keys()) if (!names.classes.has(rc)) return { index, kind: "class" as const, name: rc };
    for (const t of [...g.requiredTraits.flat(), ...g.forbiddenTraits]) {
      if (!names.traits.has(t)) return { index, kind: "trait" as const, name: t };
    }
  }
  return undefined;
}

const MAX_PAGE = 5000;

async function generate(src: Source, req: CandidateRequest, names: Names, world: World, opts: SearchOptions, target: number) {
  const state = newSearchState();
  const searcher = new Searcher(world, req, state);
  const found: Candidate[] = [];
  let after = 0;
  // NOTE: without trees and sharing providers, one group's SQL prefilter is exact (a root is a
  // candidate), so a page of `target` roots usually suffices; otherwise read some more.
  const exact = !world.hasTrees && world.sharing.size === 0 && req.groups.length === 1;
  let page = Number.isFinite(target) && !opts.randomize ? Math.min(MAX_PAGE, exact ? target : Math.max(100, Math.ceil(target * 1.2))) : MAX_PAGE;
  while (found.length < target) {
    const { ids: roots, uuids } = await src.viableRoots(req, names, world, after, page);
    if (roots.length === 0) break;
    after = last(roots);
    await src.loadTrees(world, names, roots, uuids);
    const anchors = opts.randomize ? sample(roots, roots.length, opts.random ?? Math.random) : roots;
    for (const c of acrossAnchors(searcher, anchors, opts.strategy)) {
      found.push(c);
      if (found.length >= target) break;
    }
    if (state.exhausted || roots.length < page) break;
    page = Math.min(MAX_PAGE, page * 2);
  }
  return { found, truncated: state.exhausted };
}

/** k items drawn without replacement (Fisher-Yates on a copy). */
function sample<T>(xs: readonly T[], k: number, random: () => number): T[] {
  const a = [...xs];
  for (let i = 0; i < k && i < a.length; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [at(a, j), at(a, i)];
  }
  return a.slice(0, k);
}
