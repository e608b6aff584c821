// The validation errors Python's jsonschema (4.10.3, draft 2020-12, as the reference runs it) finds
// in an instance, in the order it finds them, and the one it reports (its best_match). The reference
// puts that error's text in its 400 details, so which error wins and how it is worded are part of
// the API. ajv decides validity fast; this walk only runs to explain a failure.
import { byCodePoint, pyRepr } from "./repr.js";
import { MAX_PFORMAT } from "./pformat.js";
import { PyNumber } from "./json.js";
import { isUuidLike } from "./uuid.js";
import { at, entry, first } from "@berth/client/common";

type Path = (string | number)[];
type Schema = Record<string, unknown>;

export interface SchemaError {
  keyword: string;
  message: string;
  /** Where the instance is, relative to the parent error's instance (or the root). */
  path: Path;
  /** Where the keyword is, relative to the parent error's subschema; ends with the keyword. */
  schemaPath: Path;
  instance: unknown;
  /** The (sub)schema holding the keyword. */
  schema: Schema;
  /** For anyOf/oneOf: every error of every branch. */
  context: SchemaError[];
}

/** What one keyword reports before the walk adds the common fields. */
interface Found {
  message: string;
  path?: Path;
  schemaPath?: Path;
  context?: SchemaError[];
  /** Errors from a subschema: passed through as they are. */
  nested?: SchemaError[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyNumber);

/** A number's value to compare (a PyNumber's nearest double: exact enough against any bound here). */
const num = (v: unknown): unknown => (v instanceof PyNumber ? v.value : v);

/** The draft 2020-12 type checker: 1.0 is an integer, booleans are not numbers. */
export function isType(v: unknown, type: string): boolean {
  // NOTE: an integer too long for a double (value Infinity) is still an integer; a float inf is not.
  if (v instanceof PyNumber) return type === "number" || (type === "integer" && (v.isInt || Number.isInteger(v.value)));
  switch (type) {
    case "array":
      return Array.isArray(v);
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "null":
      return v === null;
    case "number":
      return typeof v === "number";
    case "object":
      return isObject(v);
    case "string":
      return typeof v === "string";
    default:
      return false;
  }
}

/** The format checks the reference has; formats it has no checker for always pass. */
const FORMATS: Record<string, (v: unknown) => boolean> = { uuid: isUuidLike };

const regexes = new Map<string, RegExp>();

/**
 * A Python `re` pattern as a JavaScript RegExp for re.search. NOTE: Python's `$` also matches
 * before a final newline ("ABC\n" matches ^[A-Z]+$), so it becomes a lookahead.
 */
export function pyRegExp(pattern: string): RegExp {
  let rx = regexes.get(pattern);
  if (rx) return rx;
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = at(pattern, i);
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      i++;
      if (!inClass && next === "Z") out += "$";
      else if (!inClass && next === "A") out += "^";
      else out += ch + next;
    } else if (inClass) {
      if (ch === "]") inClass = false;
      out += ch;
    } else if (ch === "[") {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === "^") out += pattern[++i];
      if (pattern[i + 1] === "]") out += "\\" + pattern[++i];
    } else if (ch === "$") out += "(?=\\n?$)";
    else out += ch;
  }
  out = out.replaceAll("(?P<", "(?<");
  try {
    rx = new RegExp(out, "u");
  } catch {
    rx = new RegExp(out);
  }
  regexes.set(pattern, rx);
  return rx;
}

const codePoints = (s: string) => [...s].length;

/** Python ==, where True == 1 (for enum and nested values). */
function pyLooseEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown) => (typeof v === "boolean" ? Number(v) : v instanceof PyNumber ? v.value : v);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyLooseEqual(x, b[i]));
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b) && mappingEqual(a, b, pyLooseEqual);
  return num(a) === num(b);
}

/** jsonschema's equal(): like == but True is not 1, at every depth (const, uniqueItems). */
function pyStrictEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyStrictEqual(x, b[i]));
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b) && mappingEqual(a, b, pyStrictEqual);
  return num(a) === num(b);
}

