// Building responses: JSON bodies, 204s, and the caching headers the reference sends from 1.15.
import type { Ctx } from "./context.js";
import { dumps } from "../python/json.js";

export interface RespondOptions {
  status?: number;
  /** From 1.15 GETs (and some writes) carry last-modified and cache-control: no-cache. */
  lastModified?: Date;
  headers?: Record<string, string>;
}

export function httpDate(d: Date): string {
  return d.toUTCString();
}

function cacheHeaders(ctx: Ctx, opts: RespondOptions, h: Headers): void {
  if (opts.lastModified && ctx.version.atLeast(1, 15)) {
    h.set("last-modified", httpDate(opts.lastModified));
    h.set("cache-control", "no-cache");
  }
}

export function json(ctx: Ctx, body: unknown, opts: RespondOptions = {}): Response {
  const h = new Headers({ "content-type": "application/json", ...opts.headers });
  cacheHeaders(ctx, opts, h);
  return new Response(dumps(body), { status: opts.status ?? 200, headers: h });
}

export function noContent(ctx: Ctx, opts: RespondOptions = {}): Response {
  const h = new Headers(opts.headers);
  cacheHeaders(ctx, opts, h);
  return new Response(null, { status: opts.status ?? 204, headers: h });
}

/** The latest of the given timestamps, or now when there are none (as the reference does for lists). */
export function latest(ctx: Ctx, dates: Iterable<Date | undefined>): Date {
  let best: Date | undefined;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best ?? ctx.deps.clock();
}
