// The candidate search over a loaded World, as pure functions. Per anchor root it lists the
// options of every request group (the reference's per-group allocation requests), then walks the
// product depth-first with pruning (capacity after consolidation, group_policy=isolate,
// same_subtree), generating lazily so that a limit bounds the work. Identical leaf siblings are one
// equivalence class: the walk only visits canonical assignments (a class member is used only after
// the ones before it), and every canonical result is expanded into all its relabelings, so the set
// produced is exactly the reference's while dead ends are explored once per class, not per member.
import type { CandidateRequest, RequestGroup } from "./request.js";
import { capacityOf, fits, providerKey, SHARES_TRAIT, treeShape, type Provider, type World } from "./world.js";
import { at, first } from "@berth/client/common";

export interface Candidate {
  /** provider id -> class -> amount (consolidated over groups). */
  readonly allocations: Map<number, Map<string, number>>;
  /** group suffix -> providers satisfying it. */
  readonly mappings: Map<string, Set<number>>;
}

export type Strategy = "depth-first" | "breadth-first";

export interface SearchState {
  /** Search steps left; the search stops (keeping what it found) when this reaches 0. */
  budget: number;
  exhausted: boolean;
  /** Keys of candidates already produced: with sharing providers a candidate can recur under several anchors. */
  readonly seen: Set<string>;
}

export const newSearchState = (budget = 5_000_000): SearchState => ({ budget, exhausted: false, seen: new Set() });

interface Slot {
  readonly group: RequestGroup;
  readonly amounts: readonly (readonly [string, number])[];
  readonly granular: boolean;
  /** A slot of the multi-provider group (one per class): its options are the tree's providers with that class. */
  readonly multi: boolean;
  /** For the last slot of a multi-provider group: where the group's slots start. */
  readonly closesFrom?: number;
  /** same_subtree sets (as slot indexes) that are complete once this slot is chosen. */
  readonly subtreeChecks: number[][];
}

interface SymClass {
  readonly members: Provider[];
}

interface Template {
  /** The walk ran to its end (not cut short by the budget, nor abandoned by a limit). */
  complete: boolean;
  /** Each candidate as a position in the tree's list per slot. */
  readonly candidates: number[][];
}

/** Every any-of has a member in `set` (loops, not closures: this runs per provider and group). */
export function hasEveryAnyOf(anyOfs: readonly string[][], set: ReadonlySet<string>): boolean {
  for (let i = 0; i < anyOfs.length; i++) {
    const anyOf = at(anyOfs, i);
    let hit = false;
    for (let j = 0; j < anyOf.length; j++) {
      if (set.has(at(anyOf, j))) {
        hit = true;
        break;
      }
    }
    if (!hit) return false;
  }
  return true;
}

/** Some member of `xs` is in `set`. */
export function hasAny(xs: readonly string[], set: ReadonlySet<string>): boolean {
  for (let i = 0; i < xs.length; i++) if (set.has(at(xs, i))) return true;
  return false;
}

/** The reference's tree-aware path: the unsuffixed group when trees or sharing providers exist. */
export function isMultiProvider(world: World, g: RequestGroup): boolean {
  return !g.useSameProvider && (world.hasTrees || world.sharing.size > 0);
}

/** Every resource of the group fits the provider on its own. */
export function resourcesFit(p: Provider, g: RequestGroup): boolean {
  const list = entriesOf(g.resources);
  for (let i = 0; i < list.length; i++) if (!fits(p.inv.get(at(list, i)[0]), at(list, i)[1])) return false;
  return true;
}

/** A group's resources as an array, once per map. NOTE: iterating the map itself allocates an entry per class per call. */
const entryLists = new WeakMap<ReadonlyMap<string, number>, readonly (readonly [string, number])[]>();
function entriesOf(m: ReadonlyMap<string, number>): readonly (readonly [string, number])[] {
  let l = entryLists.get(m);
  if (!l) entryLists.set(m, (l = [...m]));
  return l;
}

