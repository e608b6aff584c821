// The explanation (src/objects/candidates/explain.ts) against the search as its oracle, on random
// small worlds (trees, sharing providers, symmetric siblings, root_required) and random requests:
// "nothing fits" exactly when the search finds nothing; the trees it says have candidates are those
// where the search finds one; a provider passing every check of a single-provider group is one of
// that group's options (and only those are), and the multi-provider group's options all pass its
// checks; each group's trees alone are the search's; near misses are trees without candidates.
import fc from "fast-check";
import { expect, it } from "vitest";
import { acrossAnchors, isMultiProvider, newSearchState, Searcher } from "../../src/objects/candidates/engine.js";
import { explain } from "../../src/objects/candidates/explain.js";
import type { CandidateRequest, RequestGroup } from "../../src/objects/candidates/request.js";
import { addProviders, emptyWorld, SHARES_TRAIT, type Inv, type Provider, type World } from "../../src/objects/candidates/world.js";
import { at, last } from "@berth/client/common";

type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

const CLASSES = ["A", "B"];
const TRAITS = ["T1", "T2"];
const AGGS = ["G1", "G2"];

const invArb = fc.record({
  total: fc.integer({ min: 1, max: 4 }),
  reserved: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1 })),
  ratio: fc.constantFrom(1, 1.5),
  used: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 })),
  maxUnit: fc.integer({ min: 2, max: 4 }),
  stepSize: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
});
const rarely = <T>(arb: fc.Arbitrary<T[]>) => fc.oneof({ weight: 4, arbitrary: fc.constant([] as T[]) }, { weight: 1, arbitrary: arb });
const provArb = fc.record({
  inv: fc.dictionary(fc.constantFrom(...CLASSES), invArb, { minKeys: 1, maxKeys: 2 }),
  traits: fc.subarray(TRAITS),
  aggs: fc.subarray(AGGS),
  parent: fc.nat(),
  root: fc.boolean(),
  sharing: fc.boolean(),
  twin: fc.boolean(),
});

function buildWorld(specs: Of<typeof provArb>[], anchorRootMask: number, stable: boolean): World {
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
            { total: v.total, reserved: v.reserved, minUnit: 1, maxUnit: v.maxUnit, stepSize: v.stepSize, ratio: v.ratio, used: Math.min(v.used, v.total) },
          ]),
    );
    const traits = new Set(src ? src.traits : s.traits);
    // NOTE: sharing providers are roots here, as in test/property/candidates.test.ts.
    if (!src && s.sharing && parent === null) traits.add(SHARES_TRAIT);
    ps.push({ id, uuid: `p${id}`, parentId: parent, rootId, inv, traits, aggs: new Set(src ? src.aggs : s.aggs) });
  });
  const sharing = new Set(ps.filter((p) => p.traits.has(SHARES_TRAIT)).map((p) => p.id));
  const sharingAnchors = new Map<number, Set<number>>();
  for (const s of sharing) {
    const sp = at(ps, s - 1);
    if (sp.aggs.size) sharingAnchors.set(s, new Set(ps.filter((p) => [...p.aggs].some((a) => sp.aggs.has(a))).map((p) => p.rootId)));
  }
  const roots = ps.filter((p) => p.parentId === null).map((p) => p.id);
  const anchorRoots = anchorRootMask ? new Set(roots.filter((_, i) => (anchorRootMask >> i) & 1)) : undefined;
  const world = emptyWorld({
    stable,
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
  memberOf: rarely(fc.subarray(AGGS.map((a) => [a]).concat([AGGS]), { maxLength: 1 })),
  forbiddenAggs: rarely(fc.subarray(AGGS, { maxLength: 1 })),
  inTree: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) }),
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
    // Sometimes a provider that does not exist.
    inTree: g.inTree === null ? undefined : g.inTree > nProviders ? "nowhere" : `p${g.inTree}`,
  });
  const groups: RequestGroup[] = [];
  if (r.unsuffixed) groups.push(mk("", r.unsuffixed));
  r.granular.forEach((g, i) => groups.push(mk(String(i + 1), g)));
  const resourceless = groups.filter((g) => g.resources.size === 0).map((g) => g.suffix);
  const granular = groups.filter((g) => g.useSameProvider).map((g) => g.suffix);
  const sameSubtrees = r.sameSubtree && granular.length >= 2 ? [granular] : resourceless.length ? [[...new Set([...resourceless, ...granular])]] : [];
  return { groups, wide: { groupPolicy: r.isolate ? "isolate" : "none", rootRequired: [], rootForbidden: [], sameSubtrees }, nestedAware: r.nestedAware };
}

