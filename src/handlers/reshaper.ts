// The reshaper: POST /reshaper (1.30).
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { readJson, requireJson } from "../http/body.js";
import { badRequest, conflict, ErrorCodes } from "../http/errors.js";
import { noContent } from "../http/respond.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/reshaper.js";
import { ConcurrentUpdate, NotFound } from "../objects/errors.js";
import { AllocationProviderNotFound, ConsumerGenerationConflict, InvalidInventory } from "../objects/allocation.js";
import { inClaimTransaction } from "../objects/claim-write.js";
import { InventoryInUse } from "../objects/inventory.js";
import { reshape as reshapeAll, ReshapeGenerationConflict, ReshapeProviderNotFound, type ReshapeRequest } from "../objects/reshaper.js";
import { claimError, consumerWrites } from "./allocation.js";
import { fromFields } from "./inventory.js";

export async function reshape(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, policies.reshaper.RESHAPE);
  const body = await readJson<schema.ReshaperBody>(ctx, schema.reshaperSchemaFor(ctx.version));
  const req: ReshapeRequest = { inventories: new Map(), allocations: consumerWrites(ctx, body.allocations) };
  for (const [uuid, inv] of Object.entries(body.inventories))
    req.inventories.set(uuid, {
      generation: inv.resource_provider_generation,
      inventories: Object.entries(inv.inventories).map(([rc, i]) => fromFields(rc, i)),
    });
  const store = ctx.deps.store;
  try {
    await inClaimTransaction(store, { retries: ctx.deps.config.placement.allocationConflictRetryCount }, (trx) => reshapeAll(store, trx, req));
  } catch (e) {
    throw reshapeError(e);
  }
  return noContent(ctx);
}

function reshapeError(e: unknown): unknown {
  if (e instanceof ReshapeProviderNotFound)
    return badRequest(`Resource provider ${e.uuid} in inventories not found: ${e.message}`, ErrorCodes.RESOURCE_PROVIDER_NOT_FOUND);
  if (e instanceof ReshapeGenerationConflict || e instanceof ConsumerGenerationConflict) return conflict(e.message, ErrorCodes.CONCURRENT_UPDATE);
  if (e instanceof AllocationProviderNotFound) return claimError(e);
  if (e instanceof ConcurrentUpdate) return conflict(`update conflict: ${e.message}`, ErrorCodes.CONCURRENT_UPDATE);
  if (e instanceof NotFound) return badRequest(`malformed reshaper data: ${e.message}`);
  if (e instanceof InventoryInUse) return conflict(`update conflict: ${e.message}`, ErrorCodes.INVENTORY_INUSE);
  if (e instanceof InvalidInventory) return conflict(`Unable to allocate inventory: ${e.message}`);
  return e;
}
