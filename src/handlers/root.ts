// GET /: the version document, served without auth.
import type { Ctx } from "../http/context.js";
import { MAX_VERSION, MIN_VERSION } from "../http/microversion.js";
import { json } from "../http/respond.js";

export function home(ctx: Ctx): Response {
  return json(
    ctx,
    {
      versions: [{ id: "v1.0", max_version: MAX_VERSION, min_version: MIN_VERSION, status: "CURRENT", links: [{ rel: "self", href: "" }] }],
    },
    { lastModified: ctx.deps.clock() },
  );
}
