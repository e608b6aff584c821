// The candidate search over a loaded World, as pure functions. Per anchor root it lists the
// options of every request group (the reference's per-group allocation requests), then walks the
// product depth-first with pruning (capacity after consolidation, group_policy=isolate,
// same_subtree), generating lazily so that a limit bounds the work. Identical leaf siblings are one
// equivalence class: the walk only visits canonical assignments (a class member is used only after
// the ones before it), and every canonical result is expanded into all its relabelings, so the set
// produced is exactly the reference's while dead ends are explored once per class, not per member.
import type { CandidateRequest, RequestGroup } from "./request.js";
import { capacityOf, fits, SHARES_TRAIT, type Provider, type World } from "./world.js";

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
  readonly options: Provider[];
  readonly granular: boolean;
  /** For the last slot of a multi-provider group: where the group's slots start. */
  readonly closesFrom?: number;
  /** same_subtree sets (as slot indexes) that are complete once this slot is chosen. */
  readonly subtreeChecks: number[][];
}

interface SymClass {
  readonly members: Provider[];
}

const everyAnyOf = (anyOfs: readonly string[][], has: (x: string) => boolean) => anyOfs.every((a) => a.some(has));

/** The reference's tree-aware path: the unsuffixed group when trees or sharing providers exist. */
export function isMultiProvider(world: World, g: RequestGroup): boolean {
  return !g.useSameProvider && (world.hasTrees || world.sharing.size > 0);
}

/** A provider satisfies a group on its own (the reference's single-provider path), ignoring in_tree. */
export function matchesAlone(p: Provider, g: RequestGroup): boolean {
  if (g.resources.size === 0) {
    // NOTE: the reference finds nothing for a resourceless group without required traits or member_of.
    if (g.requiredTraits.length === 0 && g.memberOf.length === 0) return false;
  } else {
    for (const [rc, amount] of g.resources) if (!fits(p.inv.get(rc), amount)) return false;
  }
  return (
    everyAnyOf(g.requiredTraits, (t) => p.traits.has(t)) &&
    everyAnyOf(g.memberOf, (a) => p.aggs.has(a)) &&
    !g.forbiddenAggs.some((a) => p.aggs.has(a)) &&
    !g.forbiddenTraits.some((t) => p.traits.has(t))
  );
}

