// Building responses: JSON bodies, 204s, and the caching headers the reference sends from 1.15.
import type { Ctx } from "./context.js";
import { dumps } from "../python/json.js";

export interface RespondOptions {
  status?: number;
  /**
   * From 1.15 GETs (and some writes) carry cache-control: no-cache and last-modified with this time;
   * null where the resource has no time (cache-control alone); left out, neither.
   */
  lastModified?: Date | null;
  headers?: Record<string, string>;
}

export function httpDate(d: Date): string {
  return d.toUTCString();
}

/** The caching headers of 1.15, the one place they are made (see RespondOptions.lastModified). */
export function cacheHeaders(ctx: Pick<Ctx, "version">, lastModified: Date | null | undefined): Record<string, string> {
  if (lastModified === undefined || !ctx.version.atLeast(1, 15)) return {};
  return lastModified ? { "cache-control": "no-cache", "last-modified": httpDate(lastModified) } : { "cache-control": "no-cache" };
}

export function json(ctx: Ctx, body: unknown, opts: RespondOptions = {}): Response {
  const text = dumps(body);
  // NOTE: Content-Length set here spares app.ts a look at the body (see there).
  const headers = {
    "content-type": "application/json",
    ...opts.headers,
    ...cacheHeaders(ctx, opts.lastModified),
    "content-length": String(Buffer.byteLength(text)),
  };
  return new Response(text, { status: opts.status ?? 200, headers });
}

export function noContent(ctx: Ctx, opts: RespondOptions = {}): Response {
  return new Response(null, { status: opts.status ?? 204, headers: { ...opts.headers, ...cacheHeaders(ctx, opts.lastModified), "content-length": "0" } });
}

/** The latest of the given timestamps, or now when there are none (as the reference does for lists). */
export function latest(ctx: Ctx, dates: Iterable<Date | undefined>): Date {
  let best: Date | undefined;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best ?? ctx.deps.clock();
}
