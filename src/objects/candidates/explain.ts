// Why candidates fit or not (GET /allocation_candidates/explain, docs/explain.md), over a world of
// every tree: per request group, how many providers and trees are left after each constraint;
// then the request-wide constraints over trees; then the trees (or providers) that fail the fewest
// constraints, with the amounts. NOTE: one rule, one implementation: the per-provider checks are
// the search's own predicates (capacity.ts, engine.ts) taken apart, and whether a tree has a
// candidate is asked of the search itself (Searcher.hasCandidate); test/property/explain.test.ts
// holds the funnel to the search (a provider passing every check of a group is one of its options,
// and "nothing fits" exactly when the list is empty).
import { allocatable, unitsFit, type Inv } from "../capacity.js";
import { hasAny, hasEveryAnyOf, isMultiProvider, newSearchState, Searcher, type SearchState } from "./engine.js";
import type { CandidateRequest, RequestGroup, RequestWide } from "./request.js";
import { treeShape, type Provider, type World } from "./world.js";

export type Constraint =
  | "requests_nothing"
  | "resource_class"
  | "capacity"
  | "units"
  | "required_traits"
  | "forbidden_traits"
  | "member_of"
  | "forbidden_aggregates"
  | "in_tree"
  | "sharing_providers"
  | "root_required"
  | "group_alone"
  | "every_group"
  | "groups_together"
  | "group_policy"
  | "same_subtree";

/** What a step is about (a Step without its counts). */
type StepInfo = Omit<Step, "providers" | "trees" | "sharing_providers" | "undecided">;

/** One constraint of a funnel, and what is left after it (and every one before it). */
export interface Step {
  constraint: Constraint;
  resource_class?: string;
  amount?: number;
  /** required_traits: the any-of; forbidden_traits; root_required: the traits the root must have. */
  traits?: string[];
  /** root_required: the traits the root must not have. */
  forbidden?: string[];
  aggregates?: string[];
  /** in_tree: the provider whose tree. */
  tree?: string;
  /** same_subtree and group_policy: the group suffixes. */
  groups?: string[];
  /** Providers left; absent on steps judged per tree. */
  providers?: number;
  trees: number;
  /** sharing_providers: sharing providers that pass every check of the group. */
  sharing_providers?: number;
  /** Trees the search could not decide within its budget (counted as not left). */
  undecided?: number;
}

export interface GroupExplanation {
  suffix: string;
  /** The unsuffixed group with trees or sharing providers: its resources may come from several providers of a tree. */
  separate_providers: boolean;
  resources: Record<string, number>;
  required: string[][];
  forbidden: string[];
  member_of: string[][];
  forbidden_aggregates: string[];
  in_tree: string | null;
  steps: Step[];
}

/** Why one provider (or a tree, for the request-wide constraints) fails one constraint. */
export interface Failure {
  constraint: Constraint;
  /** The group's suffix ("" the unsuffixed one); absent for root_required and request-wide ones. */
  group?: string;
  /** The provider that fails (provider id); absent when the tree as a whole fails. */
  provider?: number;
  resource_class?: string;
  asks?: number;
  free?: number;
  total?: number;
  reserved?: number;
  allocation_ratio?: number;
  used?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  traits?: string[];
  aggregates?: string[];
  tree?: string;
  groups?: string[];
  /** The reason in words, without the provider's name (render adds it). */
  detail: string;
}

export interface NearMiss {
  /** Root provider id of the tree. */
  root: number;
  /** Constraints failed (the ranking key). */
  fails: number;
  failed: Failure[];
}

export interface Explanation {
  providers: number;
  trees: number;
  groups: GroupExplanation[];
  /** Over trees: every group alone, then the groups together and the request-wide constraints. */
  together: Step[];
  /** Trees with at least one candidate. */
  trees_with_candidates: number;
  near_misses: NearMiss[];
  /** For tests (test/property/explain.test.ts): per group suffix, the providers passing every per-provider check. */
  passing: Map<string, Set<number>>;
}

export interface ExplainOptions {
  /** Near misses to keep (default 5). */
  nearMisses?: number;
  /** Search steps for deciding whether trees have candidates, in all (default 2,000,000) and per tree (200,000). */
  budget?: number;
  treeBudget?: number;
}