export class Searcher {
  private readonly sharingFor = new Map<number, Provider[]>();
  private readonly order: RequestGroup[];
  private readonly isolate: boolean;
  private readonly dedup: boolean;
  /** Every aggregate the request names: the only ones that can tell two siblings apart. */
  private readonly namedAggs: string[];
  private planned?: Omit<Slot, "options">[];
  /** Requested class name -> its number, for the consumption keys of a walk (filled by plan()). */
  private readonly classIndex = new Map<string, number>();

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
    this.namedAggs = [...new Set(req.groups.flatMap((g) => [...g.memberOf.flat(), ...g.forbiddenAggs]))].sort();
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
    if (tree === null) return [];
    // NOTE: the reference ignores in_tree for resourceless groups.
    const limitTree = g.resources.size > 0 ? tree : undefined;
    const out: Provider[] = [];
    if (limitTree === undefined || limitTree === anchor) {
      for (const p of this.world.byRoot.get(anchor) ?? []) if (matchesAlone(p, g)) out.push(p);
    }
    for (const s of this.sharingFor.get(anchor) ?? []) {
      if (s.rootId === anchor || !s.traits.has(SHARES_TRAIT)) continue;
      if (limitTree !== undefined && s.rootId !== limitTree) continue;
      if (matchesAlone(s, g)) out.push(s);
    }
    return out;
  }

  /** Options of the multi-provider group for one class under an anchor. */
  private multiOptions(g: RequestGroup, rc: string, amount: number, anchor: number): Provider[] {
    const tree = this.inTreeRoot(g);
    if (tree === null || (tree !== undefined && tree !== anchor)) return [];
    const inAggs = (p: Provider) => everyAnyOf(g.memberOf, (a) => p.aggs.has(a));
    const bad = (p: Provider) => g.forbiddenAggs.some((a) => p.aggs.has(a));
    const root = this.world.providers.get(anchor);
    const rootIn = !!root && inAggs(root);
    const rootBad = !!root && bad(root);
    if (rootBad) return [];
    const keep = (p: Provider) =>
      (g.memberOf.length === 0 || rootIn || inAggs(p)) && !bad(p) && !g.forbiddenTraits.some((t) => p.traits.has(t));
    const out: Provider[] = [];
    for (const p of this.world.byRoot.get(anchor) ?? []) if (fits(p.inv.get(rc), amount) && keep(p)) out.push(p);
    if (tree === undefined) {
      for (const s of this.sharingFor.get(anchor) ?? []) {
        if (s.rootId === anchor) continue;
        if (g.memberOf.length && !inAggs(s)) continue;
        if (fits(s.inv.get(rc), amount) && keep(s)) out.push(s);
      }
    }
    return out;
  }

  /** The slots with everything but their options: the same for every anchor. */
  private plan(): Omit<Slot, "options">[] {
    if (this.planned) return this.planned;
    const slots: (Omit<Slot, "options"> & { subtreeChecks: number[][] })[] = [];
    const slotsOfSuffix = new Map<string, number[]>();
    for (const g of this.order) {
      const start = slots.length;
      if (isMultiProvider(this.world, g)) {
        const rcs = [...g.resources];
        rcs.forEach(([rc, amount], i) => {
          slots.push({ group: g, amounts: [[rc, amount]], granular: false, closesFrom: i === rcs.length - 1 ? start : undefined, subtreeChecks: [] });
        });
      } else {
        slots.push({ group: g, amounts: [...g.resources], granular: g.useSameProvider, subtreeChecks: [] });
      }
      slotsOfSuffix.set(g.suffix, slots.slice(start).map((_, i) => start + i));
    }
    for (const s of slots) for (const [rc] of s.amounts) if (!this.classIndex.has(rc)) this.classIndex.set(rc, this.classIndex.size);
    for (const set of this.req.wide.sameSubtrees) {
      const idx = set.flatMap((s) => slotsOfSuffix.get(s) ?? []);
      if (idx.length === 0) continue;
      slots[Math.max(...idx)]!.subtreeChecks.push(idx);
    }
    return (this.planned = slots);
  }

  private slotsFor(anchor: number): Slot[] | undefined {
    if (!this.anchorOk(anchor)) return undefined;
    const plan = this.plan();
    const slots: Slot[] = new Array(plan.length);
    for (let i = 0; i < plan.length; i++) {
      const t = plan[i]!;
      const options = isMultiProvider(this.world, t.group)
        ? this.multiOptions(t.group, t.amounts[0]![0], t.amounts[0]![1], anchor)
        : this.singleOptions(t.group, anchor);
      if (options.length === 0) return undefined;
      slots[i] = { group: t.group, amounts: t.amounts, granular: t.granular, closesFrom: t.closesFrom, subtreeChecks: t.subtreeChecks, options };
    }
    return slots;
  }

  /** Identical leaf siblings of a tree (same parent, inventory, usage, traits, aggregates). */
  private classes(anchor: number): Map<number, SymClass> {
    let m: Map<number, SymClass>;
    const tree = this.world.byRoot.get(anchor) ?? [];
    if (tree.length < 3) return NO_CLASSES;
    m = new Map();
    // NOTE: only leaves with a leaf sibling can be in a class; most trees have none, and the
    // shape key below is the expensive part.
    const parents = new Set<number | null>();
    for (const p of tree) parents.add(p.parentId);
    const leavesOf = new Map<number, Provider[]>();
    for (const p of tree) {
      if (p.parentId === null || parents.has(p.id) || this.world.sharing.has(p.id)) continue;
      let l = leavesOf.get(p.parentId);
      if (!l) leavesOf.set(p.parentId, (l = []));
      l.push(p);
    }
    for (const leaves of leavesOf.values()) {
      if (leaves.length < 2) continue;
      // NOTE: two siblings (the common case) are compared directly; shape keys are for many.
      if (leaves.length === 2 && !sameShape(leaves[0]!, leaves[1]!, this.namedAggs)) continue;
      const byKey = new Map<string, Provider[]>();
      for (const p of leaves) {
        const key = shapeKey(p, this.namedAggs);
        let l = byKey.get(key);
        if (!l) byKey.set(key, (l = []));
        l.push(p);
      }
      for (const members of byKey.values()) {
        if (members.length < 2) continue;
        members.sort((a, b) => a.id - b.id);
        const c: SymClass = { members };
        for (const p of members) m.set(p.id, c);
      }
    }
    return m.size === 0 ? NO_CLASSES : m;
  }

  /** Some provider of chosen[idx...] is an ancestor (or itself) of every other. */
  private sameSubtree(idx: readonly number[], chosen: readonly Provider[]): boolean {
    const providers = this.world.providers;
    for (const t of idx) {
      const top = chosen[t]!;
      let all = true;
      for (const k of idx) {
        let c: Provider | undefined = chosen[k]!;
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

  /** Candidates anchored at one root, lazily. */
  *anchor(anchor: number): Generator<Candidate> {
    const found = this.slotsFor(anchor);
    if (!found) return;
    const slots: Slot[] = found;
    const classOf = this.classes(anchor);
    const n = slots.length;
    const chosen: Provider[] = new Array(n);
    const checkNested = !this.req.nestedAware && this.world.hasTrees;
    if (n === 1 && slots[0]!.closesFrom === undefined && classOf.size === 0 && !checkNested) {
      // NOTE: one single-provider slot (the flat case): every option already fits on its own and
      // nothing couples choices, so the walk below would accept each; same budget accounting.
      const state = this.state;
      if (--state.budget <= 0) {
        state.exhausted = true;
        return;
      }
      for (const p of slots[0]!.options) {
        if (--state.budget <= 0) {
          state.exhausted = true;
          return;
        }
        chosen[0] = p;
        const c = this.build(slots, chosen, same);
        if (c) yield c;
      }
      return;
    }
    // NOTE: one map keyed by provider and class number, rather than a map per provider.
    const consumed = new Map<number, number>();
    const useCount = new Map<number, number>();
    const granularUse = new Map<number, number>();
    const usedInClass = new Map<SymClass, number>();
    const state = this.state;
    const isolate = this.isolate;
    const self = this;

    const classIndex = this.classIndex;
    const width = classIndex.size;
    const keyOf = (p: Provider, rc: string) => p.id * width + classIndex.get(rc)!;
    function take(p: Provider, amounts: Slot["amounts"]): boolean {
      for (const [rc, amount] of amounts) {
        const inv = p.inv.get(rc)!;
        const cur = (consumed.get(keyOf(p, rc)) ?? 0) + amount;
        if (inv.used + cur > capacityOf(inv) || cur > inv.maxUnit) return false;
      }
      for (const [rc, amount] of amounts) {
        const key = keyOf(p, rc);
        consumed.set(key, (consumed.get(key) ?? 0) + amount);
      }
      return true;
    }
    function give(p: Provider, amounts: Slot["amounts"]): void {
      for (const [rc, amount] of amounts) {
        const key = keyOf(p, rc);
        consumed.set(key, consumed.get(key)! - amount);
      }
    }

    // NOTE: the walk is one loop over levels (slot i's options tried in order, pos[i] the next),
    // not a generator per level: each candidate then passes through one generator, not n.
    const pos: number[] = new Array(n).fill(0);
    const clsAt: (SymClass | undefined)[] = new Array(n);
    const countAt: number[] = new Array(n).fill(0);
    const applied: boolean[] = new Array(n).fill(false);
    function undo(i: number): void {
      const s = slots[i]!;
      const p = chosen[i]!;
      const cls = clsAt[i];
      const count = countAt[i]!;
      if (s.granular) granularUse.set(p.id, granularUse.get(p.id)! - 1);
      if (cls && count === 0) usedInClass.set(cls, usedInClass.get(cls)! - 1);
      useCount.set(p.id, count);
      if (s.amounts.length) give(p, s.amounts);
      applied[i] = false;
    }
    /** Chooses p for slot i if the choices so far allow it. */
    function choose(i: number, s: Slot, p: Provider): boolean {
      const cls = classOf.get(p.id);
      const count = useCount.get(p.id) ?? 0;
      if (cls && count === 0 && cls.members[usedInClass.get(cls) ?? 0] !== p) return false;
      if (s.granular && isolate && (granularUse.get(p.id) ?? 0) > 0) return false;
      if (s.amounts.length && !take(p, s.amounts)) return false;
      chosen[i] = p;
      clsAt[i] = cls;
      countAt[i] = count;
      applied[i] = true;
      useCount.set(p.id, count + 1);
      if (cls && count === 0) usedInClass.set(cls, (usedInClass.get(cls) ?? 0) + 1);
      if (s.granular) granularUse.set(p.id, (granularUse.get(p.id) ?? 0) + 1);
      let ok = true;
      if (s.closesFrom !== undefined && s.group.requiredTraits.length) {
        const from = s.closesFrom;
        ok = everyAnyOf(s.group.requiredTraits, (t) => {
          for (let k = from; k <= i; k++) if (chosen[k]!.traits.has(t)) return true;
          return false;
        });
      }
      for (const idx of s.subtreeChecks) if (ok) ok = self.sameSubtree(idx, chosen);
      if (!ok) undo(i);
      return ok;
    }

    function* walk(): Generator<Candidate> {
      if (--state.budget <= 0) {
        state.exhausted = true;
        return;
      }
      if (n === 0) {
        if (!checkNested || distinctRoots()) yield* self.expand(slots, chosen, classOf, usedInClass);
        return;
      }
      let i = 0;
      for (;;) {
        if (applied[i]) {
          undo(i);
          if (state.exhausted) return;
        }
        const s = slots[i]!;
        let picked = false;
        while (pos[i]! < s.options.length) {
          if (choose(i, s, s.options[pos[i]!++]!)) {
            picked = true;
            break;
          }
        }
        if (!picked) {
          if (i === 0) return;
          i--;
          continue;
        }
        if (--state.budget <= 0) {
          state.exhausted = true;
          return;
        }
        if (i + 1 === n) {
          if (!checkNested || distinctRoots()) yield* self.expand(slots, chosen, classOf, usedInClass);
          continue;
        }
        i++;
        pos[i] = 0;
      }
    }

    // Before 1.29 a candidate may not take from two providers of one tree.
    function distinctRoots(): boolean {
      const roots = new Map<number, number>();
      for (let k = 0; k < n; k++) {
        if (slots[k]!.amounts.length === 0) continue;
        const p = chosen[k]!;
        const seen = roots.get(p.rootId);
        if (seen !== undefined && seen !== p.id) return false;
        roots.set(p.rootId, p.id);
      }
      return true;
    }

    yield* walk();
  }

  /** Every relabeling of a canonical assignment over the classes it uses. */
  private *expand(slots: Slot[], chosen: Provider[], classOf: Map<number, SymClass>, usedInClass: Map<SymClass, number>): Generator<Candidate> {
    const used: [SymClass, number][] = [];
    for (const [c, k] of usedInClass) if (k > 0) used.push([c, k]);
    if (used.length === 0) {
      const c = this.build(slots, chosen, same);
      if (c) yield c;
      return;
    }
    const gens = used.map(([c, k]) => () => kPermutations(c.members.length, k));
    const current: number[][] = new Array(used.length);
    const self = this;
    function* level(j: number): Generator<Candidate> {
      if (j === used.length) {
        const sub = (p: Provider) => {
          const c = classOf.get(p.id);
          if (!c) return p;
          const ci = used.findIndex(([x]) => x === c);
          const idx = c.members.indexOf(p);
          return c.members[current[ci]![idx]!]!;
        };
        const cand = self.build(slots, chosen, sub);
        if (cand) yield cand;
        return;
      }
      for (const perm of gens[j]!()) {
        current[j] = perm;
        yield* level(j + 1);
        if (self.state.exhausted) return;
      }
    }
    yield* level(0);
  }

  private build(slots: Slot[], chosen: Provider[], sub: (p: Provider) => Provider): Candidate | undefined {
    const providers: Provider[] = new Array(slots.length);
    for (let k = 0; k < slots.length; k++) providers[k] = sub(chosen[k]!);
    // NOTE: the plan's slots (shared by every anchor), not this anchor's with their options: what a
    // candidate keeps alive until the response is written is the collector's work.
    const cand = new Chosen(this.plan(), providers);
    if (this.dedup) {
      const key = candidateKey(cand);
      if (this.state.seen.has(key)) return undefined;
      this.state.seen.add(key);
    }
    return cand;
  }
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
      const s = this.slots[k]!;
      if (!s.amounts.length) continue;
      const p = this.providers[k]!;
      let m = allocations.get(p.id);
      if (!m) allocations.set(p.id, (m = new Map()));
      for (const [rc, amount] of s.amounts) m.set(rc, (m.get(rc) ?? 0) + amount);
    }
    return allocations;
  }

  get mappings(): Map<string, Set<number>> {
    const mappings = new Map<string, Set<number>>();
    for (let k = 0; k < this.slots.length; k++) {
      const suffix = this.slots[k]!.group.suffix;
      let ms = mappings.get(suffix);
      if (!ms) mappings.set(suffix, (ms = new Set()));
      ms.add(this.providers[k]!.id);
    }
    return mappings;
  }

  /** Root ids of the providers the candidate takes from. */
  roots(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.slots.length; k++) if (this.slots[k]!.amounts.length) out.push(this.providers[k]!.rootId);
    return out;
  }
}

