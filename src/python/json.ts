// Request bodies read as the reference reads them (bytes -> strict UTF-8 -> Python's json.loads):
// the same texts accepted (NaN, Infinity and -Infinity too) and, for the rest, the same message at
// the same position, since it ends up in the 400 detail ("Malformed JSON: ...").
// One difference: nesting is bounded (MAX_DEPTH), so no body can exhaust the stack.
import { at } from "@berth/client/common";

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * A number from a body whose Python value a JavaScript number does not show: an integer past 2^53
 * (9223372036854775808 is exact in Python, 9223372036854776000 here), or a float with an integral
 * value or none (Python shows 1.0, 1e400 as inf). Only loadsExact() makes these, for messages.
 */
export class PyNumber {
  constructor(
    /** The nearest double (Infinity for an integer too long for one). */
    readonly value: number,
    /** The integer's decimal digits (Python's int); undefined for a float. */
    readonly digits?: string,
  ) {}

  get isInt(): boolean {
    return this.digits !== undefined;
  }
}

/** A number token's value; with `exact`, a PyNumber where a JavaScript number would misstate it. */
function numberValue(token: string, fraction: boolean, exact: boolean): number | PyNumber {
  const n = Number(token);
  if (!exact) return n;
  if (!fraction) return Number.isSafeInteger(n) ? n : new PyNumber(n, BigInt(token).toString());
  return Number.isInteger(n) || !Number.isFinite(n) ? new PyNumber(n) : n;
}

/**
 * How deep arrays and objects may nest in a body. No Placement request nests deeper than 6; the
 * reference's parser gives up near 1,000 (Python's recursion limit) with a 500. Deeper bodies are
 * malformed here (400), before any recursive code (the scanner, validation, messages) sees them.
 */
export const MAX_DEPTH = 100;

/** Parses a body. JSON.parse takes the common case; the scanner below only runs when it fails. */
export function parseBody(bytes: Uint8Array): Parsed {
  const text = decodeUtf8(bytes);
  if (typeof text !== "string") return { ok: false, message: text.message };
  // NOTE: the scanner reports whichever comes first, a syntax error or the nesting limit.
  if (nestsTooDeep(text)) return loads(text);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return loads(text);
  }
}

/**
 * json.loads(text) as Python has it, numbers and all: where a number's value or repr differs from
 * a JavaScript number's it is a PyNumber. For explaining a body's validation failure (it echoes
 * the numbers); undefined when the text is not JSON.
 */
export function loadsExact(text: string): unknown {
  try {
    return new Scanner(text, true).document();
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

/** json.loads(text): the value, or the JSONDecodeError's message. */
export function loads(text: string): Parsed {
  try {
    return { ok: true, value: new Scanner(text).document() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, message: e.describe(text) };
    throw e;
  }
}

/** Whether brackets outside strings open more than MAX_DEPTH deep somewhere (one pass, no recursion). */
function nestsTooDeep(s: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

class DecodeError extends Error {
  constructor(
    readonly reason: string,
    readonly pos: number,
  ) {
    super(reason);
  }

  /** "<reason>: line L column C (char N)", counted in code points as Python counts. */
  describe(text: string): string {
    const before = text.slice(0, this.pos);
    let line = 1;
    for (let at = before.indexOf("\n"); at >= 0; at = before.indexOf("\n", at + 1)) line++;
    const lineStart = before.lastIndexOf("\n") + 1;
    const char = codePoints(before);
    const column = codePoints(before.slice(lineStart)) + 1;
    return `${this.reason}: line ${line} column ${column} (char ${char})`;
  }
}

function codePoints(s: string): number {
  // UTF-16 units, less one for each surrogate pair (as for-of would count, without its iterator).
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Python's json scanner: where it stops and what it says there. */
class Scanner {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly s: string,
    private readonly exact = false,
  ) {}

  document(): unknown {
    if (this.s.startsWith("\ufeff")) throw new DecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
    this.skip();
    const value = this.value();
    this.skip();
    if (this.i !== this.s.length) throw new DecodeError("Extra data", this.i);
    return value;
  }

  private skip(): void {
    const s = this.s;
    let i = this.i;
    for (let c = s.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = s.charCodeAt(++i));
    this.i = i;
  }

  private value(): unknown {
    const { s, i } = this;
    const ch = s[i];
    if (ch === '"') return this.string();
    if (ch === "{") return this.object();
    if (ch === "[") return this.array();
    // NOTE: a digit can only start a number; other characters are tried as literals first.
    const c = s.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39))
      for (const [word, v] of LITERALS)
        if (s.startsWith(word, i)) {
          this.i += word.length;
          return v;
        }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (m) {
      this.i += m[0].length;
      return numberValue(m[0], m[1] !== undefined || m[2] !== undefined, this.exact);
    }
    throw new DecodeError("Expecting value", i);
  }

  private string(): string {
    const begin = this.i;
    let out = "";
    let i = begin + 1;
    for (;;) {
      if (i >= this.s.length) throw new DecodeError("Unterminated string starting at", begin);
      const ch = this.s.charAt(i);
      if (ch === '"') break;
      if (ch < " ") throw new DecodeError("Invalid control character at", i);
      if (ch !== "\\") {
        out += ch;
        i++;
        continue;
      }
      const esc = this.s[i + 1];
      if (esc === undefined) throw new DecodeError("Unterminated string starting at", begin);
      if (esc === "u") {
        const hex = this.s.slice(i + 2, i + 6);
        // NOTE: Python wants a character after the four digits (end >= len fails) and reports
        // any bad \u escape at its "u".
        if (i + 6 >= this.s.length || !HEX4.test(hex)) throw new DecodeError("Invalid \\uXXXX escape", i + 1);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const c = ESCAPES[esc];
        if (c === undefined) throw new DecodeError("Invalid \\escape", i);
        out += c;
        i += 2;
      }
    }
    this.i = i + 1;
    return out;
  }

  /** Steps into an array or object (at its bracket), refusing to go deeper than MAX_DEPTH. */
  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new DecodeError(`Nesting deeper than ${MAX_DEPTH} levels`, this.i);
    this.i++;
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.enter();
    this.skip();
    if (this.closes("}")) return out;
    for (;;) {
      if (this.s[this.i] !== '"') throw new DecodeError("Expecting property name enclosed in double quotes", this.i);
      const key = this.string();
      this.skip();
      if (this.s[this.i] !== ":") throw new DecodeError("Expecting ':' delimiter", this.i);
      this.i++;
      this.skip();
      const value = this.value();
      // NOTE: defineProperty, so a "__proto__" key is an ordinary key (as in JSON.parse).
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skip();
      if (this.closes("}")) return out;
      this.comma();
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.enter();
    this.skip();
    if (this.closes("]")) return out;
    for (;;) {
      out.push(this.value());
      this.skip();
      if (this.closes("]")) return out;
      this.comma();
    }
  }

  /** Steps over `bracket` (and out of its array or object) when it is next. */
  private closes(bracket: string): boolean {
    if (this.s[this.i] !== bracket) return false;
    this.i++;
    this.depth--;
    return true;
  }

  private comma(): void {
    if (this.s[this.i] !== ",") throw new DecodeError("Expecting ',' delimiter", this.i);
    this.i++;
    this.skip();
  }
}

const LITERALS: [string, unknown][] = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
];