/** A check of one provider for one group. */
interface Check {
  step: StepInfo;
  /** The slot it applies to (a class of the multi-provider group); undefined: every slot. */
  slot?: number;
  /** Judged on a tree's providers together (the multi-provider group's required traits). */
  anyOf?: string[];
  ok?(p: Provider, root: Provider | undefined): boolean;
  why?(p: Provider, root: Provider | undefined): Failure;
}

const ratioText = (r: number) => (Number.isInteger(r) ? r.toFixed(1) : String(r));
const num = (x: number) => (Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000));
const list = (xs: readonly string[]) => xs.join(", ");

function capacityFailure(rc: string, asks: number, inv: Inv): Failure {
  const free = allocatable(inv) - inv.used;
  return {
    constraint: "capacity",
    resource_class: rc,
    asks,
    free,
    total: inv.total,
    reserved: inv.reserved,
    allocation_ratio: inv.ratio,
    used: inv.used,
    detail: `${rc} asks ${asks}, free ${num(free)} = (${inv.total} - ${inv.reserved}) x ${ratioText(inv.ratio)} - ${inv.used} used`,
  };
}

function unitsFailure(rc: string, asks: number, inv: Inv): Failure {
  const detail =
    asks < inv.minUnit
      ? `${rc} asks ${asks}, below min_unit ${inv.minUnit}`
      : asks > inv.maxUnit
        ? `${rc} asks ${asks}, above max_unit ${inv.maxUnit}`
        : `${rc} asks ${asks}, not a multiple of step_size ${inv.stepSize}`;
  return { constraint: "units", resource_class: rc, asks, min_unit: inv.minUnit, max_unit: inv.maxUnit, step_size: inv.stepSize, detail };
}

/**
 * The group's checks in the documented order. NOTE: inventory, capacity and units together are
 * capacity.ts's fits(); the traits and aggregates are matchesAlone's terms (single-provider) or
 * multiOptions' (the multi-provider group: member_of holds for a tree whose root is a member,
 * required traits are judged on the tree's providers together).
 */
