// The slice of the database a candidate search looks at: whole provider trees with their
// inventories, usages, traits and aggregates, plus the request-wide facts the reference consults.
import type { Inv } from "../capacity.js";
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
