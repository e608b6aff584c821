// The candidate engine against a brute force written from the rules directly: every assignment of
// providers to request groups is tried, kept when some anchor root accepts every group's choice and
// the request-wide rules hold. Random small worlds (trees, sharing providers, symmetric siblings)
// and random requests; the two must give the same set.
import fc from "fast-check";
import { expect, it } from "vitest";
import { acrossAnchors, candidateKey, isMultiProvider, matchesAlone, newSearchState, Searcher, type Candidate } from "../../src/objects/candidates/engine.js";
import type { CandidateRequest, RequestGroup } from "../../src/objects/candidates/request.js";
import { addProviders, capacityOf, emptyWorld, fits, SHARES_TRAIT, type Inv, type Provider, type World } from "../../src/objects/candidates/world.js";
import { at, first } from "@berth/client/common";

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

const CLASSES = ["A", "B"];
const TRAITS = ["T1", "T2"];
const AGGS = ["G1", "G2"];

const invArb = fc.record({
  total: fc.integer({ min: 1, max: 4 }),
  used: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
  maxUnit: fc.integer({ min: 2, max: 4 }),
});
/** Mostly no filter, sometimes one. */
const rarely = <T>(arb: fc.Arbitrary<T[]>) => fc.oneof({ weight: 4, arbitrary: fc.constant([] as T[]) }, { weight: 1, arbitrary: arb });
const provArb = fc.record({
  inv: fc.dictionary(fc.constantFrom(...CLASSES), invArb, { minKeys: 1, maxKeys: 2 }),
  traits: fc.subarray(TRAITS),
  aggs: fc.subarray(AGGS),
  /** Index of the parent among earlier providers (or a new root). */
  parent: fc.nat(),
  root: fc.boolean(),
  sharing: fc.boolean(),
  /** Copy the previous provider (same parent and attributes): symmetric siblings. */
  twin: fc.boolean(),
});

function buildWorld(specs: Of<typeof provArb>[], anchorRootMask: number): World {
  const ps: Provider[] = [];
  specs.forEach((s, i) => {
    const prev = ps[i - 1];
    const asTwin = s.twin && prev && prev.parentId !== null;
    const parent = i === 0 || s.root ? null : asTwin ? prev!.parentId : at(ps, s.parent % i).id;
    const id = i + 1;
    const rootId = parent === null ? id : at(ps, parent - 1).rootId;
    const src = asTwin ? prev! : undefined;
    const inv = new Map<string, Inv>(
      src
        ? [...src.inv]
        : Object.entries(s.inv).map(([rc, v]) => [
            rc,
            { total: v.total, reserved: 0, minUnit: 1, maxUnit: v.maxUnit, stepSize: 1, ratio: 1, used: Math.min(v.used, v.total) },
          ]),
    );
    const traits = new Set(src ? src.traits : s.traits);
    if (!src && s.sharing && parent === null) traits.add(SHARES_TRAIT);
    ps.push({ id, uuid: `p${id}`, parentId: parent, rootId, inv, traits, aggs: new Set(src ? src.aggs : s.aggs) });
  });
  const sharing = new Set(ps.filter((p) => p.traits.has(SHARES_TRAIT)).map((p) => p.id));
  const sharingAnchors = new Map<number, Set<number>>();
  for (const s of sharing) {
    const sp = at(ps, s - 1);
    sharingAnchors.set(s, new Set(ps.filter((p) => [...p.aggs].some((a) => sp.aggs.has(a))).map((p) => p.rootId)));
    if (sp.aggs.size === 0) sharingAnchors.delete(s);
  }
  const roots = ps.filter((p) => p.parentId === null).map((p) => p.id);
  const anchorRoots = anchorRootMask ? new Set(roots.filter((_, i) => (anchorRootMask >> i) & 1)) : undefined;
  const world = emptyWorld({
    hasTrees: ps.some((p) => p.parentId !== null),
    sharing,
    sharingAnchors,
    anchorRoots,
    inTreeRoots: new Map(ps.map((p) => [p.uuid, p.rootId])),
  });
  addProviders(world, ps);
  return world;
}