function checksOf(g: RequestGroup, multi: boolean, world: World): Check[] {
  const checks: Check[] = [];
  const rcs = [...g.resources];
  const slot = (i: number) => (multi ? i : undefined);
  if (!multi && rcs.length === 0 && g.requiredTraits.length === 0 && g.memberOf.length === 0) {
    checks.push({
      step: { constraint: "requests_nothing" },
      ok: () => false,
      why: () => ({ constraint: "requests_nothing", detail: "the group asks for no resources, traits or aggregates: no provider matches it" }),
    });
  }
  rcs.forEach(([rc], i) =>
    checks.push({
      step: { constraint: "resource_class", resource_class: rc },
      slot: slot(i),
      ok: (p) => p.inv.has(rc),
      why: () => ({ constraint: "resource_class", resource_class: rc, detail: `no ${rc} inventory` }),
    }),
  );
  rcs.forEach(([rc, n], i) =>
    checks.push({
      step: { constraint: "capacity", resource_class: rc, amount: n },
      slot: slot(i),
      // NOTE: without the inventory this check does not apply (resource_class failed already).
      ok: (p) => {
        const inv = p.inv.get(rc);
        return !inv || inv.used + n <= allocatable(inv);
      },
      why: (p) => capacityFailure(rc, n, p.inv.get(rc)!),
    }),
  );
  rcs.forEach(([rc, n], i) =>
    checks.push({
      step: { constraint: "units", resource_class: rc, amount: n },
      slot: slot(i),
      ok: (p) => {
        const inv = p.inv.get(rc);
        return !inv || unitsFit(inv, n);
      },
      why: (p) => unitsFailure(rc, n, p.inv.get(rc)!),
    }),
  );
  for (const anyOf of g.requiredTraits) {
    const detail = anyOf.length === 1 ? `lacks trait ${anyOf[0]}` : `has none of the traits ${list(anyOf)}`;
    if (multi) checks.push({ step: { constraint: "required_traits", traits: anyOf }, anyOf });
    else
      checks.push({
        step: { constraint: "required_traits", traits: anyOf },
        ok: (p) => hasAny(anyOf, p.traits),
        why: () => ({ constraint: "required_traits", traits: anyOf, detail }),
      });
  }
  if (g.forbiddenTraits.length) {
    const forbidden = g.forbiddenTraits;
    checks.push({
      step: { constraint: "forbidden_traits", traits: forbidden },
      ok: (p) => !hasAny(forbidden, p.traits),
      why: (p) => {
        const has = forbidden.filter((t) => p.traits.has(t));
        return { constraint: "forbidden_traits", traits: has, detail: `has forbidden trait${has.length > 1 ? "s" : ""} ${list(has)}` };
      },
    });
  }
  for (const anyOf of g.memberOf) {
    const detail = anyOf.length === 1 ? `not in aggregate ${anyOf[0]}` : `in none of the aggregates ${list(anyOf)}`;
    checks.push({
      step: { constraint: "member_of", aggregates: anyOf },
      ok: multi ? (p, root) => (!!root && hasEveryAnyOf(g.memberOf, root.aggs)) || hasAny(anyOf, p.aggs) : (p) => hasAny(anyOf, p.aggs),
      why: () => ({ constraint: "member_of", aggregates: anyOf, detail: multi ? `${detail} (nor is its root)` : detail }),
    });
  }
  if (g.forbiddenAggs.length) {
    const bad = g.forbiddenAggs;
    checks.push({
      step: { constraint: "forbidden_aggregates", aggregates: bad },
      ok: multi ? (p, root) => !hasAny(bad, p.aggs) && !(root && hasAny(bad, root.aggs)) : (p) => !hasAny(bad, p.aggs),
      why: (p, root) => {
        const own = bad.filter((a) => p.aggs.has(a));
        const inRoot = multi && root ? bad.filter((a) => root.aggs.has(a)) : [];
        const aggs = own.length ? own : inRoot;
        return {
          constraint: "forbidden_aggregates",
          aggregates: aggs,
          detail: `${own.length ? "in" : "its root is in"} forbidden aggregate${aggs.length > 1 ? "s" : ""} ${list(aggs)}`,
        };
      },
    });
  }
  if (g.inTree !== undefined) {
    const uuid = g.inTree;
    const t = world.inTreeRoots.get(uuid);
    // NOTE: the reference ignores in_tree for a resourceless group, except that an unknown provider leaves it nothing.
    const limits = multi || g.resources.size > 0;
    checks.push({
      step: { constraint: "in_tree", tree: uuid },
      ok: (p) => (t === undefined ? false : !limits || p.rootId === t),
      why: () => ({ constraint: "in_tree", tree: uuid, detail: t === undefined ? `no provider ${uuid} exists (in_tree)` : `not in the tree of ${uuid}` }),
    });
  }
  return checks;
}

/** The same request with other request-wide parameters (what the search is asked, step by step). */
function variant(req: CandidateRequest, groups: RequestGroup[], wide: Partial<RequestWide>): CandidateRequest {
  return { groups, wide: { ...req.wide, ...wide }, nestedAware: req.nestedAware };
}

/** Decides per tree whether a request has a candidate there, within a shared budget. */
class Decider {
  undecided = 0;
  private readonly searcher: Searcher;
  private readonly state: SearchState;
  constructor(
    world: World,
    req: CandidateRequest,
    private readonly budget: { left: number; perTree: number },
  ) {
    this.state = newSearchState();
    this.searcher = new Searcher(world, req, this.state);
  }
  has(root: number): boolean {
    const give = Math.min(this.budget.left, this.budget.perTree);
    if (give <= 0) {
      this.undecided++;
      return false;
    }
    this.state.budget = give;
    const answer = this.searcher.hasCandidate(root);
    this.budget.left -= give - Math.max(0, this.state.budget);
    if (answer === undefined) this.undecided++;
    return answer === true;
  }
}

/** What explain() learns of one group, kept for the near misses. */
interface GroupState {
  g: RequestGroup;
  multi: boolean;
  checks: Check[];
  slots: number;
  /** Per provider index and slot: the first failing check (checks.length: none) and the number failing. */
  firstFail: Int32Array;
  failCount: Int32Array;
  /** Per provider index and slot: how far short of capacity (a fraction of the ask; 1 for a missing class), summed over the classes (a tie-break). */
  shortfall: Float64Array;
  /** Trees (root ids) where the group alone has a candidate. */
  alone: Set<number>;
  /** Per root: the index of the first tree-level required-traits check failing, if any. */
  traitFail: Map<number, number>;
}