/** Strict UTF-8, the BOM kept; on failure, Python's UnicodeDecodeError text. */
export function decodeUtf8(bytes: Uint8Array): string | { message: string } {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { message: utf8Problem(bytes) };
  }
}

/** The first bad sequence as CPython's decoder reports it: the bytes it spans and why. */
function utf8Problem(b: Uint8Array): string {
  let i = 0;
  while (i < b.length) {
    const lead = at(b, i);
    const need = lead < 0x80 ? 0 : lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (need < 0) return pyDecodeError(b, i, i + 1, "invalid start byte");
    // The second byte's range is narrower after some leads (no overlongs, surrogates or > U+10FFFF).
    const [lo, hi] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return pyDecodeError(b, i, b.length, "unexpected end of data");
      const c = at(b, i + k);
      const ok = k === 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
      if (!ok) return pyDecodeError(b, i, i + k, "invalid continuation byte");
    }
    i += need + 1;
  }
  return "'utf-8' codec can't decode the body";
}

function pyDecodeError(b: Uint8Array, start: number, end: number, reason: string): string {
  if (end - start === 1) return `'utf-8' codec can't decode byte 0x${at(b, start).toString(16).padStart(2, "0")} in position ${start}: ${reason}`;
  return `'utf-8' codec can't decode bytes in position ${start}-${end - 1}: ${reason}`;
}

// Characters json.dumps escapes that JSON.stringify leaves as they are: DEL and everything past ASCII
// (which only strings hold).
const PAST_ASCII = /[\u007f-\uffff]/g;
const escapeUnit = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * json.dumps(value) with Python's defaults, which the reference's bodies are written with: `", "`
 * and `": "` between items, every character outside printable ASCII escaped (`\u00e9`, surrogate
 * pairs past U+FFFF).
 * NOTE: JSON.stringify with an indent of 1 already writes `": "`, and every newline it writes is
 * between items (a newline inside a string is escaped as \n): after a comma it becomes a space, the
 * others go with their indent. Two regular expressions over that text cost half of a loop over the
 * compact text (a 4 MB list of 10,000 providers: 87-141 ms against 229-328 ms, JSON.stringify
 * alone 15-20, on the loaded 2-core VM). Candidate bodies, the large ones, are written as Python
 * writes them by http/candidate-body.ts.
 */
export function dumps(value: unknown): string {
  const indented = JSON.stringify(value, null, 1);
  if (indented === undefined) return "null";
  const out = indented.replace(/,\n */g, ", ").replace(/\n */g, "");
  PAST_ASCII.lastIndex = 0;
  return PAST_ASCII.test(out) ? out.replace(PAST_ASCII, escapeUnit) : out;
}
