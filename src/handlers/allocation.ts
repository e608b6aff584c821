// Allocations of consumers: GET/PUT/DELETE /allocations/{consumer_uuid}, POST /allocations and
// GET /resource_providers/{uuid}/allocations.
import type { Ctx } from "../http/context.js";
import { inTransaction } from "../db/tx.js";
import { authorize } from "../http/auth.js";
import { readJson, requireJson, sentNumber } from "../http/body.js";
import { badRequest, conflict, ErrorCodes, notFound } from "../http/errors.js";
import { json, latest, noContent } from "../http/respond.js";
import { policies } from "../policies/index.js";
import { canonicalUuid } from "../python/uuid.js";
import * as schema from "../schemas/allocation.js";
import { NotFound, ConcurrentUpdate } from "../objects/errors.js";
import { findProvider } from "../objects/resource-provider.js";
import { NULL_CONSUMER_TYPE_ALIAS } from "../objects/consumer.js";
import {
  AllocationProviderNotFound,
  allocationsOfConsumer,
  allocationsOfProvider,
  ConsumerGenerationConflict,
  deleteAllocationsOfConsumer,
  InvalidInventory,
  type ConsumerWrite,
} from "../objects/allocation.js";

const p = policies.allocation;

export async function show(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.ALLOC_LIST);
  const a = await allocationsOfConsumer(ctx.deps.store.db, ctx.params.consumer_uuid!);
  const allocations: Record<string, unknown> = {};
  for (const [rp, x] of a.providers) allocations[rp] = { resources: x.resources, generation: x.generation };
  const body: Record<string, unknown> = { allocations };
  if (a.providers.size && ctx.version.atLeast(1, 12)) {
    body.project_id = a.project;
    body.user_id = a.user;
    if (ctx.version.atLeast(1, 28)) body.consumer_generation = a.generation;
    if (ctx.version.atLeast(1, 38)) body.consumer_type = a.consumerType ?? NULL_CONSUMER_TYPE_ALIAS;
  }
  return json(ctx, body, { lastModified: latest(ctx, [a.modified]) });
}

export async function forProvider(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.RP_ALLOC_LIST);
  const uuid = ctx.params.uuid!;
  const db = ctx.deps.store.db;
  const rp = await findProvider(db, uuid);
  if (!rp) throw notFound(`Resource provider '${uuid}' not found: No resource provider with uuid ${uuid} found`);
  const a = await allocationsOfProvider(db, rp.id);
  const allocations: Record<string, unknown> = {};
  for (const [c, x] of a.consumers)
    allocations[c] = ctx.version.atLeast(1, 28) ? { resources: x.resources, consumer_generation: x.generation } : { resources: x.resources };
  return json(ctx, { allocations, resource_provider_generation: rp.generation }, { lastModified: latest(ctx, [a.modified]) });
}

export async function replace(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.ALLOC_UPDATE);
  const consumer = canonicalUuid(ctx.params.consumer_uuid!);
  if (!consumer) throw badRequest(`Malformed consumer_uuid: ${ctx.params.consumer_uuid}`);
  const body = await readJson<schema.ConsumerAllocationsBody | schema.ListAllocationsBody>(ctx, schema.putSchemaFor(ctx.version));
  const write = consumerWrite(ctx, consumer, asDict(body));
  try {
    await claim(ctx, [write]);
  } catch (e) {
    if (e instanceof NotFound && !(e instanceof AllocationProviderNotFound))
      throw badRequest(`Unable to allocate inventory for consumer ${consumer}: ${e.message}`);
    throw claimError(e);
  }
  return noContent(ctx);
}

export async function postMany(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, p.ALLOC_MANAGE);
  const body = await readJson<schema.PostAllocationsBody>(ctx, schema.postSchemaFor(ctx.version));
  const writes = consumerWrites(ctx, body);
  try {
    await claim(ctx, writes);
  } catch (e) {
    if (e instanceof NotFound && !(e instanceof AllocationProviderNotFound)) throw badRequest(`Unable to allocate inventory ${e.message}`);
    throw claimError(e);
  }
  return noContent(ctx);
}

export async function remove(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.ALLOC_DELETE);
  const consumer = ctx.params.consumer_uuid!;
  try {
    await inTransaction(ctx.deps.store, (trx) => deleteAllocationsOfConsumer(trx, consumer));
  } catch (e) {
    if (e instanceof NotFound) throw notFound(e.message);
    throw e;
  }
  return noContent(ctx);
}

// ---- shared with the reshaper ----

/** The writes of a POST /allocations (or reshaper) body, in its order. */
export function consumerWrites(ctx: Ctx, body: schema.PostAllocationsBody): ConsumerWrite[] {
  return Object.entries(body).map(([uuid, c]) => consumerWrite(ctx, uuid, c));
}

/** The errors every claim can end in, as the reference words them. */
export function claimError(e: unknown): unknown {
  if (e instanceof ConsumerGenerationConflict) return conflict(e.message, ErrorCodes.CONCURRENT_UPDATE);
  if (e instanceof AllocationProviderNotFound) return badRequest(e.message);
  if (e instanceof InvalidInventory) return conflict(`Unable to allocate inventory: ${e.message}`);
  if (e instanceof ConcurrentUpdate)
    return conflict(`Inventory and/or allocations changed while attempting to allocate: ${e.message}`, ErrorCodes.CONCURRENT_UPDATE);
  return e;
}

function claim(ctx: Ctx, writes: ConsumerWrite[]): Promise<void> {
  return ctx.deps.claims.claim(writes);
}

function consumerWrite(ctx: Ctx, uuid: string, c: schema.ConsumerAllocationsBody): ConsumerWrite {
  const cfg = ctx.deps.config.placement;
  // NOTE: writers older than 1.8 send no project or user; the configured placeholders stand in.
  const incomplete = c.project_id === undefined;
  const allocations = new Map<string, Map<string, number>>();
  for (const [rp, a] of Object.entries(c.allocations)) allocations.set(rp, new Map(Object.entries(a.resources)));
  return {
    uuid,
    project: incomplete ? cfg.incompleteConsumerProjectId : c.project_id!,
    user: incomplete ? cfg.incompleteConsumerUserId : c.user_id!,
    checkGeneration: ctx.version.atLeast(1, 28),
    generation: c.consumer_generation,
    generationText: typeof c.consumer_generation === "number" ? sentNumber(c, "consumer_generation", c.consumer_generation) : undefined,
    consumerType: ctx.version.atLeast(1, 38) ? c.consumer_type : undefined,
    allocations,
  };
}

/** The list form (before 1.12) as the dict form; a provider listed twice keeps its last entry. */
function asDict(body: schema.ConsumerAllocationsBody | schema.ListAllocationsBody): schema.ConsumerAllocationsBody {
  if (!Array.isArray(body.allocations)) return body as schema.ConsumerAllocationsBody;
  const allocations: schema.ConsumerAllocationsBody["allocations"] = {};
  for (const a of body.allocations) allocations[a.resource_provider.uuid] = { resources: a.resources };
  return { ...body, allocations };
}