/**
 * Explains a request over a world holding every tree. `found` is the list's own answer (how many
 * candidates it returned). Pure: the caller resolves names and renders (render below).
 */
export function explain(world: World, req: CandidateRequest, opts: ExplainOptions = {}): Explanation {
  const roots = [...world.byRoot.keys()].sort((a, b) => a - b);
  // NOTE: providers tree by tree, so that a tree's are one range of the per-provider arrays.
  const providers: Provider[] = [];
  const start = new Map<number, number>();
  for (const r of roots) {
    start.set(r, providers.length);
    for (const p of world.byRoot.get(r)!) providers.push(p);
  }
  const index = new Map<number, number>();
  providers.forEach((p, i) => index.set(p.id, i));
  // NOTE: trees of one shape pass and fail alike (the Searcher's own condition for sharing its
  // walks: a snapshot's lists, no sharing providers, no in_tree): one is judged, the others copy it.
  const repOf = new Map<number, number>();
  if (world.stable && world.sharing.size === 0 && req.groups.every((g) => g.inTree === undefined)) {
    const first = new Map<string, number>();
    for (const r of roots) {
      const key = treeShape(world.byRoot.get(r)!);
      const rep = first.get(key);
      if (rep === undefined) first.set(key, r);
      else repOf.set(r, rep);
    }
  }
  const budget = { left: opts.budget ?? 2_000_000, perTree: opts.treeBudget ?? 200_000 };
  const allowed = (root: number) => !world.anchorRoots || world.anchorRoots.has(root);
  // Sharing provider -> anchor roots, and the reverse (as the Searcher builds it).
  const sharingFor = new Map<number, Provider[]>();
  for (const [s, anchors] of world.sharingAnchors) {
    const sp = world.providers.get(s);
    if (!sp || !world.sharing.has(s)) continue;
    for (const a of anchors) {
      let l = sharingFor.get(a);
      if (!l) sharingFor.set(a, (l = []));
      l.push(sp);
    }
  }

  const groupStates: GroupState[] = [];
  const groups: GroupExplanation[] = [];
  const passing = new Map<string, Set<number>>();
  for (const g of req.groups) {
    const multi = isMultiProvider(world, g);
    const checks = checksOf(g, multi, world);
    const n = checks.length;
    const slots = multi ? g.resources.size : 1;
    const firstFail = new Int32Array(providers.length * slots).fill(n);
    const failCount = new Int32Array(providers.length * slots);
    const shortfall = new Float64Array(providers.length * slots);
    // Per provider: the furthest step it reaches in any slot.
    const reach = new Int32Array(providers.length);
    // Trees left after each step: every slot has a provider of the tree that far, and the tree-level
    // checks (required traits of the multi-provider group) hold for the providers that far.
    const treeReach = new Map<number, number>();
    const traitFail = new Map<number, number>();
    const treeHist = new Int32Array(n + 1);
    for (const root of roots) {
      const tree = world.byRoot.get(root)!;
      const s0 = start.get(root)!;
      const rep = repOf.get(root);
      let r = n;
      if (rep !== undefined) {
        const r0 = start.get(rep)!;
        firstFail.copyWithin(s0 * slots, r0 * slots, (r0 + tree.length) * slots);
        failCount.copyWithin(s0 * slots, r0 * slots, (r0 + tree.length) * slots);
        shortfall.copyWithin(s0 * slots, r0 * slots, (r0 + tree.length) * slots);
        reach.copyWithin(s0, r0, r0 + tree.length);
        r = treeReach.get(rep)!;
        const tf = traitFail.get(rep);
        if (tf !== undefined) traitFail.set(root, tf);
      } else {
        const rootP = world.providers.get(root);
        for (let j = 0; j < tree.length; j++) {
          const p = tree[j]!;
          const i = s0 + j;
          for (let k = 0; k < n; k++) {
            const c = checks[k]!;
            if (!c.ok || c.ok(p, rootP)) continue;
            for (let s = 0; s < slots; s++) {
              if (c.slot !== undefined && c.slot !== s) continue;
              const at = i * slots + s;
              if (firstFail[at] === n) firstFail[at] = k;
              failCount[at]!++;
              // NOTE: a missing class counts as wholly short: farther than any capacity shortfall.
              if (c.step.constraint === "resource_class") shortfall[at]! += 1;
              else if (c.step.constraint === "capacity") {
                const inv = p.inv.get(c.step.resource_class!)!;
                shortfall[at]! += (inv.used + c.step.amount! - allocatable(inv)) / c.step.amount!;
              }
            }
          }
          let best = 0;
          for (let s = 0; s < slots; s++) best = Math.max(best, firstFail[i * slots + s]!);
          reach[i] = best;
        }
        for (let s = 0; s < slots; s++) {
          let best = 0;
          for (let j = 0; j < tree.length; j++) best = Math.max(best, firstFail[(s0 + j) * slots + s]!);
          r = Math.min(r, best);
        }
        for (let k = 0; k < r; k++) {
          const anyOf = checks[k]!.anyOf;
          if (!anyOf) continue;
          let hit = false;
          for (let j = 0; j < tree.length && !hit; j++) hit = reach[s0 + j]! > k && hasAny(anyOf, tree[j]!.traits);
          if (!hit) {
            r = k;
            traitFail.set(root, k);
          }
        }
      }
      treeReach.set(root, r);
      treeHist[r]!++;
    }
    // Providers left after each step.
    const hist = new Int32Array(n + 1);
    for (let i = 0; i < providers.length; i++) hist[reach[i]!]!++;
    const providersLeft: number[] = [];
    let left = providers.length;
    for (let k = 0; k < n; k++) providersLeft.push((left -= hist[k]!));
    let treesLeft = roots.length;
    const steps: Step[] = checks.map((c, k) => ({
      ...c.step,
      ...(c.anyOf ? {} : { providers: providersLeft[k]! }),
      trees: (treesLeft -= treeHist[k]!),
    }));
    const pass = new Set<number>();
    for (let i = 0; i < providers.length; i++) if (reach[i] === n) pass.add(providers[i]!.id);
    passing.set(g.suffix, pass);

    // Sharing providers: a tree may take the group (or some of its classes) from them.
    const viableOwn = new Set(roots.filter((r) => treeReach.get(r) === n));
    let reached = viableOwn;
    if (world.sharing.size > 0) {
      const sharedOk = (s: Provider, slot: number, anchor: number): boolean => {
        if (s.rootId === anchor) return false;
        if (!multi) return firstFail[index.get(s.id)! * slots]! === n;
        // NOTE: multiOptions' sharing branch: the provider's own aggregates, no in_tree, the anchor's root not forbidden.
        if (g.inTree !== undefined) return false;
        const [rc, amount] = [...g.resources][slot]!;
        const root = world.providers.get(anchor);
        const inv = s.inv.get(rc);
        return (
          hasEveryAnyOf(g.memberOf, s.aggs) &&
          inv !== undefined &&
          inv.used + amount <= allocatable(inv) &&
          unitsFit(inv, amount) &&
          !hasAny(g.forbiddenAggs, s.aggs) &&
          !hasAny(g.forbiddenTraits, s.traits) &&
          !(root && hasAny(g.forbiddenAggs, root.aggs))
        );
      };
      reached = new Set<number>();
      for (const root of roots) {
        if (viableOwn.has(root)) {
          reached.add(root);
          continue;
        }
        const shared = sharingFor.get(root) ?? [];
        if (shared.length === 0) continue;
        const tree = world.byRoot.get(root)!;
        let ok = true;
        const usable: Provider[] = [];
        for (let s = 0; s < slots && ok; s++) {
          const own = tree.filter((p) => firstFail[index.get(p.id)! * slots + s]! === n);
          const theirs = shared.filter((sp) => sharedOk(sp, s, root));
          usable.push(...own, ...theirs);
          ok = own.length + theirs.length > 0;
        }
        if (ok && multi) ok = g.requiredTraits.every((anyOf) => usable.some((p) => hasAny(anyOf, p.traits)));
        if (ok) reached.add(root);
      }
      const sharingPass = [...world.sharing].filter((id) => pass.has(id)).length;
      steps.push({ constraint: "sharing_providers", trees: reached.size, sharing_providers: sharingPass });
    }
    // root_required: the roots a candidate may be anchored at.
    const viable = new Set([...reached].filter(allowed));
    if (world.anchorRoots) {
      let count = 0;
      for (const id of pass) {
        const p = world.providers.get(id)!;
        if (allowed(p.rootId) || (world.sharing.has(id) && [...(world.sharingAnchors.get(id) ?? [])].some(allowed))) count++;
      }
      steps.push({ constraint: "root_required", traits: req.wide.rootRequired, forbidden: req.wide.rootForbidden, providers: count, trees: viable.size });
    }
    // The group alone, asked of the search.
    const decider = new Decider(world, variant(req, [g], { sameSubtrees: [], groupPolicy: undefined }), budget);
    const alone = new Set([...viable].filter((r) => decider.has(r)));
    steps.push({ constraint: "group_alone", trees: alone.size, ...(decider.undecided ? { undecided: decider.undecided } : {}) });
    groupStates.push({ g, multi, checks, slots, firstFail, failCount, shortfall, alone, traitFail });
    groups.push({
      suffix: g.suffix,
      separate_providers: multi,
      resources: Object.fromEntries(g.resources),
      required: g.requiredTraits,
      forbidden: g.forbiddenTraits,
      member_of: g.memberOf,
      forbidden_aggregates: g.forbiddenAggs,
      in_tree: g.inTree ?? null,
      steps,
    });
  }

  // Request-wide: every group alone, then together, then group_policy and each same_subtree.
  let trees = roots.filter((r) => groupStates.every((s) => s.alone.has(r)));
  const together: Step[] = [{ constraint: "every_group", trees: trees.length }];
  const failedAt = new Map<number, Step>();
  const ask = (step: Step, r: CandidateRequest) => {
    const decider = new Decider(world, r, budget);
    const kept = trees.filter((root) => decider.has(root));
    const keptSet = new Set(kept);
    for (const root of trees) if (!keptSet.has(root)) failedAt.set(root, step);
    trees = kept;
    step.trees = kept.length;
    if (decider.undecided) step.undecided = decider.undecided;
    together.push(step);
  };
  const many = req.groups.length > 1;
  const isolate = req.wide.groupPolicy === "isolate" && req.groups.filter((g) => g.useSameProvider).length > 1;
  if (many || (!req.nestedAware && world.hasTrees && req.groups.some((g) => isMultiProvider(world, g)))) {
    ask(
      { constraint: "groups_together", groups: req.groups.map((g) => g.suffix), trees: 0 },
      variant(req, req.groups, { groupPolicy: undefined, sameSubtrees: [] }),
    );
  }
  if (isolate) {
    ask(
      { constraint: "group_policy", groups: req.groups.filter((g) => g.useSameProvider).map((g) => g.suffix), trees: 0 },
      variant(req, req.groups, { sameSubtrees: [] }),
    );
  }
  req.wide.sameSubtrees.forEach((set, i) => {
    ask({ constraint: "same_subtree", groups: set, trees: 0 }, variant(req, req.groups, { sameSubtrees: req.wide.sameSubtrees.slice(0, i + 1) }));
  });
  const withCandidates = new Set(trees);

  return {
    providers: providers.length,
    trees: roots.length,
    groups,
    together,
    trees_with_candidates: withCandidates.size,
    near_misses: nearMisses(world, req, roots, withCandidates, groupStates, failedAt, index, opts.nearMisses ?? 5),
    passing,
  };
}

