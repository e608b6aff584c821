// Python's pprint.pformat(obj, width=72) for JSON values: the reference's validation errors embed
// the failing schema and instance rendered this way, so Berth renders them the same.
import { byCodePoint, pyRepr } from "./repr.js";
import { PyNumber } from "./json.js";
import { at } from "@berth/client/common";

const WIDTH = 72;
/**
 * Berth's bound on the text (the reference renders all of it): an instance of megabytes would take
 * seconds and tens of megabytes to show. Beyond it the text stops with "...".
 */
export const MAX_PFORMAT = 32 * 1024;
// NOTE: whether a repr fits in WIDTH code points is known from its first 2 * WIDTH + 2 UTF-16 units.
const FIT_PROBE = 2 * WIDTH + 2;

/** len() in Python counts code points, not UTF-16 units. */
const width = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** repr() as pprint computes it (dict keys sorted), or at least its first `limit` units. */
function safeRepr(v: unknown, limit: number): string {
  const parts: string[] = [];
  let length = 0;
  const put = (s: string) => {
    parts.push(s);
    length += s.length;
  };
  const walk = (x: unknown): void => {
    if (length > limit) return;
    if (Array.isArray(x)) {
      put("[");
      for (let i = 0; i < x.length && length <= limit; i++) {
        if (i) put(", ");
        walk(x[i]);
      }
      put("]");
    } else if (x && typeof x === "object" && !(x instanceof PyNumber)) {
      put("{");
      const keys = Object.keys(x).sort(byCodePoint);
      for (let i = 0; i < keys.length && length <= limit; i++) {
        if (i) put(", ");
        put(pyRepr(keys[i], limit));
        put(": ");
        walk((x as Record<string, unknown>)[at(keys, i)]);
      }
      put("}");
    } else put(pyRepr(x, limit));
  };
  walk(v);
  return parts.join("");
}

/** pprint.pformat(v, width=72), cut after MAX_PFORMAT characters. */
export function pformat(v: unknown): string {
  const out = new Out();
  format(v, out, 0, 0, 1);
  const text = out.join();
  return text.length > MAX_PFORMAT ? `${text.slice(0, MAX_PFORMAT)}...` : text;
}

class Out {
  private readonly parts: string[] = [];
  length = 0;
  get full(): boolean {
    return this.length > MAX_PFORMAT;
  }
  push(...s: string[]): void {
    for (const x of s) {
      this.parts.push(x);
      this.length += x.length;
    }
  }
  join(): string {
    return this.parts.join("");
  }
}

function format(v: unknown, out: Out, indent: number, allowance: number, level: number): void {
  if (out.full) return;
  const probe = safeRepr(v, FIT_PROBE);
  if (probe.length <= FIT_PROBE && width(probe) <= WIDTH - indent - allowance) {
    out.push(probe);
    return;
  }
  if (Array.isArray(v)) {
    out.push("[");
    items(v, out, indent, allowance + 1, level);
    out.push("]");
  } else if (v && typeof v === "object" && !(v instanceof PyNumber)) {
    out.push("{");
    const keys = Object.keys(v).sort(byCodePoint);
    const inner = indent + 1;
    for (let i = 0; i < keys.length && !out.full; i++) {
      const k = at(keys, i);
      const last = i === keys.length - 1;
      const kr = pyRepr(k);
      out.push(kr, ": ");
      format((v as Record<string, unknown>)[k], out, inner + width(kr) + 2, last ? allowance + 1 : 1, level + 1);
      if (!last) out.push(",\n" + " ".repeat(inner));
    }
    out.push("}");
  } else if (typeof v === "string") {
    str(v, out, indent, allowance, level);
  } else out.push(pyRepr(v));
}

function items(list: unknown[], out: Out, indent: number, allowance: number, level: number): void {
  const inner = indent + 1;
  for (let i = 0; i < list.length && !out.full; i++) {
    const last = i === list.length - 1;
    if (i > 0) out.push(",\n" + " ".repeat(inner));
    format(list[i], out, inner, last ? allowance : 1, level + 1);
  }
}

// str.splitlines(True) and re.findall(r"\S*\s*") with Python's notions of line break and space.
const LINES = /[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])|[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+$/g;
const SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WORDS = new RegExp(`[^${SPACE}]*[${SPACE}]*`, "g");

// Long strings are split at whitespace into adjacent literals, parenthesised at the top level.
function str(s: string, out: Out, indent: number, allowance: number, level: number): void {
  // NOTE: the text is cut at MAX_PFORMAT anyway: a longer string is shown from its start.
  if (s.length > MAX_PFORMAT + 1024) s = s.slice(0, MAX_PFORMAT + 1024);
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  if (s === "") {
    out.push("''");
    return;
  }
  const maxWidth = WIDTH - indent;
  const lines = s.match(LINES)!;
  const chunks: string[] = [];
  let last = "";
  lines.forEach((line, i) => {
    const rep = pyRepr(line);
    last = rep;
    const isLast = i === lines.length - 1;
    const max1 = isLast ? maxWidth - allowance : maxWidth;
    if (width(rep) <= max1) {
      chunks.push(rep);
      return;
    }
    const parts = line.match(WORDS)!.filter((p, j, a) => !(j === a.length - 1 && p === ""));
    let current = "";
    parts.forEach((part, j) => {
      const candidate = current + part;
      const max2 = j === parts.length - 1 && isLast ? maxWidth - allowance : maxWidth;
      if (width(pyRepr(candidate)) > max2) {
        if (current) chunks.push(pyRepr(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(pyRepr(current));
  });
  if (chunks.length === 1) {
    out.push(last);
    return;
  }
  if (level === 1) out.push("(");
  out.push(chunks.join("\n" + " ".repeat(indent)));
  if (level === 1) out.push(")");
}
