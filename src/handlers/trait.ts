// Traits and the traits of a provider (1.6+).
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { checkQuery, readJson, requireJson } from "../http/body.js";
import { badRequest, conflict, ErrorCodes, escapedNotFound, type HttpError, notFound } from "../http/errors.js";
import { json, noContent } from "../http/respond.js";
import { inTransaction } from "../db/tx.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/trait.js";
import * as traits from "../objects/trait.js";
import { findProvider, getProvider } from "../objects/resource-provider.js";
import { ConcurrentUpdate, NotFound } from "../objects/errors.js";

const policy = policies.trait;

export async function list(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.TRAITS_LIST);
  const query = checkQuery(ctx, schema.listQuery);
  const filter = listFilter(query);
  const found = await traits.listTraits(ctx.deps.store.db, filter);
  return json(ctx, { traits: found.map((t) => t.name) }, { lastModified: traits.lastModified(found) ?? ctx.deps.clock() });
}

export async function show(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.TRAITS_SHOW);
  const trait = await traits.findTrait(ctx.deps.store.db, ctx.params.name!);
  if (!trait) throw notFound(`No such trait(s): ${ctx.params.name}.`);
  // NOTE: a row without created_at still gets cache-control from 1.15, but no last-modified.
  return noContent(ctx, { lastModified: trait.createdAt ?? null });
}

export async function create(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.TRAITS_UPDATE);
  const name = ctx.params.name!;
  if (!isCustomTraitName(name)) {
    throw badRequest(
      'The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"',
    );
  }
  const db = ctx.deps.store.db;
  let status = 204;
  let trait = await traits.findTrait(db, name);
  if (!trait) {
    // NOTE: another request may create it between our read and our insert: it exists, so 204.
    const created = await inTransaction(ctx.deps.store, (trx) => traits.createTrait(ctx.deps.store, trx, name, ctx.deps.clock));
    if (created) status = 201;
    trait = await traits.findTrait(db, name);
  }
  const location = new URL(`/traits/${name}`, ctx.url).toString();
  return noContent(ctx, { lastModified: trait?.createdAt ?? ctx.deps.clock(), status, headers: { location } });
}

export async function remove(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.TRAITS_DELETE);
  try {
    await inTransaction(ctx.deps.store, (trx) => traits.deleteTrait(trx, ctx.params.name!));
  } catch (e) {
    if (e instanceof traits.TraitNotFound) throw notFound(e.message);
    if (e instanceof traits.TraitCannotDeleteStandard) throw badRequest(e.message);
    if (e instanceof traits.TraitInUse) throw conflict(e.message);
    throw e;
  }
  return noContent(ctx);
}

export async function forProvider(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.RP_TRAIT_LIST);
  const uuid = ctx.params.uuid!;
  const db = ctx.deps.store.db;
  const provider = await findProvider(db, uuid);
  if (!provider) throw notFound(`No resource provider with uuid ${uuid} found: No resource provider with uuid ${uuid} found`);
  const found = await traits.providerTraits(db, provider.id);
  const body = { traits: found.map((t) => t.name), resource_provider_generation: provider.generation };
  return json(ctx, body, { lastModified: traits.lastModified(found) ?? ctx.deps.clock() });
}

export async function replaceForProvider(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, policy.RP_TRAIT_UPDATE);
  const data = await readJson<schema.SetProviderTraits>(ctx, schema.setProviderTraits);
  const result = await inTransaction(ctx.deps.store, async (trx) => {
    const provider = await getProviderOr404(trx, ctx.params.uuid!);
    if (provider.generation !== data.resource_provider_generation) throw generationConflict();
    const requested = new Set(data.traits);
    // NOTE: exact names only; a case-insensitive collation (MySQL) may return near matches.
    const wanted = (await traits.listTraits(trx, { nameIn: data.traits })).filter((t) => requested.has(t.name));
    const have = new Set(wanted.map((t) => t.name));
    const missing = [...requested].filter((n) => !have.has(n));
    if (missing.length) throw badRequest(`No such trait ${missing.join(", ")}`);
    try {
      const generation = await traits.setProviderTraits(trx, provider, wanted, ctx.deps.clock);
      return { wanted, generation };
    } catch (e) {
      // NOTE: the reference answers a race lost here with a 500; the generation check's 409 is the truth.
      if (e instanceof ConcurrentUpdate) throw generationConflict();
      throw e;
    }
  });
  const body = { traits: result.wanted.map((t) => t.name), resource_provider_generation: result.generation };
  return json(ctx, body, { lastModified: traits.lastModified(result.wanted) ?? ctx.deps.clock() });
}

export async function removeForProvider(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.RP_TRAIT_DELETE);
  await inTransaction(ctx.deps.store, async (trx) => {
    const provider = await getProviderOr404(trx, ctx.params.uuid!);
    try {
      await traits.setProviderTraits(trx, provider, [], ctx.deps.clock);
    } catch (e) {
      if (e instanceof ConcurrentUpdate) {
        throw conflict("Another thread concurrently updated the resource provider data. Please retry your update", ErrorCodes.CONCURRENT_UPDATE);
      }
      throw e;
    }
  });
  return noContent(ctx);
}

/** The filters of GET /traits, or the reference's 400 for a malformed `name` or `associated`. */
export function listFilter(query: Record<string, string>): traits.TraitFilter {
  const filter: traits.TraitFilter = {};
  const name = query.name;
  if (name !== undefined) {
    const i = name.indexOf(":");
    if (i < 0) {
      throw badRequest(
        `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${name}"`,
      );
    }
    const op = name.slice(0, i);
    const value = name.slice(i + 1);
    // NOTE: any other operator is ignored, as in the reference: `name=foo:X` lists every trait.
    if (op === "in") filter.nameIn = value.split(",");
    else if (op === "startswith") filter.prefix = value;
  }
  const associated = query.associated;
  if (associated !== undefined) {
    const v = associated.toLowerCase();
    if (v !== "true" && v !== "false") throw badRequest('The query parameter "associated" only accepts "true" or "false"');
    filter.associated = v === "true";
  }
  return filter;
}

/** CUSTOM_ and [A-Z0-9_], at most 255 characters. */
export function isCustomTraitName(name: string): boolean {
  // NOTE: the reference's pattern check is Python's re.search, whose `$` also matches before one
  // trailing newline, so it accepts `CUSTOM_X\n`; so do we.
  const body = name.endsWith("\n") ? name.slice(0, -1) : name;
  return name.length >= 1 && name.length <= schema.CUSTOM_TRAIT_MAX_LENGTH && schema.CUSTOM_TRAIT_PATTERN.test(body);
}

function generationConflict(): HttpError {
  return conflict("Resource provider's generation already changed. Please update the generation and try again.", ErrorCodes.CONCURRENT_UPDATE);
}

/** The missing provider of a write: the reference's lookup escapes its handler, so no vary. */
async function getProviderOr404(trx: Parameters<typeof getProvider>[0], uuid: string) {
  try {
    return await getProvider(trx, uuid);
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
    throw escapedNotFound(e.message);
  }
}