/** The trees without a candidate that fail the fewest constraints, with each failure's amounts. */
function nearMisses(
  world: World,
  req: CandidateRequest,
  roots: number[],
  withCandidates: Set<number>,
  states: GroupState[],
  failedAt: Map<number, Step>,
  index: Map<number, number>,
  keep: number,
): NearMiss[] {
  if (keep <= 0) return [];
  /** The tree's best provider for a slot of a group: fewest failures, then least short of capacity. */
  const best = (st: GroupState, tree: Provider[], s: number) => {
    let pick: Provider | undefined;
    let fails = Infinity;
    let short = Infinity;
    const s0 = index.get(tree[0]!.id)!;
    for (let j = 0; j < tree.length; j++) {
      const p = tree[j]!;
      const at = (s0 + j) * st.slots + s;
      const f = st.failCount[at]!;
      const sh = st.shortfall[at]!;
      if (f < fails || (f === fails && sh < short)) [pick, fails, short] = [p, f, sh];
    }
    return { p: pick!, fails, short };
  };
  const rootFailures = (root: Provider): Failure[] => {
    if (!world.anchorRoots || world.anchorRoots.has(root.id)) return [];
    const missing = req.wide.rootRequired.filter((t) => !root.traits.has(t));
    const present = req.wide.rootForbidden.filter((t) => root.traits.has(t));
    const out: Failure[] = [];
    if (missing.length)
      out.push({
        constraint: "root_required",
        provider: root.id,
        traits: missing,
        detail: `the root lacks required trait${missing.length > 1 ? "s" : ""} ${list(missing)} (root_required)`,
      });
    if (present.length)
      out.push({
        constraint: "root_required",
        provider: root.id,
        traits: present,
        detail: `the root has forbidden trait${present.length > 1 ? "s" : ""} ${list(present)} (root_required)`,
      });
    if (!out.length) out.push({ constraint: "root_required", provider: root.id, detail: "the root does not meet root_required" });
    return out;
  };
  /** The constraints a tree fails, as a count and a tie-break, and (when `detail`) the failures. */
  const judge = (rootId: number, detail: boolean) => {
    const tree = world.byRoot.get(rootId)!;
    const root = world.providers.get(rootId)!;
    const failed: Failure[] = rootFailures(root);
    const rootRefused = failed.length > 0;
    let fails = failed.length;
    let short = 0;
    for (const st of states) {
      if (st.alone.has(rootId)) continue;
      const suffix = st.g.suffix;
      let covered = true;
      for (let s = 0; s < st.slots; s++) {
        const b = best(st, tree, s);
        if (b.fails === 0) continue;
        covered = false;
        fails += b.fails;
        short += b.short;
        if (!detail) continue;
        const p = b.p;
        const rootOf = world.providers.get(p.rootId);
        for (const c of st.checks) {
          if (!c.ok || (c.slot !== undefined && c.slot !== s) || c.ok(p, rootOf)) continue;
          failed.push({ ...c.why!(p, rootOf), group: suffix, provider: p.id });
        }
      }
      if (!covered || rootRefused) continue;
      const tf = st.traitFail.get(rootId);
      fails++;
      if (!detail) continue;
      if (tf !== undefined) {
        const anyOf = st.checks[tf]!.anyOf!;
        failed.push({
          constraint: "required_traits",
          group: suffix,
          traits: anyOf,
          detail: `group ${label(suffix)}: no provider of this tree that fits has ${anyOf.length > 1 ? "any of " : ""}${list(anyOf)}`,
        });
      } else
        failed.push({
          constraint: "group_alone",
          group: suffix,
          detail: `group ${label(suffix)}: its providers here do not combine into an allocation request`,
        });
    }
    if (fails === 0) {
      fails = 1;
      if (detail) failed.push(wideFailure(failedAt.get(rootId), req));
    }
    return { fails, short, failed };
  };
  const ranked: { root: number; fails: number; short: number }[] = [];
  for (const r of roots) {
    if (withCandidates.has(r)) continue;
    const { fails, short } = judge(r, false);
    const worst = ranked[keep - 1];
    if (ranked.length >= keep && worst && (fails > worst.fails || (fails === worst.fails && short >= worst.short))) continue;
    ranked.push({ root: r, fails, short });
    ranked.sort((a, b) => a.fails - b.fails || a.short - b.short || a.root - b.root);
    if (ranked.length > keep) ranked.pop();
  }
  return ranked.map(({ root }) => {
    const { fails, failed } = judge(root, true);
    return { root, fails, failed };
  });
}

