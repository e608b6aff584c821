// Request bodies: JSON only, parsed and validated against the handler's schema, with the
// reference's status codes (415 for other media types, 400 for malformed or invalid JSON).
import { badRequest, unsupportedMediaType } from "./errors.js";
import type { Ctx } from "./context.js";
import { validate } from "./validate.js";

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
  const text = await ctx.req.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw badRequest(`Malformed JSON: ${pythonJsonError(text, e as Error)}`);
  }
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

// Python's json module words its errors differently from V8; give the common ones its wording.
function pythonJsonError(text: string, e: Error): string {
  if (text.trim() === "") return "Expecting value: line 1 column 1 (char 0)";
  const m = /position (\d+)/.exec(e.message);
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split("\n").length;
    const col = pos - before.lastIndexOf("\n");
    return `Expecting value: line ${line} column ${col} (char ${pos})`;
  }
  if (/Unexpected end/.test(e.message)) {
    const pos = text.length;
    const before = text.slice(0, pos);
    return `Expecting value: line ${before.split("\n").length} column ${pos - before.lastIndexOf("\n")} (char ${pos})`;
  }
  return e.message;
}
