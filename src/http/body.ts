// Request bodies: JSON only, parsed and validated against the handler's schema, with the
// reference's status codes (415 for other media types, 400 for malformed or invalid JSON), and
// Berth's 413 for a body above [api] max_request_body_size, refused before it is all read.
import { badRequest, HttpError, payloadTooLarge, unsupportedMediaType } from "./errors.js";
import type { Ctx } from "./context.js";
import { explain } from "./validate.js";
import { parseBody } from "./python-json.js";

/**
 * The 415 for a body that is not JSON. The reference checks this before the policy, so handlers
 * whose policy check comes first call it before authorize(); readJson calls it again.
 */
export function requireJsonContent(ctx: Ctx): void {
  const ct = ctx.req.headers.get("content-type");
  const mediaType = ct?.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") throw unsupportedMediaType(ct === null ? "None" : ct.split(";")[0]!.trim(), ct ?? "None");
}

/** Reads, parses and validates the JSON body. */
export async function readJson<T>(ctx: Ctx, schema: object): Promise<T> {
  requireJsonContent(ctx);
  // NOTE: bytes, not text(): the reference decodes strictly and keeps a BOM (both are errors there).
  const parsed = parseBody(await readBytes(ctx.req, ctx.deps.config.api.maxRequestBodySize));
  if (!parsed.ok) throw badRequest(`Malformed JSON: ${parsed.message}`);
  const data = parsed.value;
  const problem = explain(schema, data);
  if (problem) throw badRequest(`JSON does not validate: ${problem}`);
  return data as T;
}

/**
 * The body's bytes, at most `limit` of them: a larger Content-Length is refused unread (app.ts
 * already did), and a body without one (chunked) is refused as soon as it passes the limit.
 */
export async function readBytes(req: Request, limit: number): Promise<Uint8Array> {
  try {
    return await readUpTo(req, limit);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // NOTE: the client went away or timed out mid-body (listener.ts answered it): its fault, no 500.
    throw badRequest(`The request body could not be read (${(e as Error).message}).`);
  }
}

async function readUpTo(req: Request, limit: number): Promise<Uint8Array> {
  const length = declaredLength(req);
  if (length !== undefined) {
    if (length > limit) throw payloadTooLarge(limit);
    // NOTE: Node's parser delivers exactly Content-Length bytes; the whole-body read is the fast one.
    return new Uint8Array(await req.arrayBuffer());
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      void reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Content-Length as a number, when the request has a valid one. */
export function declaredLength(req: Request): number | undefined {
  const v = req.headers.get("content-length");
  return v !== null && /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
}

/** Validates the query string (as a flat object of last values) against a schema. */
export function checkQuery(ctx: Ctx, schema: object): Record<string, string> {
  const q: Record<string, string> = {};
  ctx.url.searchParams.forEach((v, k) => (q[k] = v));
  const problem = explain(schema, q);
  if (problem) throw badRequest(`Invalid query string parameters: ${problem}`);
  return q;
}
