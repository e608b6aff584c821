// The request path as the client sent it, for the few paths Hono's Node adapter would change first:
// it resolves dot segments (`/a/../b`, `/./a`, also written `%2e`) and refuses a backslash before the
// query (URL's rules), where the reference routes the path as sent (`/resource_providers/../traits`
// is the provider "..", not found). The listener keeps such a path on the Node request and gives Hono
// a placeholder; the app routes the kept one.
import type { IncomingMessage } from "node:http";

const KEPT = Symbol("berth.rawPath");
/** What Hono sees of a kept path (no route has it; the app routes the kept path). */
const PLACEHOLDER = "/_";

type WithKept = IncomingMessage & { [KEPT]?: string };

const changedByUrl = (path: string) => path.includes("\\") || path.split("/").some((s) => /^(?:\.|%2e){1,2}$/i.test(s));

/** Keeps the path of `req` when URL parsing would change or refuse it (a 'request' listener that runs first). */
export function keepRawPath(req: IncomingMessage): void {
  const url = req.url ?? "";
  if (!url.startsWith("/")) return;
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (!changedByUrl(path)) return;
  (req as WithKept)[KEPT] = path;
  req.url = PLACEHOLDER + (q < 0 ? "" : url.slice(q));
}

/** The kept path of the request behind a Hono context's env (@hono/node-server's `incoming`), if any. */
export function rawPathOf(env: unknown): string | undefined {
  return ((env as { incoming?: WithKept } | undefined)?.incoming as WithKept | undefined)?.[KEPT];
}
