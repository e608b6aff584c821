// Usages of a provider and of a project.
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { checkQuery } from "../http/body.js";
import { notFound } from "../http/errors.js";
import { json } from "../http/respond.js";
import { policies } from "../policies/index.js";
import * as schema from "../schemas/usage.js";
import { findProvider } from "../objects/resource-provider.js";
import { usagesByConsumerType, usagesOfProject, usagesOfProvider } from "../objects/usage.js";

const p = policies.usage;

export async function forProvider(ctx: Ctx): Promise<Response> {
  authorize(ctx, p.PROVIDER_USAGES);
  const uuid = ctx.params.uuid!;
  const db = ctx.deps.store.db;
  const rp = await findProvider(db, uuid);
  if (!rp) throw notFound(`No resource provider with uuid ${uuid} found: No resource provider with uuid ${uuid} found`);
  const usages = await usagesOfProvider(db, rp.id);
  // NOTE: usage is "now", so last-modified is now, as in the reference.
  return json(ctx, { resource_provider_generation: rp.generation, usages: Object.fromEntries(usages) }, { lastModified: ctx.deps.clock() });
}

export async function forProject(ctx: Ctx): Promise<Response> {
  // NOTE: the target is the queried project, so a project reader may read its own usage.
  authorize(ctx, p.TOTAL_USAGES, { project_id: ctx.url.searchParams.getAll("project_id").at(-1) ?? null });
  const byType = ctx.version.atLeast(1, 38);
  const q = checkQuery(ctx, byType ? schema.getUsagesV1_38 : schema.getUsagesV1_9);
  const filter = { project: q.project_id!, user: q.user_id || undefined };
  const db = ctx.deps.store.db;
  let usages: Record<string, unknown>;
  if (byType) {
    usages = {};
    for (const [type, g] of await usagesByConsumerType(db, filter, q.consumer_type))
      usages[type] = { ...Object.fromEntries(g.usages), consumer_count: g.consumerCount };
  } else usages = Object.fromEntries(await usagesOfProject(db, filter));
  return json(ctx, { usages }, { lastModified: ctx.deps.clock() });
}