const groupArb = fc.record({
  resources: fc.dictionary(fc.constantFrom(...CLASSES), fc.integer({ min: 1, max: 2 }), { minKeys: 1, maxKeys: 2 }),
  resourceless: fc.boolean(),
  required: rarely(fc.subarray(TRAITS.map((t) => [t]).concat([TRAITS]))),
  forbidden: rarely(fc.subarray(TRAITS, { maxLength: 1 })),
  memberOf: rarely(
    fc.subarray(
      AGGS.map((a) => [a]),
      { maxLength: 1 },
    ),
  ),
  forbiddenAggs: rarely(fc.subarray(AGGS, { maxLength: 1 })),
  inTree: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 8 }),
});

const requestArb = fc.record({
  unsuffixed: fc.option(groupArb, { freq: 2 }),
  granular: fc.array(groupArb, { maxLength: 3 }),
  isolate: fc.boolean(),
  sameSubtree: fc.boolean(),
  nestedAware: fc.boolean(),
});

function toRequest(r: Of<typeof requestArb>, nProviders: number): CandidateRequest {
  const mk = (suffix: string, g: Of<typeof groupArb>): RequestGroup => ({
    suffix,
    useSameProvider: suffix !== "",
    resources: new Map(suffix !== "" && g.resourceless && g.required.length ? [] : Object.entries(g.resources)),
    requiredTraits: g.required,
    forbiddenTraits: g.forbidden.filter((t) => !g.required.some((any) => any.every((x) => x === t))),
    memberOf: g.memberOf,
    forbiddenAggs: g.forbiddenAggs,
    inTree: g.inTree === null || g.inTree > nProviders ? undefined : `p${g.inTree}`,
  });
  const groups: RequestGroup[] = [];
  if (r.unsuffixed && Object.keys(r.unsuffixed.resources).length) groups.push(mk("", r.unsuffixed));
  r.granular.forEach((g, i) => groups.push(mk(String(i + 1), g)));
  // Resourceless granular groups are only allowed inside same_subtree.
  const resourceless = groups.filter((g) => g.resources.size === 0).map((g) => g.suffix);
  const granular = groups.filter((g) => g.useSameProvider).map((g) => g.suffix);
  const sameSubtrees = r.sameSubtree && granular.length >= 2 ? [granular] : resourceless.length ? [[...new Set([...resourceless, ...granular])]] : [];
  return {
    groups,
    wide: { groupPolicy: r.isolate ? "isolate" : "none", rootRequired: [], rootForbidden: [], sameSubtrees },
    nestedAware: r.nestedAware,
  };
}