/** A provider satisfies a group on its own (the reference's single-provider path), ignoring in_tree. */
export function matchesAlone(p: Provider, g: RequestGroup): boolean {
  if (g.resources.size === 0) {
    // NOTE: the reference finds nothing for a resourceless group without required traits or member_of.
    if (g.requiredTraits.length === 0 && g.memberOf.length === 0) return false;
  } else if (!resourcesFit(p, g)) return false;
  return (
    hasEveryAnyOf(g.requiredTraits, p.traits) && hasEveryAnyOf(g.memberOf, p.aggs) && !hasAny(g.forbiddenAggs, p.aggs) && !hasAny(g.forbiddenTraits, p.traits)
  );
}

export class Searcher {
  private readonly sharingFor = new Map<number, Provider[]>();
  private readonly order: RequestGroup[];
  private readonly isolate: boolean;
  private readonly dedup: boolean;
  private readonly checkNested: boolean;
  /** Every aggregate the request names: the only ones that can tell two siblings apart. */
  private readonly namedAggs: string[];
  private readonly slots: Slot[];
  /**
   * Tree shape -> the candidates of the first tree of that shape, as positions in its list (per
   * slot); undefined when trees cannot stand for each other (sharing providers, in_tree, a world
   * read for this request only).
   */
  private readonly byShape?: Map<string, Template>;
  /** Tree shape -> whether a tree of that shape has a candidate (hasCandidate; same condition as byShape). */
  private readonly hasByShape = new Map<string, boolean>();

  constructor(
    private readonly world: World,
    private readonly req: CandidateRequest,
    private readonly state: SearchState,
  ) {
    for (const [s, anchors] of world.sharingAnchors) {
      const p = world.providers.get(s);
      if (!p) continue;
      for (const a of anchors) {
        let l = this.sharingFor.get(a);
        if (!l) this.sharingFor.set(a, (l = []));
        l.push(p);
      }
    }
    // The multi-provider group first: it prunes most.
    this.order = [...req.groups].sort((a, b) => Number(a.useSameProvider) - Number(b.useSameProvider));
    this.isolate = req.wide.groupPolicy === "isolate";
    this.dedup = world.sharing.size > 0;
    this.checkNested = !req.nestedAware && world.hasTrees;
    this.namedAggs = [...new Set(req.groups.flatMap((g) => [...g.memberOf.flat(), ...g.forbiddenAggs]))].sort();
    this.slots = this.plan();
    if (world.stable && world.sharing.size === 0 && req.groups.every((g) => g.inTree === undefined)) this.byShape = new Map();
  }

  private anchorOk(a: number): boolean {
    return !this.world.anchorRoots || this.world.anchorRoots.has(a);
  }

  /** The in_tree root a group is limited to: undefined for none, null when the provider does not exist. */
  private inTreeRoot(g: RequestGroup): number | undefined | null {
    if (g.inTree === undefined) return undefined;
    return this.world.inTreeRoots.get(g.inTree) ?? null;
  }

  /** Options of a single-provider group under an anchor. */
  private singleOptions(g: RequestGroup, anchor: number): Provider[] {
    const tree = this.inTreeRoot(g);
    if (tree === null) return NONE;
    // NOTE: the reference ignores in_tree for resourceless groups.
    const limitTree = g.resources.size > 0 ? tree : undefined;
    let out = NONE;
    if (limitTree === undefined || limitTree === anchor) {
      const ps = this.world.byRoot.get(anchor) ?? NONE;
      for (let i = 0; i < ps.length; i++) if (matchesAlone(at(ps, i), g)) out = withOption(out, at(ps, i));
    }
    const shared = this.sharingFor.get(anchor) ?? NONE;
    for (let i = 0; i < shared.length; i++) {
      const s = at(shared, i);
      if (s.rootId === anchor || !s.traits.has(SHARES_TRAIT)) continue;
      if (limitTree !== undefined && s.rootId !== limitTree) continue;
      if (matchesAlone(s, g)) out = withOption(out, s);
    }
    return out;
  }

