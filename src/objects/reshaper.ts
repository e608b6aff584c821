// The reshaper: replace several providers' inventories and the allocations that use them in one
// transaction (a compute node's VGPU inventory moving from the root to child providers).
import type { Store } from "../db/open.js";
import type { Tx } from "../db/tx.js";
import { ConcurrentUpdate, NotFound } from "./errors.js";
import type { ConsumerWrite } from "./allocation.js";
import { planClaim } from "./claim-plan.js";
import { applyClaim, lockProviders } from "./claim-write.js";
import { pick } from "./consumer.js";
import { listInventories, setInventories, type Inventory } from "./inventory.js";
import type { ProviderRow } from "./resource-provider.js";

export class ReshapeProviderNotFound extends NotFound {
  constructor(readonly uuid: string) {
    super(`No resource provider with uuid ${uuid} found`);
  }
}
export class ReshapeGenerationConflict extends ConcurrentUpdate {}

export interface ReshapeRequest {
  /** provider uuid -> the generation the client saw and the inventories it wants, in request order. */
  inventories: Map<string, { generation: number; inventories: Inventory[] }>;
  allocations: ConsumerWrite[];
}

/**
 * In the reference's steps: a union of old and new inventory first (allocations cannot move onto
 * inventory that does not exist yet, nor leave inventory that must go), then the allocations, then
 * the inventories as asked. Each step bumps the generations it touches.
 */
export async function reshape(store: Store, trx: Tx, req: ReshapeRequest): Promise<void> {
  const plan = await planClaim(store, trx, req.allocations, [...req.inventories.keys()]);
  await lockProviders(
    store,
    trx,
    plan,
    // NOTE: every provider of the reshape at once, in one order, before anything is written.
    [...plan.providers.keys()],
  );
  for (const [uuid, want] of req.inventories) {
    const p = pick(plan.providers, uuid);
    if (!p) throw new ReshapeProviderNotFound(uuid);
    if (p.generation !== want.generation)
      throw new ReshapeGenerationConflict(`resource provider generation conflict for provider ${uuid}: actual: ${p.generation}, given: ${want.generation}`);
  }
  if (plan.error) throw plan.error;
  for (const [uuid, want] of req.inventories) {
    if (!want.inventories.length) continue;
    const p = pick(plan.providers, uuid)!;
    const union = new Map((await listInventories(trx, p.id)).map((i) => [i.resourceClass, i]));
    for (const inv of want.inventories) union.set(inv.resourceClass, inv);
    p.generation = await setInventories(trx, asRow(p), [...union.values()]);
  }
  await applyClaim(store, trx, plan);
  for (const [uuid, want] of req.inventories) {
    const p = pick(plan.providers, uuid)!;
    p.generation = await setInventories(trx, asRow(p), want.inventories);
  }
}

// setInventories needs only the id, uuid and generation of the provider.
function asRow(p: { id: number; uuid: string; generation: number }): ProviderRow {
  return { ...p, name: null, root_provider_id: null, parent_provider_id: null, created_at: null, updated_at: null };
}