/** The brute force: every assignment, kept when an anchor accepts it. */
function bruteForce(world: World, req: CandidateRequest): Set<string> {
  const ps = [...world.providers.values()];
  const roots = ps.filter((p) => p.parentId === null);
  const get = (id: number) => world.providers.get(id)!;
  type Choice = { group: RequestGroup; rc?: string; amounts: [string, number][] };
  const slots: Choice[] = [];
  for (const g of req.groups) {
    if (isMultiProvider(world, g)) for (const [rc, n] of g.resources) slots.push({ group: g, rc, amounts: [[rc, n]] });
    else slots.push({ group: g, amounts: [...g.resources] });
  }
  const inTree = (g: RequestGroup) => (g.inTree === undefined ? undefined : world.inTreeRoots.get(g.inTree));
  const anchorsOf = (p: Provider) => new Set([p.rootId, ...(p.traits.has(SHARES_TRAIT) ? (world.sharingAnchors.get(p.id) ?? []) : [])]);
  const inAll = (p: Provider, g: RequestGroup) => g.memberOf.every((any) => any.some((a) => p.aggs.has(a)));
  const bad = (p: Provider, g: RequestGroup) => g.forbiddenAggs.some((a) => p.aggs.has(a));

  function accepts(a: Provider, pick: Provider[]): boolean {
    if (world.anchorRoots && !world.anchorRoots.has(a.id)) return false;
    for (const g of req.groups) {
      const mine = slots.map((s, i) => [s, at(pick, i)] as const).filter(([s]) => s.group === g);
      if (!isMultiProvider(world, g)) {
        const p = first(mine)[1];
        if (!matchesAlone(p, g)) return false;
        const t = inTree(g);
        if (g.resources.size && t !== undefined && p.rootId !== t) return false;
        if (p.rootId !== a.id && !(p.traits.has(SHARES_TRAIT) && anchorsOf(p).has(a.id))) return false;
        continue;
      }
      const t = inTree(g);
      for (const [s, p] of mine) {
        if (!fits(p.inv.get(s.rc!), first(s.amounts)[1])) return false;
        const own = p.rootId === a.id;
        const shared = t === undefined && p.traits.has(SHARES_TRAIT) && anchorsOf(p).has(a.id) && (g.memberOf.length === 0 || inAll(p, g));
        if (!own && !shared) return false;
        if (t !== undefined && (a.id !== t || p.rootId !== t)) return false;
        if (g.memberOf.length && !inAll(p, g) && !inAll(a, g)) return false;
        if (bad(p, g) || bad(a, g)) return false;
        if (g.forbiddenTraits.some((x) => p.traits.has(x))) return false;
      }
      const traits = new Set(mine.flatMap(([, p]) => [...p.traits]));
      if (!g.requiredTraits.every((any) => any.some((x) => traits.has(x)))) return false;
    }
    return true;
  }

  function requestWide(pick: Provider[]): Candidate | undefined {
    const allocations = new Map<number, Map<string, number>>();
    const mappings = new Map<string, Set<number>>();
    slots.forEach((s, i) => {
      const p = at(pick, i);
      if (s.amounts.length) {
        const m = allocations.get(p.id) ?? new Map<string, number>();
        allocations.set(p.id, m);
        for (const [rc, n] of s.amounts) m.set(rc, (m.get(rc) ?? 0) + n);
      }
      const set = mappings.get(s.group.suffix) ?? new Set<number>();
      mappings.set(s.group.suffix, set);
      set.add(p.id);
    });
    for (const [pid, m] of allocations) {
      for (const [rc, n] of m) {
        const inv = get(pid).inv.get(rc)!;
        if (inv.used + n > capacityOf(inv) || n > inv.maxUnit) return undefined;
      }
    }
    if (req.wide.groupPolicy === "isolate") {
      const granular = slots.map((s, i) => (s.group.useSameProvider ? at(pick, i).id : -1)).filter((x) => x > 0);
      if (new Set(granular).size !== granular.length) return undefined;
    }
    for (const set of req.wide.sameSubtrees) {
      const chosen = [...new Set(slots.flatMap((s, i) => (set.includes(s.group.suffix) ? [at(pick, i).id] : [])))];
      const ancestors = (id: number): number[] => [id, ...(get(id).parentId === null ? [] : ancestors(get(id).parentId!))];
      if (chosen.length > 1 && !chosen.some((c) => chosen.every((o) => ancestors(o).includes(c)))) return undefined;
    }
    if (!req.nestedAware && world.hasTrees) {
      const byRoot = new Map<number, number>();
      for (const pid of allocations.keys()) {
        const r = get(pid).rootId;
        if (byRoot.has(r) && byRoot.get(r) !== pid) return undefined;
        byRoot.set(r, pid);
      }
    }
    return { allocations, mappings };
  }

  const out = new Set<string>();
  const pick: Provider[] = [];
  (function rec(i: number) {
    if (i === slots.length) {
      if (!roots.some((a) => accepts(a, pick))) return;
      const c = requestWide(pick);
      if (c) out.add(candidateKey(c));
      return;
    }
    for (const p of ps) {
      pick[i] = p;
      rec(i + 1);
    }
  })(0);
  return out;
}

