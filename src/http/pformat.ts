// Python's pprint.pformat(obj, width=72) for JSON values: the reference's validation errors embed
// the failing schema and instance rendered this way, so Berth renders them the same.
import { byCodePoint, pyRepr } from "./pyrepr.js";

const WIDTH = 72;

/** len() in Python counts code points, not UTF-16 units. */
const width = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** repr() as pprint computes it: dict keys sorted. */
function safeRepr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(safeRepr).join(", ")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort(byCodePoint)
      .map((k) => `${pyRepr(k)}: ${safeRepr((v as Record<string, unknown>)[k])}`)
      .join(", ")}}`;
  return pyRepr(v);
}

export function pformat(v: unknown): string {
  const out: string[] = [];
  format(v, out, 0, 0, 1);
  return out.join("");
}

function format(v: unknown, out: string[], indent: number, allowance: number, level: number): void {
  const rep = safeRepr(v);
  if (width(rep) <= WIDTH - indent - allowance) {
    out.push(rep);
    return;
  }
  if (Array.isArray(v)) {
    out.push("[");
    items(v, out, indent, allowance + 1, level);
    out.push("]");
  } else if (v && typeof v === "object") {
    out.push("{");
    const keys = Object.keys(v).sort(byCodePoint);
    const inner = indent + 1;
    keys.forEach((k, i) => {
      const last = i === keys.length - 1;
      const kr = pyRepr(k);
      out.push(kr, ": ");
      format((v as Record<string, unknown>)[k], out, inner + width(kr) + 2, last ? allowance + 1 : 1, level + 1);
      if (!last) out.push(",\n" + " ".repeat(inner));
    });
    out.push("}");
  } else if (typeof v === "string") {
    str(v, out, indent, allowance, level);
  } else out.push(rep);
}

function items(list: unknown[], out: string[], indent: number, allowance: number, level: number): void {
  const inner = indent + 1;
  list.forEach((ent, i) => {
    const last = i === list.length - 1;
    if (i > 0) out.push(",\n" + " ".repeat(inner));
    format(ent, out, inner, last ? allowance : 1, level + 1);
  });
}

// str.splitlines(True) and re.findall(r"\S*\s*") with Python's notions of line break and space.
const LINES = /[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])|[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+$/g;
const SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WORDS = new RegExp(`[^${SPACE}]*[${SPACE}]*`, "g");

// Long strings are split at whitespace into adjacent literals, parenthesised at the top level.
function str(s: string, out: string[], indent: number, allowance: number, level: number): void {
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
