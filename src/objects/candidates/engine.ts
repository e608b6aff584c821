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
  private readonly classCache = new Map<number, Map<number, SymClass>>();
  private readonly order: RequestGroup[];
  private readonly isolate: boolean;
  private readonly dedup: boolean;

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

  private slotsFor(anchor: number): Slot[] | undefined {
    if (!this.anchorOk(anchor)) return undefined;
    const slots: Slot[] = [];
    const slotsOfSuffix = new Map<string, number[]>();
    for (const g of this.order) {
      const start = slots.length;
      if (isMultiProvider(this.world, g)) {
        const rcs = [...g.resources];
        rcs.forEach(([rc, amount], i) => {
          const options = this.multiOptions(g, rc, amount, anchor);
          slots.push({
            group: g,
            amounts: [[rc, amount]],
            options,
            granular: false,
            closesFrom: i === rcs.length - 1 ? start : undefined,
            subtreeChecks: [],
          });
        });
      } else {
        slots.push({ group: g, amounts: [...g.resources], options: this.singleOptions(g, anchor), granular: g.useSameProvider, subtreeChecks: [] });
      }
      if (slots.slice(start).some((s) => s.options.length === 0)) return undefined;
      slotsOfSuffix.set(g.suffix, slots.slice(start).map((_, i) => start + i));
    }
    for (const set of this.req.wide.sameSubtrees) {
      const idx = set.flatMap((s) => slotsOfSuffix.get(s) ?? []);
      if (idx.length === 0) continue;
      slots[Math.max(...idx)]!.subtreeChecks.push(idx);
    }
    return slots;
  }

  /** Identical leaf siblings of a tree (same parent, inventory, usage, traits, aggregates). */
  private classes(anchor: number): Map<number, SymClass> {
    let m = this.classCache.get(anchor);
    if (m) return m;
    m = new Map();
    const tree = this.world.byRoot.get(anchor) ?? [];
    const parents = new Set(tree.map((p) => p.parentId));
    const byKey = new Map<string, Provider[]>();
    for (const p of tree) {
      if (parents.has(p.id) || p.parentId === null || this.world.sharing.has(p.id)) continue;
      const inv = [...p.inv].sort(([a], [b]) => (a < b ? -1 : 1)).map(([rc, i]) => [rc, i.total, i.reserved, i.minUnit, i.maxUnit, i.stepSize, i.ratio, i.used]);
      const key = JSON.stringify([p.parentId, inv, [...p.traits].sort(), [...p.aggs].sort()]);
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
    this.classCache.set(anchor, m);
    return m;
  }

  private sameSubtree(ps: Provider[]): boolean {
    const ids = new Set(ps.map((p) => p.id));
    if (ids.size === 1) return true;
    const ancestors = (p: Provider) => {
      const out = new Set<number>();
      for (let c: Provider | undefined = p; c; c = c.parentId === null ? undefined : this.world.providers.get(c.parentId)) out.add(c.id);
      return out;
    };
    let common: Set<number> | undefined;
    for (const p of ps) {
      const a = ancestors(p);
      common = common ? new Set([...common].filter((x) => a.has(x))) : a;
    }
    return [...common!].some((x) => ids.has(x));
  }

  /** Candidates anchored at one root, lazily. */
  *anchor(anchor: number): Generator<Candidate> {
    const found = this.slotsFor(anchor);
    if (!found) return;
    const slots: Slot[] = found;
    const classOf = this.classes(anchor);
    const n = slots.length;
    const chosen: Provider[] = new Array(n);
    const consumed = new Map<number, Map<string, number>>();
    const useCount = new Map<number, number>();
    const granularUse = new Map<number, number>();
    const usedInClass = new Map<SymClass, number>();
    const state = this.state;
    const isolate = this.isolate;
    const checkNested = !this.req.nestedAware && this.world.hasTrees;
    const self = this;

    function take(p: Provider, amounts: Slot["amounts"]): boolean {
      let m = consumed.get(p.id);
      for (const [rc, amount] of amounts) {
        const cur = (m?.get(rc) ?? 0) + amount;
        const inv = p.inv.get(rc)!;
        if (inv.used + cur > capacityOf(inv) || cur > inv.maxUnit) return false;
      }
      if (!m) consumed.set(p.id, (m = new Map()));
      for (const [rc, amount] of amounts) m.set(rc, (m.get(rc) ?? 0) + amount);
      return true;
    }
    function give(p: Provider, amounts: Slot["amounts"]): void {
      const m = consumed.get(p.id)!;
      if (!m) return;
      for (const [rc, amount] of amounts) m.set(rc, m.get(rc)! - amount);
    }

    function* walk(i: number): Generator<Candidate> {
      if (--state.budget <= 0) {
        state.exhausted = true;
        return;
      }
      if (i === n) {
        if (checkNested && !distinctRoots()) return;
        yield* self.expand(slots, chosen, classOf, usedInClass);
        return;
      }
      const s = slots[i]!;
      for (const p of s.options) {
        const cls = classOf.get(p.id);
        const count = useCount.get(p.id) ?? 0;
        if (cls && count === 0 && cls.members[usedInClass.get(cls) ?? 0] !== p) continue;
        if (s.granular && isolate && (granularUse.get(p.id) ?? 0) > 0) continue;
        if (s.amounts.length && !take(p, s.amounts)) continue;
        chosen[i] = p;
        useCount.set(p.id, count + 1);
        if (cls && count === 0) usedInClass.set(cls, (usedInClass.get(cls) ?? 0) + 1);
        if (s.granular) granularUse.set(p.id, (granularUse.get(p.id) ?? 0) + 1);
        let ok = true;
        if (s.closesFrom !== undefined && s.group.requiredTraits.length) {
          const have = chosen.slice(s.closesFrom, i + 1);
          ok = everyAnyOf(s.group.requiredTraits, (t) => have.some((q) => q.traits.has(t)));
        }
        for (const idx of s.subtreeChecks) if (ok) ok = self.sameSubtree(idx.map((k) => chosen[k]!));
        if (ok) yield* walk(i + 1);
        if (s.granular) granularUse.set(p.id, granularUse.get(p.id)! - 1);
        if (cls && count === 0) usedInClass.set(cls, usedInClass.get(cls)! - 1);
        useCount.set(p.id, count);
        if (s.amounts.length) give(p, s.amounts);
        if (state.exhausted) return;
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

    yield* walk(0);
  }

  /** Every relabeling of a canonical assignment over the classes it uses. */
  private *expand(slots: Slot[], chosen: Provider[], classOf: Map<number, SymClass>, usedInClass: Map<SymClass, number>): Generator<Candidate> {
    const used: [SymClass, number][] = [];
    for (const [c, k] of usedInClass) if (k > 0) used.push([c, k]);
    if (used.length === 0) {
      const c = this.build(slots, chosen, (p) => p);
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
    const allocations = new Map<number, Map<string, number>>();
    const mappings = new Map<string, Set<number>>();
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      const p = sub(chosen[k]!);
      if (s.amounts.length) {
        let m = allocations.get(p.id);
        if (!m) allocations.set(p.id, (m = new Map()));
        for (const [rc, amount] of s.amounts) m.set(rc, (m.get(rc) ?? 0) + amount);
      }
      let ms = mappings.get(s.group.suffix);
      if (!ms) mappings.set(s.group.suffix, (ms = new Set()));
      ms.add(p.id);
    }
    const cand = { allocations, mappings };
    if (this.dedup) {
      const key = candidateKey(cand);
      if (this.state.seen.has(key)) return undefined;
      this.state.seen.add(key);
    }
    return cand;
  }
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
