// The dashboard's page and bundles (/ui/), and what the page must know before it has a token
// (/ui/config.json). Served without a token: they hold no data; the data comes from the API with
// the caller's own token.
import type { Ctx } from "../http/context.js";
import { notFound } from "../http/errors.js";
import { fileResponse, uiFiles } from "../http/ui-static.js";

/** /ui -> /ui/ (relative, so that a proxy's path prefix is kept). */
export function redirect(): Response {
  return new Response(null, { status: 301, headers: { location: "ui/" } });
}

export function page(ctx: Ctx): Response {
  return serve(ctx, "index.html");
}

export function asset(ctx: Ctx): Response {
  return serve(ctx, ctx.params.file!);
}

/** How the page signs in: noauth2 takes any token, keystone a Keystone token. */
export function config(ctx: Ctx): Response {
  const body = JSON.stringify({ auth_strategy: ctx.deps.config.api.authStrategy });
  return new Response(body, { headers: { "content-type": "application/json", "cache-control": "no-cache" } });
}

function serve(ctx: Ctx, name: string): Response {
  const files = uiFiles();
  if (!files) throw notFound("The dashboard is not built: run `npm run build`.");
  const f = files.get(name);
  if (!f) throw notFound(`No such file: ${name}`);
  return fileResponse(f, ctx.req.headers.get("if-none-match"));
}
