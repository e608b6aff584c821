// Resource providers: list (with filters), create, show, update (rename, re-parent), delete.
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { checkQuery, readJson, requireJson } from "../http/body.js";
import { badRequest, conflict, ErrorCodes, escapedNotFound, type HttpError, notFound } from "../http/errors.js";
import { json, latest, noContent } from "../http/respond.js";
import { parseMemberOf, parseRequired, parseResources } from "../http/query.js";
import { policies } from "../policies/index.js";
import { canonicalUuid } from "../python/uuid.js";
import * as schema from "../schemas/resource-provider.js";
import { inTransaction } from "../db/tx.js";
import {
  createProvider,
  deleteProvider,
  DuplicateProvider,
  findProviderView,
  listProviders,
  ProviderActionError,
  ProviderHasChildren,
  ProviderInUse,
  updateProvider,
  type ProviderView,
} from "../objects/resource-provider.js";
import { UnknownResourceClass, UnknownTrait, type ProviderFilter } from "../objects/provider-filter.js";

const policy = policies.resourceProvider;

/** The reference's 404 for a provider lookup that escapes its handler (so without vary). */
export function providerNotFound(uuid: string): HttpError {
  return escapedNotFound(`No resource provider with uuid ${uuid} found`);
}

/** The provider with the path's uuid, or that 404. */
export async function providerFromPath(ctx: Ctx): Promise<ProviderView> {
  const p = await findProviderView(ctx.deps.store.db, ctx.params.uuid!);
  if (!p) throw providerNotFound(ctx.params.uuid!);
  return p;
}

function links(ctx: Ctx, uuid: string) {
  const self = `/resource_providers/${uuid}`;
  const rels = ["inventories", "usages"];
  if (ctx.version.atLeast(1, 1)) rels.push("aggregates");
  if (ctx.version.atLeast(1, 6)) rels.push("traits");
  if (ctx.version.atLeast(1, 11)) rels.push("allocations");
  return [{ rel: "self", href: self }, ...rels.map((rel) => ({ rel, href: `${self}/${rel}` }))];
}

/** The provider as the API shows it at the request's version. */
export function serialize(ctx: Ctx, p: ProviderView): Record<string, unknown> {
  const out: Record<string, unknown> = { uuid: p.uuid, name: p.name, generation: p.generation, links: links(ctx, p.uuid) };
  if (ctx.version.atLeast(1, 14)) {
    out.parent_provider_uuid = p.parentUuid;
    out.root_provider_uuid = p.rootUuid;
  }
  return out;
}

function listSchema(ctx: Ctx): object {
  const v = ctx.version;
  if (v.atLeast(1, 18)) return schema.listQueryV1_18;
  if (v.atLeast(1, 14)) return schema.listQueryV1_14;
  if (v.atLeast(1, 4)) return schema.listQueryV1_4;
  if (v.atLeast(1, 3)) return schema.listQueryV1_3;
  return schema.listQuery;
}

/** The parsed filters of GET /resource_providers (the query string is already schema-checked). */
function listFilter(ctx: Ctx, q: Record<string, string>): ProviderFilter {
  const params = ctx.url.searchParams;
  const f: ProviderFilter = {};
  if (params.has("member_of")) {
    const m = parseMemberOf(params.getAll("member_of"), ctx.version);
    f.memberOf = m.required;
    f.forbiddenAggregates = m.forbidden;
  }
  if (params.has("required")) {
    const r = parseRequired(params.getAll("required"), ctx.version);
    f.requiredTraits = r.required;
    f.forbiddenTraits = r.forbidden;
  }
  if (q.uuid !== undefined) f.uuid = q.uuid;
  if (q.name !== undefined) f.name = q.name;
  if (q.in_tree !== undefined) f.inTree = q.in_tree;
  if (q.resources !== undefined) f.resources = parseResources(q.resources);
  return f;
}

export async function list(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.LIST);
  const q = checkQuery(ctx, listSchema(ctx));
  const filter = listFilter(ctx, q);
  let providers: ProviderView[];
  try {
    providers = await listProviders(ctx.deps.store.db, filter);
  } catch (e) {
    if (e instanceof UnknownResourceClass) throw badRequest(`Invalid resource class in resources parameter: ${e.message}`);
    if (e instanceof UnknownTrait) throw badRequest(`Invalid trait(s) in "required" parameter: ${e.message}`);
    throw e;
  }
  const body = { resource_providers: providers.map((p) => serialize(ctx, p)) };
  return json(ctx, body, {
    lastModified: latest(
      ctx,
      providers.map((p) => p.updatedAt ?? p.createdAt),
    ),
  });
}

