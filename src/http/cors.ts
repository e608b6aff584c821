// CORS as oslo.middleware does it, active only when [cors] allowed_origin is set.
import type { Config } from "../config.js";

const SIMPLE_HEADERS = ["cache-control", "content-language", "content-type", "expires", "last-modified", "pragma"];

function allowedOrigin(config: Config, origin: string | null): string | undefined {
  if (!origin) return undefined;
  const allowed = config.cors.allowedOrigin;
  if (allowed.includes(origin)) return origin;
  if (allowed.includes("*")) return "*";
  return undefined;
}

/** An OPTIONS request with Origin and Access-Control-Request-Method. */
export function isPreflight(req: Request): boolean {
  return req.method === "OPTIONS" && !!req.headers.get("origin") && !!req.headers.get("access-control-request-method");
}

/** The answer to a preflight OPTIONS request, or undefined when the request is not one. */
export function corsPreflight(config: Config, req: Request): Response | undefined {
  if (!isPreflight(req)) return undefined;
  const origin = req.headers.get("origin")!;
  const method = req.headers.get("access-control-request-method")!;
  const res = new Response(null, { status: 200 });
  const allowed = allowedOrigin(config, origin);
  if (!allowed) return res;
  if (!config.cors.allowMethods.map((m) => m.toUpperCase()).includes(method.toUpperCase())) return res;
  const wanted = (req.headers.get("access-control-request-headers") ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  const permitted = new Set([...SIMPLE_HEADERS, ...config.cors.allowHeaders.map((h) => h.toLowerCase())]);
  if (!wanted.every((h) => permitted.has(h.toLowerCase()))) return res;
  const h = res.headers;
  h.set("vary", "Origin");
  h.set("access-control-allow-origin", allowed);
  if (config.cors.allowCredentials) h.set("access-control-allow-credentials", "true");
  if (config.cors.maxAge) h.set("access-control-max-age", String(config.cors.maxAge));
  h.set("access-control-allow-methods", method);
  if (wanted.length) h.set("access-control-allow-headers", wanted.join(","));
  return res;
}

/** Adds the CORS headers of a simple (non-preflight) request. */
export function corsHeaders(config: Config, req: Request, h: Headers): void {
  if (isPreflight(req)) return;
  const allowed = allowedOrigin(config, req.headers.get("origin"));
  if (!allowed || h.has("access-control-allow-origin")) return;
  h.append("vary", "Origin");
  h.set("access-control-allow-origin", allowed);
  if (config.cors.allowCredentials) h.set("access-control-allow-credentials", "true");
  if (config.cors.exposeHeaders.length) h.set("access-control-expose-headers", config.cors.exposeHeaders.join(","));
}