/** A text equal for two values exactly when pyStrictEqual says they are; undefined with a NaN (equal to nothing). */
function strictKey(v: unknown): string | undefined {
  if (v instanceof PyNumber) return v.digits !== undefined ? `n${v.digits}` : strictKey(v.value);
  if (typeof v === "number") return Number.isNaN(v) ? undefined : `n${v === 0 ? 0 : v}`;
  if (typeof v === "string") return `s${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `b${v}`;
  if (v === null || v === undefined) return "z";
  const parts: string[] = [];
  if (Array.isArray(v)) {
    for (const x of v) {
      const k = strictKey(x);
      if (k === undefined) return undefined;
      parts.push(k);
    }
    return `[${parts.join(",")}]`;
  }
  for (const key of Object.keys(v).sort()) {
    const k = strictKey((v as Record<string, unknown>)[key]);
    if (k === undefined) return undefined;
    parts.push(`${JSON.stringify(key)}:${k}`);
  }
  return `{${parts.join(",")}}`;
}

function mappingEqual(a: Schema, b: Schema, eq: (x: unknown, y: unknown) => boolean): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => k in b && eq(a[k], b[k]));
}

function inEnum(v: unknown, options: unknown[]): boolean {
  // NOTE: jsonschema keeps True apart from 1 (and False from 0) at the top level only.
  if (v === 0 || v === 1 || typeof v === "boolean") return options.some((o) => (typeof o === "boolean") === (typeof v === "boolean") && pyLooseEqual(v, o));
  return options.some((o) => pyLooseEqual(v, o));
}

type Keyword = (value: any, instance: unknown, schema: Schema) => Found[];

// NOTE: Berth's bound: a value is quoted up to MAX_PFORMAT characters (the reference quotes all of it).
const r = (v: unknown) => pyRepr(v, MAX_PFORMAT);

/** The keywords, each yielding what jsonschema's function for it yields, in the same order. */
const KEYWORDS: Record<string, Keyword> = {
  type(types, v) {
    const list: string[] = Array.isArray(types) ? types : [types];
    if (list.some((t) => isType(v, t))) return [];
    return [{ message: `${r(v)} is not of type ${list.map((t) => r(t)).join(", ")}` }];
  },
  enum: (options: unknown[], v) => (inEnum(v, options) ? [] : [{ message: `${r(v)} is not one of ${r(options)}` }]),
  const: (c, v) => (pyStrictEqual(v, c) ? [] : [{ message: `${r(c)} was expected` }]),
  properties(props: Schema, v) {
    if (!isObject(v)) return [];
    return Object.keys(props)
      .filter((k) => Object.hasOwn(v, k))
      .map((k) => ({ message: "", nested: descend(v[k], props[k], k, k) }));
  },
  patternProperties(patterns: Schema, v) {
    if (!isObject(v)) return [];
    const out: Found[] = [];
    for (const [pattern, sub] of Object.entries(patterns))
      for (const k of Object.keys(v)) if (pyRegExp(pattern).test(k)) out.push({ message: "", nested: descend(v[k], sub, k, pattern) });
    return out;
  },
  additionalProperties(ap, v, schema) {
    if (!isObject(v)) return [];
    const props = isObject(schema.properties) ? schema.properties : {};
    const patterns = Object.keys(isObject(schema.patternProperties) ? schema.patternProperties : {});
    const extras = Object.keys(v).filter((k) => !Object.hasOwn(props, k) && !patterns.some((p) => pyRegExp(p).test(k)));
    if (isObject(ap)) return extras.map((k) => ({ message: "", nested: descend(v[k], ap, k) }));
    if (ap !== false || extras.length === 0) return [];
    const names = extras
      .sort(byCodePoint)
      .map((k) => r(k))
      .join(", ");
    // NOTE: with patternProperties (even empty) jsonschema names the patterns instead.
    if ("patternProperties" in schema) {
      const regexes = patterns
        .sort(byCodePoint)
        .map((p) => r(p))
        .join(", ");
      return [{ message: `${names} ${extras.length === 1 ? "does" : "do"} not match any of the regexes: ${regexes}` }];
    }
    return [{ message: `Additional properties are not allowed (${names} ${extras.length === 1 ? "was" : "were"} unexpected)` }];
  },
  required: (names: string[], v) => (isObject(v) ? names.filter((n) => !Object.hasOwn(v, n)).map((n) => ({ message: `${r(n)} is a required property` })) : []),
  minProperties: (n: number, v) => (isObject(v) && Object.keys(v).length < n ? [{ message: `${r(v)} does not have enough properties` }] : []),
  maxProperties: (n: number, v) => (isObject(v) && Object.keys(v).length > n ? [{ message: `${r(v)} has too many properties` }] : []),
  items(items, v, schema) {
    if (!Array.isArray(v)) return [];
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0;
    if (items === false && v.length > prefix) return [{ message: `Expected at most ${prefix} items, but found ${v.length}` }];
    return v.slice(prefix).map((x, i) => ({ message: "", nested: descend(x, items, i + prefix) }));
  },
  prefixItems: (subs: unknown[], v) => (Array.isArray(v) ? subs.slice(0, v.length).map((s, i) => ({ message: "", nested: descend(v[i], s, i, i) })) : []),
  minItems: (n: number, v) => (Array.isArray(v) && v.length < n ? [{ message: `${r(v)} is too short` }] : []),
  maxItems: (n: number, v) => (Array.isArray(v) && v.length > n ? [{ message: `${r(v)} is too long` }] : []),
  uniqueItems(on, v) {
    if (!on || !Array.isArray(v)) return [];
    // NOTE: one pass over keys that are equal exactly when pyStrictEqual is (pairs took O(n^2)).
    const seen = new Set<string>();
    const dup = v.some((x) => {
      const k = strictKey(x);
      if (k === undefined) return false;
      if (seen.has(k)) return true;
      seen.add(k);
      return false;
    });
    return dup ? [{ message: `${r(v)} has non-unique elements` }] : [];
  },
  minLength: (n: number, v) => (typeof v === "string" && codePoints(v) < n ? [{ message: `${r(v)} is too short` }] : []),
  maxLength: (n: number, v) => (typeof v === "string" && codePoints(v) > n ? [{ message: `${r(v)} is too long` }] : []),
  pattern: (p: string, v) => (typeof v === "string" && !pyRegExp(p).test(v) ? [{ message: `${r(v)} does not match ${r(p)}` }] : []),
  format: (f: string, v) => (FORMATS[f] && !entry(FORMATS, f)(v) ? [{ message: `${r(v)} is not a ${r(f)}` }] : []),
  minimum: (m: number, v) => (isType(v, "number") && (num(v) as number) < m ? [{ message: `${r(v)} is less than the minimum of ${r(m)}` }] : []),
  maximum: (m: number, v) => (isType(v, "number") && (num(v) as number) > m ? [{ message: `${r(v)} is greater than the maximum of ${r(m)}` }] : []),
  exclusiveMinimum: (m: number, v) =>
    isType(v, "number") && (num(v) as number) <= m ? [{ message: `${r(v)} is less than or equal to the minimum of ${r(m)}` }] : [],
  exclusiveMaximum: (m: number, v) =>
    isType(v, "number") && (num(v) as number) >= m ? [{ message: `${r(v)} is greater than or equal to the maximum of ${r(m)}` }] : [],
  allOf: (subs: unknown[], v) => subs.map((s, i) => ({ message: "", nested: descend(v, s, undefined, i) })),
  anyOf(subs: unknown[], v) {
    const context: SchemaError[] = [];
    for (const [i, s] of subs.entries()) {
      const errs = descend(v, s, undefined, i);
      if (!errs.length) return [];
      context.push(...errs);
    }
    return [{ message: `${r(v)} is not valid under any of the given schemas`, context }];
  },
  oneOf(subs: unknown[], v) {
    const context: SchemaError[] = [];
    const first = subs.findIndex((s, i) => {
      const errs = descend(v, s, undefined, i);
      context.push(...errs);
      return errs.length === 0;
    });
    if (first < 0) return [{ message: `${r(v)} is not valid under any of the given schemas`, context }];
    const more = subs.slice(first + 1).filter((s) => collect(s, v).length === 0);
    if (!more.length) return [];
    return [{ message: `${r(v)} is valid under each of ${[...more, subs[first]].map((s) => r(s)).join(", ")}` }];
  },
  not: (sub, v) => (collect(sub, v).length === 0 ? [{ message: `${r(v)} should not be valid under ${r(sub)}` }] : []),
};

function descend(instance: unknown, schema: unknown, path?: string | number, schemaPath?: string | number): SchemaError[] {
  const errs = collect(schema, instance);
  for (const e of errs) {
    if (path !== undefined) e.path.unshift(path);
    if (schemaPath !== undefined) e.schemaPath.unshift(schemaPath);
  }
  return errs;
}

/**
 * Berth's bound on the errors one validation explains (jsonschema would list every one: a body of
 * millions of bad items took seconds and gigabytes). Past it the search stops; best_match picks
 * among those found, which is the same pick whenever the first of equals wins (a list of bad items).
 */
export const MAX_ERRORS = 1000;
let errorsLeft = Infinity;

/**
 * Every error, in jsonschema's iter_errors order (the schema's keys in order, depth first), or the
 * first MAX_ERRORS of them (`exhausted` then).
 */
export function iterErrors(schema: unknown, instance: unknown): SchemaError[] & { exhausted?: boolean } {
  errorsLeft = MAX_ERRORS;
  try {
    const errors: SchemaError[] & { exhausted?: boolean } = collect(schema, instance);
    if (errorsLeft <= 0) errors.exhausted = true;
    return errors;
  } finally {
    errorsLeft = Infinity;
  }
}

function collect(schema: unknown, instance: unknown): SchemaError[] {
  if (schema === true || errorsLeft <= 0) return [];
  if (schema === false) {
    errorsLeft--;
    return [{ keyword: "None", message: `False schema does not allow ${r(instance)}`, path: [], schemaPath: [], instance, schema: {}, context: [] }];
  }
  if (!isObject(schema)) return [];
  const out: SchemaError[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (!Object.hasOwn(KEYWORDS, keyword)) continue;
    if (errorsLeft <= 0) break;
    const check = entry(KEYWORDS, keyword);
    for (const found of check(value, instance, schema)) {
      if (found.nested) {
        for (const e of found.nested) {
          e.schemaPath.unshift(keyword);
          out.push(e);
        }
      } else {
        errorsLeft--;
        out.push({
          keyword,
          message: found.message,
          path: [],
          schemaPath: [keyword],
          instance,
          schema,
          context: found.context ?? [],
        });
      }
    }
  }
  return out;
}

type Key = [number, number, number, number];

/** jsonschema's relevance: shallow errors first, anyOf/oneOf last, then errors whose type fails. */
function relevance(e: SchemaError): Key {
  const weak = e.keyword === "anyOf" || e.keyword === "oneOf";
  return [-e.path.length, weak ? 0 : 1, 0, matchesType(e) ? 0 : 1];
}

function matchesType(e: SchemaError): boolean {
  const t = e.schema.type;
  if (typeof t === "string") return isType(e.instance, t);
  return Array.isArray(t) && t.some((x) => isType(e.instance, String(x)));
}

function compare(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return at(a, i) - at(b, i);
  return 0;
}

/** best_match: the most relevant error (the first of equals), then down into anyOf/oneOf context. */
export function bestMatch(errors: SchemaError[]): SchemaError | undefined {
  let best = errors[0];
  for (const e of errors.slice(1)) if (compare(relevance(e), relevance(best!)) > 0) best = e;
  while (best?.context.length) {
    // The two least relevant (the deepest), first ones first among equals; a tie keeps the parent.
    const ranked = best.context.map((e, i) => ({ e, i, k: relevance(e) })).sort((a, b) => compare(a.k, b.k) || a.i - b.i);
    if (ranked.length > 1 && compare(first(ranked).k, at(ranked, 1).k) === 0) return best;
    best = first(ranked).e;
  }
  return best;
}
