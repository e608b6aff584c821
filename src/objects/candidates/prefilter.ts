// The root prefilter written once, as data: what a root must meet to anchor any candidate. The
// database reads render these checks as SQL (load.ts, rootConds), a snapshot tests them in memory
// (rootOk below); both answer the same pages of roots, so candidates come in the same order.
import type { CandidateRequest, RequestGroup } from "./request.js";
import { hasAny, hasEveryAnyOf, isMultiProvider, matchesAlone, resourcesFit } from "./engine.js";
import type { Names } from "./load.js";
import { fits, type Provider, type World } from "./world.js";
import { at } from "@berth/client/common";

/**
 * One condition on a root: it is the given tree; some provider of its tree has the capacity, or
 * meets a single-provider group alone; the root itself has a trait (root_required), or none of
 * some traits (root_required's forbidden ones).
 */
export type RootCheck =
  | { tree: number }
  | { rc: string; amount: number }
  | { group: RequestGroup }
  | { rootTrait: string }
  | { rootWithout: readonly string[] };

/**
 * The request's conditions on every root: for each group, some provider of the tree could satisfy
 * it (or each of its resources), unless a sharing provider could stand in; then root_required.
 * NOTE: sound, never exact with trees or sharing: it never drops a root that could anchor a candidate.
 */
export function rootChecks(req: CandidateRequest, names: Names, world: World): RootCheck[] {
  const sharing = [...world.sharing].map((id) => world.providers.get(id)).filter((p): p is Provider => !!p);
  const checks: RootCheck[] = [];
  for (const g of req.groups) {
    const tree = g.inTree === undefined ? undefined : (names.inTreeRoots.get(g.inTree) ?? -1);
    if (isMultiProvider(world, g)) {
      if (tree !== undefined) checks.push({ tree });
      for (const [rc, amount] of g.resources) {
        if (tree === undefined && sharing.some((s) => fits(s.inv.get(rc), amount))) continue;
        checks.push({ rc, amount });
      }
      continue;
    }
    if (sharing.some((s) => matchesAlone(s, g))) continue;
    // NOTE: a resourceless group's in_tree does not limit the root (it is checked by the walk).
    if (g.resources.size > 0 && tree !== undefined) checks.push({ tree });
    checks.push({ group: g });
  }
  for (const t of req.wide.rootRequired) checks.push({ rootTrait: t });
  if (req.wide.rootForbidden.length) checks.push({ rootWithout: req.wide.rootForbidden });
  return checks;
}

/** The checks tested in memory on one root (and its tree, from the world). */
export function rootOk(root: Provider, checks: readonly RootCheck[], world: World): boolean {
  // NOTE: without trees a root is its whole tree.
  const tree = world.hasTrees ? world.byRoot.get(root.id)! : undefined;
  const size = tree ? tree.length : 1;
  for (const c of checks) {
    if ("tree" in c) {
      if (root.id !== c.tree) return false;
    } else if ("rootTrait" in c) {
      if (!root.traits.has(c.rootTrait)) return false;
    } else if ("rootWithout" in c) {
      if (hasAny(c.rootWithout, root.traits)) return false;
    } else {
      let hit = false;
      for (let i = 0; i < size && !hit; i++) {
        const p = tree ? at(tree, i) : root;
        hit = "group" in c ? providerOk(p, c.group) : fits(p.inv.get(c.rc), c.amount);
      }
      if (!hit) return false;
    }
  }
  return true;
}

/** A single-provider group's conditions on one provider (capacity, traits, aggregates). */
function providerOk(p: Provider, g: RequestGroup): boolean {
  return (
    hasEveryAnyOf(g.memberOf, p.aggs) &&
    hasEveryAnyOf(g.requiredTraits, p.traits) &&
    !hasAny(g.forbiddenTraits, p.traits) &&
    !hasAny(g.forbiddenAggs, p.aggs) &&
    resourcesFit(p, g)
  );
}
