// Request bodies: JSON only, parsed and validated against the handler's schema, with the
// reference's status codes (415 for other media types, 400 for malformed or invalid JSON), and
// Berth's 413 for a body above [api] max_request_body_size, refused before it is all read.
import { badRequest, HttpError, payloadTooLarge, unsupportedMediaType } from "./errors.js";
import type { Ctx } from "./context.js";
import { explain } from "./validate.js";
import { decodeUtf8, loadsExact, parseBody, PyNumber } from "../python/json.js";
import { pyRepr } from "../python/repr.js";
import { first } from "@berth/client/common";

/**
 * The 415 for a body that is not JSON. The reference checks this before the policy, so handlers
 * whose policy check comes first call it before authorize(); readJson calls it again. The media
 * type is compared without case; the message shows it as sent, or "None" when there is none (as
 * webob's empty content_type shows in the reference's).
 */
export function requireJson(ctx: Ctx): void {
  const ct = ctx.req.headers.get("content-type");
  const mediaType = ct === null ? "" : first(ct.split(";")).trim();
  if (mediaType.toLowerCase() !== "application/json") throw unsupportedMediaType(mediaType || "None", ct ?? "None");
}

/** Reads, parses and validates the JSON body. */
export async function readJson<T>(ctx: Ctx, schema: object): Promise<T> {
  requireJson(ctx);
  // NOTE: bytes, not text(): the reference decodes strictly and keeps a BOM (both are errors there).
  const bytes = await readBytes(ctx.req, ctx.deps.config.api.maxRequestBodySize);
  const parsed = parseBody(bytes);
  if (!parsed.ok) throw badRequest(`Malformed JSON: ${parsed.message}`);
  const data = parsed.value;
  // NOTE: a failure is explained on the body read again with Python's numbers (2^63 stays exact,
  // 1.0 stays a float), since the message echoes them.
  const problem = explain(schema, data, () => loadsExact(decodeUtf8(bytes) as string) ?? data);
  if (problem) throw badRequest(`JSON does not validate: ${problem}`);
  rememberPyNumbers(bytes, data);
  return data as T;
}

/** Per container of a body read by readJson: the keys whose number a JavaScript number misstates. */
const pyNumbers = new WeakMap<object, Map<string | number, PyNumber>>();

/**
 * How Python shows the number the client sent at `container[key]` (9223372036854775809 and 1.0, where
 * JavaScript has 9223372036854775808 and 1), for messages that echo it after validation; the plain
 * number's repr when it shows the same.
 */
export function sentNumber(container: object, key: string | number, value: number): string {
  return pyRepr(pyNumbers.get(container)?.get(key) ?? value);
}

// A number Python would show otherwise: 16 digits or more (past 2^53), a float written with an
// integral value (1.0) or an exponent. NOTE: only after `:`, `[` or `,`, so uuids ("1e2f...") and
// most strings do not cost a second parse (claims are the hot path); a false positive costs only that.
const MISSTATED = /[:,[]\s*-?(?:\d{16}|\d+\.0+(?![\d.eE])|\d+(?:\.\d+)?[eE])/;

function rememberPyNumbers(bytes: Uint8Array, data: unknown): void {
  if (typeof data !== "object" || data === null) return;
  const text = decodeUtf8(bytes) as string;
  if (!MISSTATED.test(text)) return;
  const walk = (plain: unknown, exact: unknown): void => {
    if (typeof plain !== "object" || plain === null || typeof exact !== "object" || exact === null) return;
    for (const [k, x] of Object.entries(exact)) {
      const key = Array.isArray(plain) ? Number(k) : k;
      if (x instanceof PyNumber) {
        let found = pyNumbers.get(plain);
        if (!found) pyNumbers.set(plain, (found = new Map()));
        found.set(key, x);
      } else walk((plain as Record<string | number, unknown>)[key], x);
    }
  };
  walk(data, loadsExact(text));
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
  if (chunks.length === 1) return first(chunks);
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