const label = (suffix: string) => (suffix === "" ? "(unsuffixed)" : suffix);

function wideFailure(step: Step | undefined, req: CandidateRequest): Failure {
  const groups = step?.groups ?? [];
  switch (step?.constraint) {
    case "group_policy":
      return {
        constraint: "group_policy",
        groups,
        detail: `group_policy=isolate: the groups ${list(groups.map(label))} cannot each have providers of their own here`,
      };
    case "same_subtree":
      return { constraint: "same_subtree", groups, detail: `same_subtree: the groups ${list(groups.map(label))} fit, but not within one subtree` };
    case "groups_together":
      return {
        constraint: "groups_together",
        groups,
        detail: !req.nestedAware
          ? "every group fits alone, not together (before microversion 1.29 a candidate takes from one provider per tree; where groups share a provider their amounts add up)"
          : "every group fits alone, not together: where groups share a provider their amounts add up beyond its capacity",
      };
    default:
      return { constraint: "group_alone", detail: "the search could not decide within its budget" };
  }
}

/** A provider as the document names it. */
export interface Named {
  uuid: string;
  name: string | null;
}

/** The explanation as the document carries it (docs/explain.md), with names for the providers. */
export function render(e: Explanation, world: World, names: ReadonlyMap<number, string>) {
  const named = (id: number): Named => ({ uuid: world.providers.get(id)?.uuid ?? String(id), name: names.get(id) ?? null });
  const who = (id: number) => names.get(id) ?? world.providers.get(id)?.uuid ?? String(id);
  const near = e.near_misses.map((m) => {
    const failed = m.failed.map((f) => {
      const { constraint, group, detail, provider, ...rest } = f;
      return {
        constraint,
        ...(group !== undefined ? { group } : {}),
        ...(provider !== undefined ? { provider: named(provider) } : {}),
        ...rest,
        message: `${who(provider ?? m.root)}: ${detail}`,
      };
    });
    return { root: named(m.root), fails: m.fails, failed, message: failed.map((f) => f.message).join("; ") };
  });
  return { providers: e.providers, trees: e.trees, groups: e.groups, together: e.together, trees_with_candidates: e.trees_with_candidates, near_misses: near };
}