  /** Options of the multi-provider group for one class under an anchor. */
  private multiOptions(g: RequestGroup, rc: string, amount: number, anchor: number): Provider[] {
    const tree = this.inTreeRoot(g);
    if (tree === null || (tree !== undefined && tree !== anchor)) return NONE;
    const root = this.world.providers.get(anchor);
    if (root && hasAny(g.forbiddenAggs, root.aggs)) return NONE;
    // NOTE: member_of holds for the whole tree when its root is a member.
    const anyMember = g.memberOf.length === 0 || (!!root && hasEveryAnyOf(g.memberOf, root.aggs));
    let out = NONE;
    const ps = this.world.byRoot.get(anchor) ?? NONE;
    for (let i = 0; i < ps.length; i++) {
      const p = at(ps, i);
      if (fits(p.inv.get(rc), amount) && (anyMember || hasEveryAnyOf(g.memberOf, p.aggs)) && this.allowedIn(p, g)) out = withOption(out, p);
    }
    if (tree === undefined) {
      const shared = this.sharingFor.get(anchor) ?? NONE;
      for (let i = 0; i < shared.length; i++) {
        const s = at(shared, i);
        if (s.rootId === anchor || !hasEveryAnyOf(g.memberOf, s.aggs)) continue;
        if (fits(s.inv.get(rc), amount) && this.allowedIn(s, g)) out = withOption(out, s);
      }
    }
    return out;
  }

  /** Neither a forbidden aggregate nor a forbidden trait of the group. */
  private allowedIn(p: Provider, g: RequestGroup): boolean {
    return !hasAny(g.forbiddenAggs, p.aggs) && !hasAny(g.forbiddenTraits, p.traits);
  }

  /** The slots: the same for every anchor (a multi-provider group has one per class). */
  private plan(): Slot[] {
    const slots: Slot[] = [];
    const slotsOfSuffix = new Map<string, number[]>();
    for (const g of this.order) {
      const start = slots.length;
      if (isMultiProvider(this.world, g)) {
        const rcs = [...g.resources];
        rcs.forEach(([rc, amount], i) => {
          slots.push({
            group: g,
            amounts: [[rc, amount]],
            granular: false,
            multi: true,
            closesFrom: i === rcs.length - 1 ? start : undefined,
            subtreeChecks: [],
          });
        });
      } else {
        slots.push({ group: g, amounts: [...g.resources], granular: g.useSameProvider, multi: false, subtreeChecks: [] });
      }
      slotsOfSuffix.set(
        g.suffix,
        slots.slice(start).map((_, i) => start + i),
      );
    }
    for (const set of this.req.wide.sameSubtrees) {
      const idx = set.flatMap((s) => slotsOfSuffix.get(s) ?? []);
      if (idx.length === 0) continue;
      at(slots, Math.max(...idx)).subtreeChecks.push(idx);
    }
    return slots;
  }

