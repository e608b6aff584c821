// GET /healthcheck: 200 while the database answers, 503 with a reason when it does not. Served
// without auth (for load balancers), and tells nothing beyond that.
import type { Ctx } from "../http/context.js";

export async function check(ctx: Ctx): Promise<Response> {
  const health = await ctx.deps.checkDatabase();
  const headers = { "content-type": "application/json", "cache-control": "no-store" };
  if (health.ok) return new Response(JSON.stringify({ status: "ok" }), { status: 200, headers });
  // The details (addresses, driver errors) go to the log only: the caller is not authenticated.
  ctx.deps.logger.warn({ requestId: ctx.requestId, err: health.error }, `healthcheck: ${health.reason}`);
  return new Response(JSON.stringify({ status: "unavailable", reason: health.reason }), { status: 503, headers });
}
