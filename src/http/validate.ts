// JSON Schema validation (ajv) with messages shaped like Python jsonschema's, which the reference
// puts in its 400 details.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { pyRepr } from "./pyrepr.js";
import { pformat } from "./pformat.js";

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

export const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: true });
// NOTE: the reference accepts uuids with or without dashes (oslo's uuid format check).
ajv.addFormat("uuid", { type: "string", validate: (s: string) => UUID.test(s) });
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

/** Validates; returns undefined when valid, else the reference-style message. */
export function validate(schema: object, data: unknown): string | undefined {
  const v = compiled(schema);
  if (v(hasNonFinite(data) ? withoutNonFinite(data) : data)) return undefined;
  return describe(v.errors![0]!, data, schema);
}

// NOTE: Python's json reads 1e400 as inf, which fails jsonschema's "integer" (ajv counts Infinity
// as one, and the value then reaches the database). A symbol in its place fails every type check.
const NON_FINITE = Symbol("non-finite number");

function hasNonFinite(v: unknown): boolean {
  if (typeof v === "number") return !Number.isFinite(v);
  if (v && typeof v === "object") return Object.values(v).some(hasNonFinite);
  return false;
}

function withoutNonFinite(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : NON_FINITE;
  if (Array.isArray(v)) return v.map(withoutNonFinite);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNonFinite(x)]));
  return v;
}

function at(data: unknown, pointer: string): unknown {
  if (!pointer) return data;
  let cur: unknown = data;
  for (const seg of pointer.split("/").slice(1)) {
    const key = seg.replace(/~1/g, "/").replace(/~0/g, "~");
    cur = (cur as Record<string, unknown>)?.[key];
  }
  return cur;
}

function pathRepr(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `[${pyRepr(s.replace(/~1/g, "/").replace(/~0/g, "~"))}]`))
    .join("");
}

// ajv's schema paths are URI-encoded JSON pointers (a patternProperties key like ^[A-Z]+$ arrives as %5E%5BA-Z%5D%2B%24).
function unescapeSegment(s: string): string {
  let out = s;
  try {
    out = decodeURIComponent(s);
  } catch {
    /* keep as is */
  }
  return out.replace(/~1/g, "/").replace(/~0/g, "~");
}

function schemaPath(schemaPath: string): string {
  // '#/properties/name/type' -> "['properties']['name']"
  const segs = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean).map(unescapeSegment);
  segs.pop();
  return segs.map((s) => (/^\d+$/.test(s) ? `[${s}]` : `[${pyRepr(s)}]`)).join("");
}

function subSchema(schema: object, path: string): unknown {
  const segs = path.replace(/^#\/?/, "").split("/").filter(Boolean).map(unescapeSegment);
  segs.pop();
  let cur: unknown = schema;
  for (const s of segs) cur = (cur as Record<string, unknown>)?.[s];
  return cur;
}

function message(e: ErrorObject, value: unknown, sub?: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "type": {
      // ajv gives a list of types as an array (type: ["integer", "null"]), a single one as text.
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(",");
      return `${pyRepr(value)} is not of type ${types.map((x) => pyRepr(x)).join(", ")}`;
    }
    case "required":
      return `${pyRepr(p.missingProperty)} is a required property`;
    case "additionalProperties": {
      // NOTE: jsonschema names every unexpected property, sorted; with patternProperties it names
      // the patterns they fail to match instead.
      const patterns = Object.keys((sub as { patternProperties?: object })?.patternProperties ?? {}).sort();
      if (patterns.length) {
        const props = Object.keys((sub as { properties?: object })?.properties ?? {});
        const odd = Object.keys((value as object) ?? {})
          .filter((k) => !props.includes(k) && !patterns.some((re) => new RegExp(re, "u").test(k)))
          .sort();
        return `${odd.map((x) => pyRepr(x)).join(", ")} ${odd.length === 1 ? "does" : "do"} not match any of the regexes: ${patterns.map((x) => pyRepr(x)).join(", ")}`;
      }
      const known = Object.keys((sub as { properties?: object })?.properties ?? {});
      const extras = Object.keys((value as object) ?? {}).filter((k) => !known.includes(k)).sort();
      const names = extras.length ? extras : [p.additionalProperty as string];
      return `Additional properties are not allowed (${names.map((x) => pyRepr(x)).join(", ")} ${names.length === 1 ? "was" : "were"} unexpected)`;
    }
    case "format":
      return `${pyRepr(value)} is not a ${pyRepr(p.format)}`;
    case "minLength":
      return `${pyRepr(value)} is too short`;
    case "maxLength":
      return `${pyRepr(value)} is too long`;
    case "minItems":
      return `${pyRepr(value)} is too short`;
    case "maxItems":
      return `${pyRepr(value)} is too long`;
    case "minimum":
      return `${pyRepr(value)} is less than the minimum of ${pyRepr(p.limit)}`;
    case "maximum":
      return `${pyRepr(value)} is greater than the maximum of ${pyRepr(p.limit)}`;
    case "exclusiveMinimum":
      return `${pyRepr(value)} is less than or equal to the minimum of ${pyRepr(p.limit)}`;
    case "pattern":
      return `${pyRepr(value)} does not match ${pyRepr(p.pattern)}`;
    case "enum":
      return `${pyRepr(value)} is not one of ${pyRepr(p.allowedValues)}`;
    case "uniqueItems":
      return `${pyRepr(value)} has non-unique elements`;
    case "minProperties":
      return `${pyRepr(value)} does not have enough properties`;
    case "maxProperties":
      return `${pyRepr(value)} has too many properties`;
    case "anyOf":
    case "oneOf":
      return `${pyRepr(value)} is not valid under any of the given schemas`;
    case "not":
      return `${pyRepr(value)} should not be valid under ${pyRepr(subSchema({}, ""))}`;
    default:
      return e.message ?? "is invalid";
  }
}

function describe(e: ErrorObject, data: unknown, schema: object): string {
  const value = at(data, e.instancePath);
  const sub = subSchema(schema, e.schemaPath);
  const keyword = e.keyword;
  // NOTE: jsonschema's str(error) with pformat'ed schema and instance; the reference's error body
  // shows it with every newline turned into a space.
  const block = (v: unknown) => pformat(v).replace(/\n/g, "\n    ");
  const text =
    `${message(e, value, sub)}\n\nFailed validating ${pyRepr(keyword)} in schema${schemaPath(e.schemaPath)}:\n    ${block(sub)}` +
    `\n\nOn instance${pathRepr(e.instancePath)}:\n    ${block(value)}`;
  return text.replace(/\n/g, " ");
}
