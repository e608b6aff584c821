// Aggregates of a provider (1.1): a list of uuids; from 1.19 with the provider generation.
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { readJson, requireJson } from "../http/body.js";
import { conflict, ErrorCodes, notFound } from "../http/errors.js";
import { json } from "../http/respond.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/aggregate.js";
import { inTransaction } from "../db/tx.js";
import { aggregatesOf, setAggregates } from "../objects/aggregate.js";
import { bumpGeneration } from "../objects/resource-provider.js";
import { ConcurrentUpdate } from "../objects/errors.js";
import { providerFromPath } from "./resource-provider.js";

const policy = policies.aggregate;

function respond(ctx: Ctx, aggregates: string[], generation: number): Response {
  const body: Record<string, unknown> = { aggregates };
  if (ctx.version.atLeast(1, 19)) body.resource_provider_generation = generation;
  // NOTE: no time is kept for an association, so the reference sends now.
  return json(ctx, body, { lastModified: ctx.deps.clock() });
}

/** The path appeared in 1.1 (see the NOTE in routes.ts on why the handlers check it). */
function requireV1_1(ctx: Ctx): void {
  if (ctx.version.lessThan(1, 1)) throw notFound("");
}

export async function show(ctx: Ctx): Promise<Response> {
  requireV1_1(ctx);
  authorize(ctx, policy.LIST);
  const p = await providerFromPath(ctx);
  return respond(ctx, await aggregatesOf(ctx.deps.store.db, p.id), p.generation);
}

export async function replace(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  requireV1_1(ctx);
  authorize(ctx, policy.UPDATE);
  const withGeneration = ctx.version.atLeast(1, 19);
  const p = await providerFromPath(ctx);
  let aggregates: string[];
  if (withGeneration) {
    const body = await readJson<{ aggregates: string[]; resource_provider_generation: number }>(ctx, schema.putAggregatesV1_19);
    if (body.resource_provider_generation !== p.generation) {
      throw conflict("Resource provider's generation already changed. Please update the generation and try again.", ErrorCodes.CONCURRENT_UPDATE);
    }
    aggregates = body.aggregates;
  } else {
    aggregates = await readJson<string[]>(ctx, schema.putAggregates);
  }
  const store = ctx.deps.store;
  let generation = p.generation;
  try {
    generation = await inTransaction(store, async (trx) => {
      await setAggregates(store, trx, p.id, aggregates);
      // NOTE: before 1.19 the reference changes aggregates without touching the generation.
      return withGeneration ? bumpGeneration(trx, p.id, p.generation) : p.generation;
    });
  } catch (e) {
    if (e instanceof ConcurrentUpdate) {
      throw conflict("Update conflict: Another thread concurrently updated the resource provider data. Please retry your update", ErrorCodes.CONCURRENT_UPDATE);
    }
    throw e;
  }
  return respond(ctx, aggregates, generation);
}
