// Planning a claim: what it reads before deciding (consumers and their allocations, classes,
// providers, projects, users, consumer types), the first error in the reference's order, and the
// list of amounts it checks (items). Nothing here writes (on PostgreSQL the lookup may take the
// providers' row locks: caps.supportsLockingCte).
import type { Store } from "../db/open.js";
import type { Tx } from "../db/tx.js";
import type { DomainError } from "./errors.js";
import { ResourceClassNotFound } from "./resource-class.js";
import { lookupAll, pick, type Identities, type Lookup } from "./consumer.js";
import { AllocationProviderNotFound, ConsumerGenerationConflict, type ConsumerWrite } from "./allocation.js";

export interface LockedProvider {
  id: number;
  uuid: string;
  generation: number;
}

interface Existing {
  consumer: string;
  provider: LockedProvider;
  rcId: number;
  rcName: string;
}

/** What a claim read before deciding: consumers, classes, providers, and the errors found so far. */
export interface ClaimPlan {
  writes: ConsumerWrite[];
  lookup: Lookup;
  /** Providers by uuid; generations are refreshed when locked and kept current as the claim bumps them. */
  providers: Map<string, LockedProvider>;
  /** Existing allocations of the consumers whose allocations are being removed. */
  removed: Existing[];
  /** The first error in the reference's order: a consumer generation, then an unknown provider. */
  error?: DomainError;
  /** An unknown resource class (the reference finds it later, inside its write transaction). */
  classError?: DomainError;
  /** Lower-case uuids of the providers the lookup locked already. */
  locked: ReadonlySet<string>;
}

/** The projects, users and consumer types the writes name (with repeats). */
export function identitiesOf(writes: readonly ConsumerWrite[]): Identities {
  return {
    projects: writes.map((w) => w.project),
    users: writes.map((w) => w.user),
    types: writes.flatMap((w) => (w.consumerType === undefined ? [] : [w.consumerType])),
  };
}

/**
 * Reads what the claim needs, without locks (one round trip, two when allocations are removed),
 * with the consumers' current allocations (a batch judges replacements against them; a consumer
 * with none and no row has nothing to delete). `moreProviders` are read too (the reshaper's).
 * Errors are recorded, not thrown, so callers can put their own checks first.
 */
export async function planClaim(
  store: Store,
  trx: Tx,
  writes: ConsumerWrite[],
  moreProviders: readonly string[] = [],
  opts: { lockProviders?: boolean } = {},
): Promise<ClaimPlan> {
  const classes: string[] = [];
  const rps = new Set(moreProviders);
  for (const w of writes)
    for (const [rp, res] of w.allocations) {
      rps.add(rp);
      for (const rc of res.keys()) classes.push(rc);
    }
  const lookup = await lookupAll(trx, {
    consumers: writes.map((w) => w.uuid),
    classes,
    providers: [...rps],
    ...identitiesOf(writes),
    allocationsOf: writes.map((w) => w.uuid),
    lockProviders: opts.lockProviders && store.caps.supportsLockingCte,
  });
  const providers = new Map(lookup.providers);
  const removed: Existing[] = [];
  const removing = writes.filter((w) => w.allocations.size === 0).map((w) => w.uuid);
  if (removing.length) {
    const rows = await trx
      .selectFrom("allocations as a")
      .innerJoin("resource_classes as rc", "rc.id", "a.resource_class_id")
      .innerJoin("resource_providers as rp", "rp.id", "a.resource_provider_id")
      .select(["a.consumer_id", "a.resource_class_id", "rc.name", "rp.id", "rp.uuid", "rp.generation"])
      .where("a.consumer_id", "in", removing)
      .orderBy("a.id")
      .execute();
    for (const r of rows) {
      let p = providers.get(r.uuid);
      if (!p) providers.set(r.uuid, (p = { id: r.id, uuid: r.uuid, generation: r.generation ?? 0 }));
      removed.push({ consumer: r.consumer_id, provider: p, rcId: r.resource_class_id, rcName: r.name });
    }
  }
  const locked = new Set(opts.lockProviders && store.caps.supportsLockingCte ? [...lookup.providers.keys()].map((u) => u.toLowerCase()) : []);
  const plan: ClaimPlan = { writes, lookup, providers, removed, locked };
  plan.error = firstPlanError(plan);
  plan.classError = unknownClass(writes, lookup);
  return plan;
}

/** The first resource class of the writes that does not exist. */
export function unknownClass(writes: readonly ConsumerWrite[], lookup: Lookup): DomainError | undefined {
  for (const w of writes)
    for (const res of w.allocations.values()) for (const rc of res.keys()) if (!lookup.classes.has(rc)) return new ResourceClassNotFound(rc);
  return undefined;
}

export function firstPlanError(plan: ClaimPlan): DomainError | undefined {
  for (const w of plan.writes) {
    if (!w.checkGeneration) continue;
    const c = pick(plan.lookup.consumers, w.uuid);
    const given = w.generation ?? null;
    const givenText = w.generationText ?? String(given);
    if (c && c.generation !== given)
      return new ConsumerGenerationConflict(`consumer generation conflict - expected ${c.generation} but got ${given === null ? "None" : givenText}`);
    if (!c && given !== null) return new ConsumerGenerationConflict(`consumer generation conflict - expected null but got ${givenText}`);
  }
  for (const w of plan.writes) for (const rp of w.allocations.keys()) if (!pick(plan.providers, rp)) return new AllocationProviderNotFound(rp);
  return undefined;
}

export interface Item {
  consumer: string;
  provider: LockedProvider;
  rcId: number;
  rcName: string;
  used: number;
}

/** The list the reference checks for these writes: new amounts, and zero for each removed allocation. */
export function claimItems(plan: ClaimPlan, writes: readonly ConsumerWrite[]): Item[] {
  const items: Item[] = [];
  for (const w of writes) {
    if (w.allocations.size === 0) {
      for (const r of plan.removed)
        if (r.consumer.toLowerCase() === w.uuid.toLowerCase()) items.push({ consumer: w.uuid, provider: r.provider, rcId: r.rcId, rcName: r.rcName, used: 0 });
      continue;
    }
    for (const [rp, res] of w.allocations)
      for (const [rc, used] of res)
        items.push({ consumer: w.uuid, provider: pick(plan.providers, rp)!, rcId: pick(plan.lookup.classes, rc)!, rcName: rc, used });
  }
  return items;
}