  /** Each slot's options under an anchor, or undefined when some slot has none. */
  private optionsFor(anchor: number): Provider[][] | undefined {
    if (!this.anchorOk(anchor)) return undefined;
    const slots = this.slots;
    const options: Provider[][] = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = at(slots, i);
      const o = s.multi ? this.multiOptions(s.group, first(s.amounts)[0], first(s.amounts)[1], anchor) : this.singleOptions(s.group, anchor);
      if (o.length === 0) return undefined;
      options[i] = o;
    }
    return options;
  }

  /** Identical leaf siblings of a tree (same parent, inventory, usage, traits, named aggregates). */
  private classes(anchor: number): Map<number, SymClass> {
    const tree = this.world.byRoot.get(anchor);
    if (!tree || tree.length < 3) return NO_CLASSES;
    let m: Map<number, SymClass> | undefined;
    for (const leaves of leafSiblings(tree, this.world.sharing)) {
      // NOTE: two siblings (the common case) are compared directly; shape keys are for many.
      if (leaves.length === 2 && !sameShape(first(leaves), at(leaves, 1), this.namedAggs)) continue;
      const byKey = new Map<string, Provider[]>();
      for (const p of leaves) {
        const key = shapeKey(p, this.namedAggs);
        let l = byKey.get(key);
        if (!l) byKey.set(key, (l = []));
        l.push(p);
      }
      for (const members of byKey.values()) {
        if (members.length < 2) continue;
        const c: SymClass = { members };
        for (const p of members) (m ??= new Map()).set(p.id, c);
      }
    }
    return m ?? NO_CLASSES;
  }

  /** Some provider of chosen[idx...] is an ancestor (or itself) of every other. */
  private sameSubtree(idx: readonly number[], chosen: readonly Provider[]): boolean {
    const providers = this.world.providers;
    for (const t of idx) {
      const top = at(chosen, t);
      let all = true;
      for (const k of idx) {
        let c: Provider | undefined = at(chosen, k);
        while (c && c.id !== top.id) c = c.parentId === null ? undefined : providers.get(c.parentId);
        if (!c) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  /**
   * Slot i may take p, given the choices of the slots before it. NOTE: what the earlier choices
   * use is summed from `chosen` each time rather than kept in maps: a walk is a few slots deep, and
   * the maps (per anchor, thousands per request) cost more in allocation than the sums in time.
   */
  private allowed(i: number, p: Provider, chosen: readonly Provider[], classOf: Map<number, SymClass>): boolean {
    const slots = this.slots;
    const granular = at(slots, i).granular && this.isolate;
    let uses = 0;
    for (let k = 0; k < i; k++) {
      if (chosen[k] !== p) continue;
      if (granular && at(slots, k).granular) return false;
      uses++;
    }
    if (uses === 0 && classOf.size) {
      // A class member is used only after the members before it (the canonical assignments).
      const cls = classOf.get(p.id);
      if (cls && cls.members[usedOfClass(cls, i, chosen, classOf)] !== p) return false;
    }
    const own = at(slots, i).amounts;
    for (let j = 0; j < own.length; j++) {
      const [rc, amount] = at(own, j);
      let cur = amount;
      if (uses) {
        for (let k = 0; k < i; k++) {
          if (chosen[k] !== p) continue;
          const theirs = at(slots, k).amounts;
          for (let x = 0; x < theirs.length; x++) if (at(theirs, x)[0] === rc) cur += at(theirs, x)[1];
        }
      }
      const inv = p.inv.get(rc)!;
      if (inv.used + cur > capacityOf(inv) || cur > inv.maxUnit) return false;
    }
    return true;
  }

  /** The checks that need slot i's choice: a multi-provider group's traits, same_subtree. */
  private closes(i: number, chosen: readonly Provider[]): boolean {
    const s = at(this.slots, i);
    if (s.closesFrom !== undefined && s.group.requiredTraits.length) {
      for (const anyOf of s.group.requiredTraits) {
        let hit = false;
        for (let k = s.closesFrom; k <= i && !hit; k++) hit = hasAny(anyOf, at(chosen, k).traits);
        if (!hit) return false;
      }
    }
    for (const idx of s.subtreeChecks) if (!this.sameSubtree(idx, chosen)) return false;
    return true;
  }

  /** Before 1.29 a candidate may not take from two providers of one tree. */
  private distinctRoots(chosen: readonly Provider[]): boolean {
    const slots = this.slots;
    for (let a = 0; a < slots.length; a++) {
      if (at(slots, a).amounts.length === 0) continue;
      const p = at(chosen, a);
      for (let b = a + 1; b < slots.length; b++) {
        if (at(slots, b).amounts.length === 0) continue;
        const q = at(chosen, b);
        if (q !== p && q.rootId === p.rootId) return false;
      }
    }
    return true;
  }

  /**
   * Candidates anchored at one root, lazily: slot i's options are tried in order (pos[i] the next),
   * depth-first, one loop over levels rather than a generator per level.
   */
  *anchor(anchor: number): Generator<Candidate> {
    const tree = this.byShape && this.anchorOk(anchor) ? this.world.byRoot.get(anchor) : undefined;
    if (!tree) {
      yield* this.walk(anchor);
      return;
    }
    // NOTE: a tree of a shape already walked in full takes that walk's candidates, relabelled.
    const shape = treeShape(tree);
    const t = this.byShape!.get(shape);
    if (t?.complete) {
      const state = this.state;
      for (const positions of t.candidates) {
        if (--state.budget <= 0) {
          state.exhausted = true;
          return;
        }
        const providers: Provider[] = new Array(positions.length);
        for (let k = 0; k < positions.length; k++) providers[k] = at(tree, at(positions, k));
        yield new Chosen(this.slots, providers);
      }
      return;
    }
    if (t) {
      // Its first tree's walk is still going on (breadth-first): walk this one too.
      yield* this.walk(anchor);
      return;
    }
    const template: Template = { complete: false, candidates: [] };
    this.byShape!.set(shape, template);
    const pos = new Map<number, number>();
    for (let i = 0; i < tree.length; i++) pos.set(at(tree, i).id, i);
    for (const c of this.walk(anchor)) {
      template.candidates.push((c as Chosen).providers.map((p) => pos.get(p.id)!));
      yield c;
    }
    template.complete = !this.state.exhausted;
  }

  /**
   * Whether the anchor has at least one candidate, ignoring candidates already produced at other
   * anchors (undefined: the state's budget ran out before the walk could tell). Trees of one shape
   * answer alike. For explanations (explain.ts): the search itself decides, not a copy of its rules.
   */
  hasCandidate(anchor: number): boolean | undefined {
    const tree = this.byShape && this.anchorOk(anchor) ? this.world.byRoot.get(anchor) : undefined;
    const shape = tree ? treeShape(tree) : undefined;
    const known = shape === undefined ? undefined : this.hasByShape.get(shape);
    if (known !== undefined) return known;
    this.state.seen.clear();
    this.state.exhausted = false;
    const walk = this.walk(anchor);
    const first = walk.next();
    walk.return(undefined);
    const answer = !first.done ? true : this.state.exhausted ? undefined : false;
    if (shape !== undefined && answer !== undefined) this.hasByShape.set(shape, answer);
    return answer;
  }

  /** Candidates anchored at one root, walked. */
  private *walk(anchor: number): Generator<Candidate> {
    const options = this.optionsFor(anchor);
    if (!options) return;
    const state = this.state;
    const n = options.length;
    const classOf = this.classes(anchor);
    const chosen: Provider[] = new Array(n);
    if (--state.budget <= 0) {
      state.exhausted = true;
      return;
    }
    if (n === 1 && first(this.slots).closesFrom === undefined && classOf.size === 0 && !this.checkNested) {
      // NOTE: one single-provider slot (the flat case): every option already fits on its own and
      // nothing couples choices, so the walk below would accept each; same budget accounting.
      for (const p of first(options)) {
        if (--state.budget <= 0) {
          state.exhausted = true;
          return;
        }
        chosen[0] = p;
        const c = this.build(chosen);
        if (c) yield c;
      }
      return;
    }
    if (n === 0) {
      if (!this.checkNested || this.distinctRoots(chosen)) yield* this.expand(chosen, classOf);
      return;
    }
    const pos: number[] = new Array(n).fill(0);
    let i = 0;
    for (;;) {
      const opts = at(options, i);
      let picked = false;
      let next = at(pos, i);
      while (next < opts.length) {
        const p = at(opts, next++);
        if (!this.allowed(i, p, chosen, classOf)) continue;
        chosen[i] = p;
        if (this.closes(i, chosen)) {
          picked = true;
          break;
        }
      }
      pos[i] = next;
      if (!picked) {
        if (i === 0) return;
        i--;
        continue;
      }
      if (--state.budget <= 0) {
        state.exhausted = true;
        return;
      }
      if (i + 1 < n) {
        pos[++i] = 0;
        continue;
      }
      if (this.checkNested && !this.distinctRoots(chosen)) continue;
      if (classOf.size === 0) {
        const c = this.build(chosen);
        if (c) yield c;
      } else yield* this.expand(chosen, classOf);
      if (state.exhausted) return;
    }
  }

  /** Every relabeling of a canonical assignment over the classes it uses. */
  private *expand(chosen: Provider[], classOf: Map<number, SymClass>): Generator<Candidate> {
    const classes = new Set<SymClass>();
    for (const p of chosen) {
      const c = classOf.get(p.id);
      if (c) classes.add(c);
    }
    const used = [...classes].map((c) => [c, usedOfClass(c, chosen.length, chosen, classOf)] as const);
    if (used.length === 0) {
      const c = this.build(chosen);
      if (c) yield c;
      return;
    }
    const gens = used.map(
      ([c, k]) =>
        () =>
          kPermutations(c.members.length, k),
    );
    const current: number[][] = new Array(used.length);
    const self = this;
    function* level(j: number): Generator<Candidate> {
      if (j === used.length) {
        const sub = (p: Provider) => {
          const c = classOf.get(p.id);
          if (!c) return p;
          const ci = used.findIndex(([x]) => x === c);
          const idx = c.members.indexOf(p);
          return at(c.members, at(at(current, ci), idx));
        };
        const cand = self.build(chosen, sub);
        if (cand) yield cand;
        return;
      }
      for (const perm of at(gens, j)()) {
        current[j] = perm;
        yield* level(j + 1);
        if (self.state.exhausted) return;
      }
    }
    yield* level(0);
  }

  private build(chosen: readonly Provider[], sub?: (p: Provider) => Provider): Candidate | undefined {
    const providers: Provider[] = new Array(chosen.length);
    for (let k = 0; k < chosen.length; k++) providers[k] = sub ? sub(at(chosen, k)) : at(chosen, k);
    const cand = new Chosen(this.slots, providers);
    if (this.dedup) {
      const key = candidateKey(cand);
      if (this.state.seen.has(key)) return undefined;
      this.state.seen.add(key);
    }
    return cand;
  }
}

/** How many members of a class the slots before i use (a prefix of its members, by the walk's order). */
function usedOfClass(cls: SymClass, i: number, chosen: readonly Provider[], classOf: Map<number, SymClass>): number {
  let used = 0;
  for (let k = 0; k < i; k++) {
    const p = at(chosen, k);
    if (classOf.get(p.id) === cls) used = Math.max(used, cls.members.indexOf(p) + 1);
  }
  return used;
}

/** Shared empty option list (never written to). */
const NONE: Provider[] = [];

/** An option list with p added: a list of its own the first time (NONE is never written to). */
function withOption(out: Provider[], p: Provider): Provider[] {
  if (out === NONE) return [p];
  out.push(p);
  return out;
}

/**
 * A tree's leaves that have a leaf sibling, grouped by parent. NOTE: kept per tree list (a
 * snapshot's lists outlive the request, so this is worked out once per snapshot and not per request).
 */
const leafCache = new WeakMap<readonly Provider[], { sharing: ReadonlySet<number>; groups: Provider[][] }>();
function leafSiblings(tree: readonly Provider[], sharing: ReadonlySet<number>): Provider[][] {
  const hit = leafCache.get(tree);
  if (hit && hit.sharing === sharing) return hit.groups;
  const parents = new Set<number | null>();
  for (const p of tree) parents.add(p.parentId);
  const leavesOf = new Map<number, Provider[]>();
  for (const p of tree) {
    if (p.parentId === null || parents.has(p.id) || sharing.has(p.id)) continue;
    let l = leavesOf.get(p.parentId);
    if (!l) leavesOf.set(p.parentId, (l = []));
    l.push(p);
  }
  const groups = [...leavesOf.values()].filter((l) => l.length >= 2).map((l) => l.sort((a, b) => a.id - b.id));
  leafCache.set(tree, { sharing, groups });
  return groups;
}

/**
 * A candidate as the provider chosen for each slot. NOTE: thousands of candidates live until the
 * response is written; two small objects each (instead of a map per provider and a set per group)
 * leave the young-generation collector little to copy. The maps are built when read.
 */
export class Chosen implements Candidate {
  constructor(
    /** The request's slots, a group's slots next to each other. */
    readonly slots: readonly Pick<Slot, "group" | "amounts">[],
    /** The provider chosen for each slot. */
    readonly providers: readonly Provider[],
  ) {}

  get allocations(): Map<number, Map<string, number>> {
    const allocations = new Map<number, Map<string, number>>();
    for (let k = 0; k < this.slots.length; k++) {
      const s = at(this.slots, k);
      if (!s.amounts.length) continue;
      const p = at(this.providers, k);
      let m = allocations.get(p.id);
      if (!m) allocations.set(p.id, (m = new Map()));
      for (const [rc, amount] of s.amounts) m.set(rc, (m.get(rc) ?? 0) + amount);
    }
    return allocations;
  }

  get mappings(): Map<string, Set<number>> {
    const mappings = new Map<string, Set<number>>();
    for (let k = 0; k < this.slots.length; k++) {
      const suffix = at(this.slots, k).group.suffix;
      let ms = mappings.get(suffix);
      if (!ms) mappings.set(suffix, (ms = new Set()));
      ms.add(at(this.providers, k).id);
    }
    return mappings;
  }

  /** Root ids of the providers the candidate takes from. */
  roots(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.slots.length; k++) if (at(this.slots, k).amounts.length) out.push(at(this.providers, k).rootId);
    return out;
  }
}

/** Root ids of the providers a candidate takes from (a root may repeat). */
export function rootsOf(c: Candidate, providers: Map<number, Provider>): number[] {
  if (c instanceof Chosen) return c.roots();
  return [...c.allocations.keys()].map((id) => providers.get(id)!.rootId);
}

/** Shared by every anchor without symmetric siblings (never written to). */
const NO_CLASSES: Map<number, SymClass> = new Map();

/**
 * The same inventories, usage, traits and membership of the named aggregates (what shapeKey
 * encodes), compared in place. NOTE: aggregates the request does not name are ignored, so a world
 * holding every aggregate (a snapshot) forms the same classes as one holding only those named.
 */
function sameShape(a: Provider, b: Provider, named: readonly string[]): boolean {
  if (a.inv.size !== b.inv.size || a.traits.size !== b.traits.size) return false;
  for (const t of a.traits) if (!b.traits.has(t)) return false;
  for (const g of named) if (a.aggs.has(g) !== b.aggs.has(g)) return false;
  for (const [rc, i] of a.inv) {
    const j = b.inv.get(rc);
    if (
      !j ||
      i.total !== j.total ||
      i.reserved !== j.reserved ||
      i.minUnit !== j.minUnit ||
      i.maxUnit !== j.maxUnit ||
      i.stepSize !== j.stepSize ||
      i.ratio !== j.ratio ||
      i.used !== j.used
    )
      return false;
  }
  return true;
}

/** What makes two leaf siblings interchangeable: only the aggregates the request names count. */
function shapeKey(p: Provider, named: readonly string[]): string {
  return providerKey(
    p,
    named.filter((g) => p.aggs.has(g)),
  );
}

export function candidateKey(c: Candidate): string {
  const a = [...c.allocations]
    .map(
      ([p, m]) =>
        `${p}:${[...m]
          .sort()
          .map(([rc, n]) => `${rc}=${n}`)
          .join(",")}`,
    )
    .sort();
  const m = [...c.mappings].map(([s, ps]) => `${s}:${[...ps].sort((x, y) => x - y).join(",")}`).sort();
  return `${a.join(";")}|${m.join(";")}`;
}

/** Ordered k-permutations of 0..n-1, lazily (itertools.permutations(range(n), k)). */
export function* kPermutations(n: number, k: number): Generator<number[]> {
  if (k > n) return;
  const idx = Array.from({ length: n }, (_, i) => i);
  const cycles = Array.from({ length: k }, (_, i) => n - i);
  yield idx.slice(0, k);
  if (n === 0) return;
  for (;;) {
    let i = k - 1;
    for (; i >= 0; i--) {
      cycles[i] = at(cycles, i) - 1;
      if (cycles[i] === 0) {
        idx.push(first(idx.splice(i, 1)));
        cycles[i] = n - i;
      } else {
        const j = n - at(cycles, i);
        [idx[i], idx[j]] = [at(idx, j), at(idx, i)];
        yield idx.slice(0, k);
        break;
      }
    }
    if (i < 0) return;
  }
}

/** Candidates over many anchors, depth-first (anchor by anchor) or breadth-first (round robin). */
export function* acrossAnchors(searcher: Searcher, anchors: Iterable<number>, strategy: Strategy): Generator<Candidate> {
  if (strategy === "depth-first") {
    for (const a of anchors) yield* searcher.anchor(a);
    return;
  }
  let live = [...anchors].map((a) => searcher.anchor(a));
  while (live.length) {
    const next: Generator<Candidate>[] = [];
    for (const g of live) {
      const r = g.next();
      if (!r.done) {
        yield r.value;
        next.push(g);
      }
    }
    live = next;
  }
}