/** Roots where the search finds a candidate for `req` (a fresh searcher per root: no dedup across roots). */
function treesWithCandidates(world: World, req: CandidateRequest): Set<number> {
  const out = new Set<number>();
  for (const root of world.byRoot.keys()) {
    const first = acrossAnchors(new Searcher(world, req, newSearchState()), [root], "depth-first").next();
    if (!first.done) out.add(root);
  }
  return out;
}

/** Every provider some candidate of `req` maps to the group `suffix`. */
function optionsOf(world: World, req: CandidateRequest, suffix: string): Set<number> {
  const out = new Set<number>();
  for (const c of acrossAnchors(new Searcher(world, req, newSearchState()), [...world.byRoot.keys()], "depth-first"))
    for (const p of c.mappings.get(suffix) ?? []) out.add(p);
  return out;
}

it("the explanation agrees with the search", () => {
  const tally = { runs: 0, fits: 0, empty: 0 };
  fc.assert(
    fc.property(fc.array(provArb, { minLength: 1, maxLength: 9 }), requestArb, fc.nat({ max: 15 }), fc.boolean(), (specs, r, mask, stable) => {
      const world = buildWorld(specs, mask, stable);
      const req = toRequest(r, specs.length);
      if (req.groups.length === 0 || req.groups.every((g) => g.resources.size === 0)) return;
      const e = explain(world, req);
      const oracle = treesWithCandidates(world, req);
      const all = [...acrossAnchors(new Searcher(world, req, newSearchState()), [...world.byRoot.keys()], "depth-first")];
      // Nothing fits exactly when the search finds nothing; the trees with candidates are the search's.
      expect(e.trees_with_candidates > 0).toBe(all.length > 0);
      expect(e.trees_with_candidates).toBe(oracle.size);
      expect(last(e.together).trees).toBe(oracle.size);
      const allowed = (root: number) => !world.anchorRoots || world.anchorRoots.has(root);
      req.groups.forEach((g, i) => {
        const alone: CandidateRequest = { groups: [g], wide: { ...req.wide, sameSubtrees: [], groupPolicy: undefined }, nestedAware: req.nestedAware };
        const steps = at(e.groups, i).steps;
        // The group alone: exactly the search's trees.
        expect(steps[steps.length - 1]).toMatchObject({ constraint: "group_alone", trees: treesWithCandidates(world, alone).size });
        // Each check leaves at most what the one before left (sharing providers may reach more trees).
        for (let k = 1; k < steps.length; k++) {
          const [a, b] = [at(steps, k - 1), at(steps, k)];
          if (a.providers !== undefined && b.providers !== undefined) expect(b.providers).toBeLessThanOrEqual(a.providers);
          if (b.constraint !== "sharing_providers") expect(b.trees).toBeLessThanOrEqual(a.trees);
        }
        const pass = e.passing.get(g.suffix)!;
        const options = optionsOf(world, alone, g.suffix);
        if (!isMultiProvider(world, g)) {
          // A provider passing every check is an option wherever root_required lets it be, and only those are.
          const reachable = (id: number) => {
            const p = world.providers.get(id)!;
            return allowed(p.rootId) || (world.sharing.has(id) && [...(world.sharingAnchors.get(id) ?? [])].some((a) => a !== p.rootId && allowed(a)));
          };
          expect(new Set([...pass].filter(reachable))).toEqual(options);
        } else for (const o of options) expect(pass.has(o)).toBe(true);
      });
      // Near misses: trees without candidates, the fewest failures first.
      const without = [...world.byRoot.keys()].filter((root) => !oracle.has(root));
      expect(e.near_misses.length).toBe(Math.min(5, without.length));
      for (const m of e.near_misses) {
        expect(oracle.has(m.root)).toBe(false);
        expect(m.failed.length).toBeGreaterThan(0);
      }
      for (let k = 1; k < e.near_misses.length; k++) expect(at(e.near_misses, k).fails).toBeGreaterThanOrEqual(at(e.near_misses, k - 1).fails);
      tally.runs++;
      if (all.length) tally.fits++;
      else tally.empty++;
    }),
    { numRuns: 1500 },
  );
  // The generators give both answers often enough to compare something.
  expect(tally.fits).toBeGreaterThan(tally.runs / 20);
  expect(tally.empty).toBeGreaterThan(tally.runs / 5);
});
