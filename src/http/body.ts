// Request bodies: JSON only, parsed and validated against the handler's schema, with the
// reference's status codes (415 for other media types, 400 for malformed or invalid JSON).
import { badRequest, unsupportedMediaType } from "./errors.js";
import type { Ctx } from "./context.js";
import { validate } from "./validate.js";
import { parseBody } from "./python-json.js";

/**
 * The 415 for a body that is not JSON. The reference checks this before the policy, so handlers
 * whose policy check comes first call it before authorize(); readJson calls it again.
 */
export function requireJsonContent(ctx: Ctx): void {
  const ct = ctx.req.headers.get("content-type");
  const mediaType = ct?.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/json") throw unsupportedMediaType(ct === null ? "None" : (ct.split(";")[0]!.trim()));
}

/** Reads, parses and validates the JSON body. */
export async function readJson<T>(ctx: Ctx, schema: object): Promise<T> {
  requireJsonContent(ctx);
  // NOTE: bytes, not text(): the reference decodes strictly and keeps a BOM (both are errors there).
  const parsed = parseBody(new Uint8Array(await ctx.req.arrayBuffer()));
  if (!parsed.ok) throw badRequest(`Malformed JSON: ${parsed.message}`);
  const data = parsed.value;
  const problem = validate(schema, data);
  if (problem) throw badRequest(`JSON does not validate: ${problem}`);
  return data as T;
}

/** Validates the query string (as a flat object of last values) against a schema. */
export function checkQuery(ctx: Ctx, schema: object): Record<string, string> {
  const q: Record<string, string> = {};
  ctx.url.searchParams.forEach((v, k) => (q[k] = v));
  const problem = validate(schema, q);
  if (problem) throw badRequest(`Invalid query string parameters: ${problem}`);
  return q;
}
