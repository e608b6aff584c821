// The slice of the database a candidate search looks at: whole provider trees with their
// inventories, usages, traits and aggregates, plus the request-wide facts the reference consults.
import type { Inv } from "../capacity.js";
import { at, first } from "@berth/client/common";
export { capacityOf, fits, type Inv } from "../capacity.js";

export interface Provider {
  readonly id: number;
  readonly uuid: string;
  readonly parentId: number | null;
  readonly rootId: number;
  readonly inv: Map<string, Inv>;
  readonly traits: Set<string>;
  readonly aggs: Set<string>;
}

export interface World {
  readonly providers: Map<number, Provider>;
  /** Loaded trees: root id -> every provider of the tree. */
  readonly byRoot: Map<number, Provider[]>;
  /** Some provider anywhere has a parent (the reference then takes its tree-aware path). */
  readonly hasTrees: boolean;
  /** Every provider with MISC_SHARES_VIA_AGGREGATE (their trees are loaded). */
  readonly sharing: Set<number>;
  /** Sharing provider -> roots of every provider sharing an aggregate with it (its anchors). */
  readonly sharingAnchors: Map<number, Set<number>>;
  /** root_required: the roots allowed to anchor a candidate; undefined when not given. */
  readonly anchorRoots?: Set<number>;
  /** in_tree uuid -> root id of that provider's tree (absent when the provider does not exist). */
  readonly inTreeRoots: Map<string, number>;
  /** The tree lists and providers outlive the request and never change (a snapshot's). */
  readonly stable?: boolean;
}

export const SHARES_TRAIT = "MISC_SHARES_VIA_AGGREGATE";

export function emptyWorld(init: Partial<World> = {}): World {
  return {
    providers: new Map(),
    byRoot: new Map(),
    hasTrees: false,
    sharing: new Set(),
    sharingAnchors: new Map(),
    inTreeRoots: new Map(),
    ...init,
  };
}

/** Adds providers (whole trees) to a world. */
export function addProviders(world: World, ps: Iterable<Provider>): void {
  for (const p of ps) {
    if (world.providers.has(p.id)) continue;
    world.providers.set(p.id, p);
    let list = world.byRoot.get(p.rootId);
    if (!list) world.byRoot.set(p.rootId, (list = []));
    list.push(p);
  }
}

/**
 * A provider's inventories with usage, traits, and the given aggregates of its, as text (names
 * contain none of the separators).
 */
export function providerKey(p: Provider, aggs: readonly string[]): string {
  let key = "";
  const inv = p.inv.size > 1 ? [...p.inv].sort(([a], [b]) => (a < b ? -1 : 1)) : p.inv;
  for (const [rc, i] of inv) key += `${rc}:${i.total}:${i.reserved}:${i.minUnit}:${i.maxUnit}:${i.stepSize}:${i.ratio}:${i.used};`;
  return `${key}|${p.traits.size > 1 ? [...p.traits].sort().join(",") : [...p.traits].join(",")}|${aggs.join(",")}`;
}

/**
 * What a search can see of a tree, by position in its list: each provider's parent (as a position),
 * inventories with usage, traits and aggregates. Two trees of one shape have the same candidates,
 * provider for provider by position. NOTE: kept per list, so only for lists that never change
 * (World.stable); a list not in id order (what leaf classes and option lists follow) gets a shape
 * of its own.
 */
const shapes = new WeakMap<readonly Provider[], string>();
export function treeShape(tree: readonly Provider[]): string {
  let key = shapes.get(tree);
  if (key !== undefined) return key;
  const pos = new Map<number, number>();
  key = "";
  for (let i = 0; i < tree.length; i++) {
    const p = at(tree, i);
    if (i > 0 && p.id <= at(tree, i - 1).id) {
      key = `#${first(tree).id}`;
      break;
    }
    pos.set(p.id, i);
    key += `${p.parentId === null ? "-" : (pos.get(p.parentId) ?? "?")}(${providerKey(p, [...p.aggs].sort())})`;
  }
  shapes.set(tree, key);
  return key;
}
