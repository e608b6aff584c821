// Python-style rendering of JSON values, so validation messages read as the reference's do
// (`'abc' is not of type 'integer'`, `{'name': 1}`).
import { PyNumber } from "./json.js";
import { at } from "@berth/client/common";

/**
 * repr() of a JSON value. With `limit`, stops once the text passes `limit` UTF-16 units and returns
 * what it has with "..." after it, so a huge instance costs no more than its first part (Berth's
 * bound: the reference would repr all of it).
 */
export function pyRepr(v: unknown, limit = Infinity): string {
  if (limit === Infinity) return reprAll(v);
  const out: Out = { parts: [], length: 0, limit };
  write(v, out);
  const text = out.parts.join("");
  return out.length > limit ? `${text.slice(0, limit)}...` : text;
}

function reprAll(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (v instanceof PyNumber) return v.digits ?? pyFloat(v.value);
  if (typeof v === "string") return pyStr(v);
  if (Array.isArray(v)) return `[${v.map(reprAll).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyStr(k)}: ${reprAll(x)}`)
      .join(", ")}}`;
  return String(v);
}

interface Out {
  parts: string[];
  length: number;
  limit: number;
}

function put(out: Out, s: string): void {
  out.parts.push(s);
  out.length += s.length;
}

/** reprAll's text into `out`, stopping once it is past the limit. */
function write(v: unknown, out: Out): void {
  if (out.length > out.limit) return;
  if (Array.isArray(v)) {
    put(out, "[");
    for (let i = 0; i < v.length && out.length <= out.limit; i++) {
      if (i) put(out, ", ");
      write(v[i], out);
    }
    put(out, "]");
  } else if (v && typeof v === "object" && !(v instanceof PyNumber)) {
    put(out, "{");
    let first = true;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (out.length > out.limit) break;
      if (!first) put(out, ", ");
      first = false;
      put(out, pyStr(k.length > out.limit ? k.slice(0, out.limit + 1) : k));
      put(out, ": ");
      write((v as Record<string, unknown>)[k], out);
    }
    put(out, "}");
  } else if (typeof v === "string" && v.length > out.limit) put(out, pyStr(v.slice(0, out.limit + 1)));
  else put(out, reprAll(v));
}

// Python's repr(float): the shortest digits, as JavaScript finds them, but in exponent form only
// below 1e-4 or from 1e16 up, and with at least two exponent digits (1e-05, 1e+16).
function pyFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
  if (Object.is(n, -0)) return "-0.0";
  const [mantissa, exp] = n.toExponential().split("e") as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const sign = n < 0 ? "-" : "";
  const digits = mantissa.replace(/^-/, "").replace(".", "");
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  return `${sign}${whole}.${digits.slice(e + 1) || "0"}`;
}

// Python's repr(str): the quote it picks, and escapes for whatever str.isprintable() rejects.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch !== " " && NOT_PRINTABLE.test(ch)) out += hexEscape(ch.codePointAt(0)!);
    else out += ch;
  }
  return quote + out + quote;
}

function hexEscape(cp: number): string {
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

/** Python's order for strings (sorted()): by code point; JavaScript's default compares UTF-16 units. */
export function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = at(x, i).codePointAt(0)! - at(y, i).codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}