/** Root ids of the providers a candidate takes from (a root may repeat). */
export function rootsOf(c: Candidate, providers: Map<number, Provider>): number[] {
  if (c instanceof Chosen) return c.roots();
  return [...c.allocations.keys()].map((id) => providers.get(id)!.rootId);
}

const same = (p: Provider) => p;

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

/** What makes two leaf siblings interchangeable (names contain none of the separators). */
function shapeKey(p: Provider, named: readonly string[]): string {
  let key = "";
  const inv = p.inv.size > 1 ? [...p.inv].sort(([a], [b]) => (a < b ? -1 : 1)) : p.inv;
  for (const [rc, i] of inv) key += `${rc}:${i.total}:${i.reserved}:${i.minUnit}:${i.maxUnit}:${i.stepSize}:${i.ratio}:${i.used};`;
  key += "|" + (p.traits.size > 1 ? [...p.traits].sort().join(",") : [...p.traits].join(","));
  key += "|" + named.filter((g) => p.aggs.has(g)).join(",");
  return key;
}

export function candidateKey(c: Candidate): string {
  const a = [...c.allocations].map(([p, m]) => `${p}:${[...m].sort().map(([rc, n]) => `${rc}=${n}`).join(",")}`).sort();
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
      cycles[i]!--;
      if (cycles[i] === 0) {
        const [x] = idx.splice(i, 1);
        idx.push(x!);
        cycles[i] = n - i;
      } else {
        const j = n - cycles[i]!;
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
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
