// The rule language inherits Python semantics in two places: `%(key)s`
// substitution of target values, and `str()` of whatever is compared.
// Reproducing them keeps operator-written policy files meaning the same thing
// here as under the reference (e.g. `is_admin:True`, or a null project_id
// rendering as "None").
import { pyRepr } from "./repr.js";
import { at } from "@berth/client/common";

/** Python's str() for JSON-ish values. */
export function pyStr(value: unknown): string {
  return typeof value === "string" ? value : pyRepr(value);
}

// JS cannot tell 2 from 2.0; callers that know a value was written as a float
// (a literal in a rule) ask for the ".0" Python would print.
function pyNumber(n: number, isFloat: boolean): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const s = String(n);
  return isFloat && Number.isInteger(n) && !/e/i.test(s) ? `${s}.0` : s;
}

const MISSING = Symbol("missing");

function lookup(target: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(target, key)) return target[key];
  // Python only does flat key lookup; we also walk dotted paths so handlers may
  // pass nested targets for `%(a.b)s`. A flat key of that exact name wins.
  let cur: unknown = target;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return MISSING;
    if (!Object.hasOwn(cur, part)) return MISSING;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Python's `template % target` restricted to `%(key)s` and `%%`. Returns
 * undefined when a key is absent: oslo turns that KeyError into a failed check.
 * Any other `%` sequence is kept literally rather than raising.
 */
export function interpolate(template: string, target: Record<string, unknown>): string | undefined {
  if (!template.includes("%")) return template;
  let out = "";
  let i = 0;
  while (i < template.length) {
    const pct = template.indexOf("%", i);
    if (pct < 0) break;
    out += template.slice(i, pct);
    if (template[pct + 1] === "%") {
      out += "%";
      i = pct + 2;
      continue;
    }
    const keyEnd = template[pct + 1] === "(" ? closingParen(template, pct + 1) : -1;
    if (keyEnd < 0 || template[keyEnd + 1] !== "s") {
      out += "%";
      i = pct + 1;
      continue;
    }
    const value = lookup(target, template.slice(pct + 2, keyEnd));
    if (value === MISSING) return undefined;
    out += pyStr(value);
    i = keyEnd + 2;
  }
  return out + template.slice(i);
}

// Python matches nested parentheses inside `%(...)`, so we do too.
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === "(") depth++;
    else if (s[j] === ")" && --depth === 0) return j;
  }
  return -1;
}

/**
 * The subset of ast.literal_eval that can appear as the left side of a generic
 * check (`True:%(x)s`, `'member':%(role)s`, `42:%(n)s`), already rendered as
 * str() would render it. Undefined means "not a literal": the key names a
 * credential path instead.
 */
export function pyLiteralAsStr(text: string): string | undefined {
  if (text === "True" || text === "False" || text === "None") return text;
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  if (quoted && !at(quoted, 2).includes(at(quoted, 1))) return quoted[2];
  if (/^[-+]?[1-9]\d*$|^[-+]?0+$/.test(text)) return BigInt(text).toString();
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+(?=e))(e[-+]?\d+)?$/i.test(text)) return pyNumber(Number(text), true);
  return undefined;
}