function engine(world: World, req: CandidateRequest): string[] {
  const searcher = new Searcher(world, req, newSearchState());
  const roots = [...world.byRoot.keys()];
  return [...acrossAnchors(searcher, roots, "depth-first")].map(candidateKey);
}

it("the engine gives exactly the brute force's candidates", () => {
  // How many runs compared something: a request at all, and candidates to agree on.
  const tally = { compared: 0, answered: 0, several: 0 };
  fc.assert(
    fc.property(fc.array(provArb, { minLength: 1, maxLength: 8 }), requestArb, fc.nat({ max: 7 }), (specs, r, mask) => {
      const world = buildWorld(specs, mask);
      const req = toRequest(r, specs.length);
      if (req.groups.length === 0 || req.groups.every((g) => g.resources.size === 0)) return;
      const got = engine(world, req);
      expect(new Set(got).size).toBe(got.length); // no duplicates
      const want = bruteForce(world, req);
      expect(new Set(got)).toEqual(want);
      tally.compared++;
      if (want.size > 0) tally.answered++;
      if (want.size > 1) tally.several++;
    }),
    { numRuns: 2000 },
  );
  // Empty answers agree trivially: the generators must give requests that have candidates (about
  // 15% of the runs have some, 7% several; a third of that is the floor).
  expect(tally.compared).toBeGreaterThan(1000);
  expect(tally.answered).toBeGreaterThan(tally.compared / 20);
  expect(tally.several).toBeGreaterThan(tally.compared / 50);
});

it("a limit bounds the work on wide symmetric trees", () => {
  const world = buildWorld(
    (
      [{ inv: { A: { total: 16, used: 0, maxUnit: 16 } }, traits: [], aggs: [], parent: 0, root: true, sharing: false, twin: false }] as Of<typeof provArb>[]
    ).concat(
      Array.from({ length: 21 }, (_, i) => ({
        inv: { B: { total: 1, used: 0, maxUnit: 1 } },
        traits: [],
        aggs: [],
        parent: 0,
        root: false,
        sharing: false,
        twin: i > 0,
      })),
    ),
    0,
  );
  const groups: RequestGroup[] = Array.from({ length: 8 }, (_, i) => ({
    suffix: String(i + 1),
    useSameProvider: true,
    resources: new Map([["B", 1]]),
    requiredTraits: [],
    forbiddenTraits: [],
    memberOf: [],
    forbiddenAggs: [],
  }));
  const req: CandidateRequest = { groups, wide: { groupPolicy: "isolate", rootRequired: [], rootForbidden: [], sameSubtrees: [] }, nestedAware: true };
  const state = newSearchState();
  const it = acrossAnchors(new Searcher(world, req, state), [1], "depth-first");
  const got: string[] = [];
  for (const c of it) {
    got.push(candidateKey(c));
    if (got.length === 1000) break;
  }
  expect(new Set(got).size).toBe(1000);
  expect(5_000_000 - state.budget).toBeLessThan(100);
  // Nine one-unit groups on eight devices: no answer, found without walking 8^9 assignments.
  const none = buildWorld(
    ([{ inv: {}, traits: [], aggs: [], parent: 0, root: true, sharing: false, twin: false }] as Of<typeof provArb>[]).concat(
      Array.from({ length: 8 }, (_, i) => ({
        inv: { B: { total: 1, used: 0, maxUnit: 1 } },
        traits: [],
        aggs: [],
        parent: 0,
        root: false,
        sharing: false,
        twin: i > 0,
      })),
    ),
    0,
  );
  const nine = { ...req, groups: [...groups, { ...first(groups), suffix: "9" }], wide: { ...req.wide, groupPolicy: "none" as const } };
  const s2 = newSearchState();
  expect([...acrossAnchors(new Searcher(none, nine, s2), [1], "depth-first")]).toEqual([]);
  expect(5_000_000 - s2.budget).toBeLessThan(1000);
});