/** Provider ids a rendering names (for one lookup of their names). */
export function namedIds(e: Explanation): number[] {
  const ids = new Set<number>();
  for (const m of e.near_misses) {
    ids.add(m.root);
    for (const f of m.failed) if (f.provider !== undefined) ids.add(f.provider);
  }
  return [...ids];
}

/** One line for people: why nothing fits, or how much does. */
export function summary(e: ReturnType<typeof render>, returned: number): string {
  if (returned > 0) {
    return `${returned} candidate${returned === 1 ? "" : "s"} returned; ${e.trees_with_candidates} of ${e.trees} trees fit`;
  }
  const closest = e.near_misses[0] ? `; closest: ${e.near_misses[0].message}` : "";
  for (const g of e.groups) {
    const last = g.steps[g.steps.length - 1];
    if (!last || last.trees > 0) continue;
    // NOTE: the step after which no tree is left for good (sharing providers may bring trees back).
    let kept = -1;
    g.steps.forEach((s, k) => {
      if (s.trees > 0) kept = k;
    });
    const at = g.steps[kept + 1]!;
    return `no candidates: group ${label(g.suffix)} fits no tree after ${describeStep(at)}${closest}`;
  }
  const at = e.together.find((s) => s.trees === 0);
  return `no candidates: every group fits somewhere, but no tree fits them ${at ? `after ${describeStep(at)}` : "together"}${closest}`;
}

function describeStep(s: Step): string {
  switch (s.constraint) {
    case "resource_class":
      return `resource class ${s.resource_class}`;
    case "capacity":
    case "units":
      return `${s.constraint} of ${s.resource_class} (asks ${s.amount})`;
    case "required_traits":
      return `required traits ${list(s.traits ?? [])}`;
    case "forbidden_traits":
      return `forbidden traits ${list(s.traits ?? [])}`;
    case "member_of":
      return `member_of ${list(s.aggregates ?? [])}`;
    case "forbidden_aggregates":
      return `forbidden aggregates ${list(s.aggregates ?? [])}`;
    case "in_tree":
      return `in_tree ${s.tree}`;
    case "same_subtree":
    case "group_policy":
      return `${s.constraint} (${list((s.groups ?? []).map(label))})`;
    case "group_alone":
      return "combining its providers (the search finds no allocation request)";
    case "sharing_providers":
      return "sharing providers";
    default:
      return s.constraint;
  }
}
