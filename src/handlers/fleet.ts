// The dashboard's own reads (/ui/api/...), for views the Placement API has no single read for:
// fleet totals, pages of trees and consumers, a tree in full. Read-only, guarded by the rules of
// the Placement reads they summarise; answers carry an ETag so that polling costs a 304.
import { createHash } from "node:crypto";
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { checkQuery } from "../http/body.js";
import { badRequest, notFound } from "../http/errors.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/fleet.js";
import * as fleet from "../objects/fleet.js";

const rp = policies.resourceProvider;

export async function summary(ctx: Ctx): Promise<Response> {
  authorize(ctx, rp.LIST);
  const q = checkQuery(ctx, schema.getFleet);
  const filter: fleet.FleetFilter = { aggregate: q.aggregate, trait: q.trait, tree: q.tree };
  const limit = Math.min(Number(q.limit ?? 10), schema.MAX_RANKED);
  const db = ctx.deps.store.db;
  const counts = await fleet.fleetCounts(db, filter);
  const summary = await fleet.fleetSummary(db, filter, q.resource_class, limit);
  return revalidated(ctx, { filter, ...counts, ...summary });
}

export async function filters(ctx: Ctx): Promise<Response> {
  authorize(ctx, rp.LIST);
  checkQuery(ctx, schema.getFilters);
  return revalidated(ctx, await fleet.filterChoices(ctx.deps.store.db));
}

export async function trees(ctx: Ctx): Promise<Response> {
  authorize(ctx, rp.LIST);
  const q = checkQuery(ctx, schema.getTrees);
  const page = await fleet.treesPage(ctx.deps.store.db, q.q?.trim() || undefined, Number(q.offset ?? 0), Number(q.limit ?? 100));
  return revalidated(ctx, page);
}

export async function tree(ctx: Ctx): Promise<Response> {
  authorize(ctx, rp.SHOW);
  checkQuery(ctx, schema.getTree);
  const uuid = ctx.params.uuid!;
  const found = await fleet.treeOf(ctx.deps.store.db, uuid);
  if (!found) throw notFound(`No resource provider with uuid ${uuid} found`);
  return revalidated(ctx, found);
}

export async function consumers(ctx: Ctx): Promise<Response> {
  // NOTE: a consumer list shows allocations, so it takes the rule of reading a consumer's.
  authorize(ctx, policies.allocation.ALLOC_LIST);
  const q = checkQuery(ctx, schema.getConsumers);
  const filter: fleet.ConsumerFilter = { project: q.project_id, user: q.user_id, type: q.consumer_type };
  const db = ctx.deps.store.db;
  const page = await fleet.consumersPage(db, filter, Number(q.offset ?? 0), Number(q.limit ?? 100));
  const by_project = await fleet.usageGroups(db, filter, "project");
  const by_user = filter.project !== undefined ? await fleet.usageGroups(db, filter, "user") : [];
  const by_type = await fleet.usageGroups(db, filter, "type");
  return revalidated(ctx, { ...page, by_project, by_user, by_type });
}

export async function names(ctx: Ctx): Promise<Response> {
  authorize(ctx, rp.LIST);
  const q = checkQuery(ctx, schema.getNames);
  const uuids = [...new Set(q.uuid!.split(","))];
  if (uuids.length > schema.MAX_NAMES) throw badRequest(`At most ${schema.MAX_NAMES} uuids at once`);
  return revalidated(ctx, { providers: await fleet.providerNames(ctx.deps.store.db, uuids) });
}

/** JSON with an ETag of its bytes: a request that already has them gets a 304. */
function revalidated(ctx: Ctx, body: unknown): Response {
  const text = JSON.stringify(body);
  const etag = `"${createHash("sha1").update(text).digest("base64url")}"`;
  const headers = { etag, "cache-control": "private, no-cache", vary: "x-auth-token" };
  const seen = ctx.req.headers.get("if-none-match");
  if (seen?.split(",").some((t) => t.trim() === etag)) return new Response(null, { status: 304, headers });
  return new Response(text, { status: 200, headers: { ...headers, "content-type": "application/json" } });
}