interface PostBody {
  name: string;
  uuid?: string;
  parent_provider_uuid?: string | null;
}

export async function create(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, policy.CREATE);
  const body = await readJson<PostBody>(ctx, ctx.version.atLeast(1, 14) ? schema.postProviderV1_14 : schema.postProvider);
  // NOTE: the schema checked the uuid (format "uuid"); the reference stores and answers its canonical form.
  const uuid = (body.uuid && canonicalUuid(body.uuid)) || crypto.randomUUID();
  const store = ctx.deps.store;
  let p: ProviderView;
  try {
    p = await inTransaction(store, (trx) => createProvider(store, trx, { uuid, name: body.name, parentUuid: body.parent_provider_uuid }));
  } catch (e) {
    if (e instanceof DuplicateProvider) {
      const which = e.field === "uuid" ? `uuid: ${uuid}` : `name: ${body.name}`;
      throw conflict(`Conflicting resource provider ${which} already exists.`, ErrorCodes.DUPLICATE_NAME);
    }
    if (e instanceof ProviderActionError) throw badRequest(`Unable to create resource provider "${body.name}", ${uuid}: ${e.message}`);
    throw e;
  }
  const location = new URL(`/resource_providers/${p.uuid}`, ctx.url).toString();
  if (!ctx.version.atLeast(1, 20)) return noContent(ctx, { status: 201, headers: { location } });
  // NOTE: the reference answers with the time of the request, not the stored timestamps.
  return json(ctx, serialize(ctx, p), { headers: { location }, lastModified: ctx.deps.clock() });
}

export async function show(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.SHOW);
  const p = await providerFromPath(ctx);
  return json(ctx, serialize(ctx, p), { lastModified: p.updatedAt ?? p.createdAt ?? ctx.deps.clock() });
}

interface PutBody {
  name: string;
  parent_provider_uuid?: string | null;
}

export async function update(ctx: Ctx): Promise<Response> {
  requireJson(ctx);
  authorize(ctx, policy.UPDATE);
  const current = await providerFromPath(ctx);
  const body = await readJson<PutBody>(ctx, ctx.version.atLeast(1, 14) ? schema.putProviderV1_14 : schema.putProvider);
  const allowReparenting = ctx.version.atLeast(1, 37);
  let p: ProviderView;
  try {
    p = await inTransaction(ctx.deps.store, (trx) =>
      updateProvider(trx, current, { name: body.name, parentUuid: body.parent_provider_uuid }, allowReparenting),
    );
  } catch (e) {
    if (e instanceof DuplicateProvider) throw conflict(`Conflicting resource provider ${body.name} already exists.`, ErrorCodes.DUPLICATE_NAME);
    if (e instanceof ProviderActionError) throw badRequest(`Unable to save resource provider ${current.uuid}: ${e.message}`);
    throw e;
  }
  // NOTE: the reference sends the updated_at it read before the write, and none when it was unset.
  return json(ctx, serialize(ctx, p), { lastModified: current.updatedAt ?? null });
}

export async function remove(ctx: Ctx): Promise<Response> {
  authorize(ctx, policy.DELETE);
  const uuid = ctx.params.uuid!;
  const p = await findProviderView(ctx.deps.store.db, uuid);
  if (!p) throw notFound(`No resource provider with uuid ${uuid} found for delete`);
  try {
    await inTransaction(ctx.deps.store, (trx) => deleteProvider(trx, p));
  } catch (e) {
    if (e instanceof ProviderHasChildren) {
      throw conflict(`Unable to delete parent resource provider ${uuid}: It has child resource providers.`, ErrorCodes.PROVIDER_CANNOT_DELETE_PARENT);
    }
    if (e instanceof ProviderInUse) throw conflict(`Unable to delete resource provider ${uuid}: ${e.message}`, ErrorCodes.PROVIDER_IN_USE);
    throw e;
  }
  return noContent(ctx);
}
