// JSON Schema validation with the reference's messages. ajv (compiled once per schema) decides the
// common, valid case fast; a failure is explained as Python's jsonschema explains it (see
// schema-errors.ts), because the reference puts str(error) in its 400 details.
import { Ajv, type ValidateFunction } from "ajv";
import { MAX_PFORMAT, pformat } from "../python/pformat.js";
import { pyRepr } from "../python/repr.js";
import { isUuidLike } from "../python/uuid.js";
import { bestMatch, iterErrors, MAX_ERRORS, pyRegExp, type SchemaError } from "../python/jsonschema-errors.js";

export const ajv = new Ajv({
  allErrors: false,
  strict: false,
  validateFormats: true,
  // NOTE: patterns are Python's (re.search): `$` also matches before a final newline.
  code: { regExp: Object.assign((pattern: string) => pyRegExp(pattern), { code: "pyRegExp" }) },
});
// NOTE: the reference's uuid check is oslo's is_uuid_like: dashes anywhere or none, braces, urn:uuid:.
ajv.addFormat("uuid", { type: "string", validate: isUuidLike });
ajv.addFormat("date-time", { type: "string", validate: () => true });

const cache = new WeakMap<object, ValidateFunction>();

function compiled(schema: object): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

/** Validates; returns undefined when valid, else the reference-style message (one line, as in a JSON error body). */
export function validate(schema: object, data: unknown, exact?: () => unknown): string | undefined {
  return explain(schema, data, exact)?.replace(/\n/g, " ");
}

/**
 * validate() with the message's lines kept: what the reference puts in an error's detail, which
 * an HTML error page shows as is and the JSON and plain-text bodies flatten (errors.ts stripTags).
 * `exact` gives the same data with Python's numbers (loadsExact), to judge and echo them as the
 * reference does; it is only asked for when the data looks invalid.
 */
export function explain(schema: object, data: unknown, exact?: () => unknown): string | undefined {
  // NOTE: Python's json reads 1e400 as inf, a float that is no integer; ajv's type checks treat
  // non-finite numbers differently, so such data is judged by the jsonschema emulation alone.
  // ajv first: it stops at the first problem, where allFinite would walk a whole bad body.
  if (compiled(schema)(data) && allFinite(data)) return undefined;
  const errors = iterErrors(schema, exact ? exact() : data);
  const best = bestMatch(errors);
  if (!best && errors.exhausted) return `more than ${MAX_ERRORS} problems`;
  return best && render(best);
}

function allFinite(v: unknown): boolean {
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) {
    for (const x of v) if (!allFinite(x)) return false;
  } else if (v && typeof v === "object") {
    for (const k in v) if (Object.hasOwn(v, k) && !allFinite((v as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** str(ValidationError): the message, then the failing subschema and instance as pprint shows them. */
export function render(e: SchemaError): string {
  const block = (v: unknown) => pformat(v).replace(/\n/g, "\n    ");
  return (
    `${e.message}\n\nFailed validating ${pyRepr(e.keyword)} in ${index("schema", e.schemaPath.slice(0, -1))}:\n    ${block(e.schema)}` +
    `\n\nOn ${index("instance", e.path)}:\n    ${block(e.instance)}`
  );
}

const index = (word: string, path: (string | number)[]) => word + path.map((p) => `[${pyRepr(p, MAX_PFORMAT)}]`).join("");
