// parseBody(): request bodies read as the reference reads them. Expected texts are what Python 3.11's
// json.loads and UTF-8 decoder say (the property test in test/property/validate-vs-jsonschema.test.ts
// compares at random against them).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { dumps, loadsExact, MAX_DEPTH, parseBody, PyNumber } from "../../src/python/json.js";
import { pyRepr } from "../../src/python/repr.js";

const text = (s: string) => parseBody(new TextEncoder().encode(s));
const bytes = (...b: number[]) => parseBody(Uint8Array.from(b));

describe("parseBody", () => {
  it.each([
    ["", "Expecting value: line 1 column 1 (char 0)"],
    ["{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
    ['{"a"', "Expecting ':' delimiter: line 1 column 5 (char 4)"],
    ['{"a":1', "Expecting ',' delimiter: line 1 column 7 (char 6)"],
    ['{"a":1,}', "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
    ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
    ["1 2", "Extra data: line 1 column 3 (char 2)"],
    ["1.", "Extra data: line 1 column 2 (char 1)"],
    ['"abc', "Unterminated string starting at: line 1 column 1 (char 0)"],
    ['"a\\x"', "Invalid \\escape: line 1 column 3 (char 2)"],
    ['"a\\u12"', "Invalid \\uXXXX escape: line 1 column 4 (char 3)"],
    ['"\\u1234', "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
    ['"a\u0001"', "Invalid control character at: line 1 column 3 (char 2)"],
    ["[1,\n 2,\n x]", "Expecting value: line 3 column 2 (char 9)"],
    ['["😀", x]', "Expecting value: line 1 column 7 (char 6)"],
    ["\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
  ])("%j", (input, message) => {
    expect(text(input)).toEqual({ ok: false, message });
  });

  it("takes Python's extra literals", () => {
    expect(text('{"a": NaN, "b": [Infinity, -Infinity]}')).toEqual({ ok: true, value: { a: NaN, b: [Infinity, -Infinity] } });
  });

  it("keeps a repeated key where it first was, with its last value (as dict() does)", () => {
    const r = text('{"a": 1, "b": 2, "a": NaN}');
    expect(r.ok && Object.entries(r.value as object)).toEqual([
      ["a", NaN],
      ["b", 2],
    ]);
  });

  it("decodes strictly, with Python's words for bad UTF-8", () => {
    expect(bytes(0xff, 0x7b, 0x7d)).toEqual({ ok: false, message: "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte" });
    expect(bytes(0x22, 0xe2, 0x82, 0x22)).toEqual({ ok: false, message: "'utf-8' codec can't decode bytes in position 1-2: invalid continuation byte" });
    expect(bytes(0x22, 0xed, 0xa0, 0x80, 0x22)).toEqual({
      ok: false,
      message: "'utf-8' codec can't decode byte 0xed in position 1: invalid continuation byte",
    });
    expect(bytes(0x22, 0xf0, 0x9f, 0x98)).toEqual({ ok: false, message: "'utf-8' codec can't decode bytes in position 1-3: unexpected end of data" });
  });

  it("bounds nesting at MAX_DEPTH, whatever the mix of arrays and objects, without recursing further", () => {
    expect(text("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)).ok).toBe(true);
    expect(text("[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1))).toEqual({
      ok: false,
      message: `Nesting deeper than ${MAX_DEPTH} levels: line 1 column ${MAX_DEPTH + 1} (char ${MAX_DEPTH})`,
    });
    expect(text('{"a":'.repeat(200_000))).toEqual({
      ok: false,
      message: `Nesting deeper than ${MAX_DEPTH} levels: line 1 column ${5 * MAX_DEPTH + 1} (char ${5 * MAX_DEPTH})`,
    });
    // Unclosed and malformed too: the scanner, not the stack, says where.
    expect(text("[".repeat(200_000))).toEqual({
      ok: false,
      message: `Nesting deeper than ${MAX_DEPTH} levels: line 1 column ${MAX_DEPTH + 1} (char ${MAX_DEPTH})`,
    });
  });

  it("reports a syntax error that comes before the nesting limit, as Python would", () => {
    expect(text("[[x" + "[".repeat(200))).toEqual({ ok: false, message: "Expecting value: line 1 column 3 (char 2)" });
  });

  it("counts no brackets inside strings", () => {
    const s = JSON.stringify({ a: "[".repeat(500), b: ['"\\[[[' + "{".repeat(300)] });
    expect(text(s)).toEqual({ ok: true, value: JSON.parse(s) });
  });
});

describe("loadsExact", () => {
  const reprs = (text: string) => (loadsExact(`[${text}]`) as unknown[]).map((v) => pyRepr(v));

  it("keeps what Python's json keeps: exact integers past 2^53, floats as floats", () => {
    expect(reprs("9223372036854775808, -9223372036854775809, 9007199254740993, 1" + "0".repeat(400))).toEqual([
      "9223372036854775808",
      "-9223372036854775809",
      "9007199254740993",
      "1" + "0".repeat(400),
    ]);
    expect(reprs("1.0, 1e2, 1E+20, -0.0, 0.0, 1e400, -1e400, 2147483648.5, 1e16")).toEqual([
      "1.0",
      "100.0",
      "1e+20",
      "-0.0",
      "0.0",
      "inf",
      "-inf",
      "2147483648.5",
      "1e+16",
    ]);
  });

  it("leaves plain numbers alone: safe integers and floats JavaScript shows as Python does", () => {
    expect(loadsExact("[1, -0, 2147483647, 1.5, 0.1]")).toEqual([1, -0, 2147483647, 1.5, 0.1]);
    expect(loadsExact("[1.0]")).toEqual([new PyNumber(1)]);
  });

  it("is undefined for a text that is not JSON", () => {
    expect(loadsExact("[1,")).toBeUndefined();
  });
});

describe("dumps", () => {
  it("writes what Python's json.dumps writes (the strings checked with python3 -c 'import json; print(json.dumps(...))')", () => {
    expect(dumps({ a: [1, 2.5, null, true], b: {}, c: [] })).toBe('{"a": [1, 2.5, null, true], "b": {}, "c": []}');
    expect(dumps('\u00e9\u007f\u0001\n"\\/\ud83d\ude00')).toBe('"\\u00e9\\u007f\\u0001\\n\\"\\\\/\\ud83d\\ude00"');
    expect(dumps({ "\u00e9": "x" })).toBe('{"\\u00e9": "x"}');
  });

  it("leaves out what JSON.stringify leaves out", () => {
    expect(dumps({ a: undefined, b: 1 })).toBe('{"b": 1}');
    expect(dumps([undefined])).toBe("[null]");
    expect(dumps({ d: new Date(0) })).toBe('{"d": "1970-01-01T00:00:00.000Z"}');
    const values = [{ x: [1, { y: "z" }] }, "a,b:c", [], 0, -1.5];
    for (const v of values) expect(JSON.parse(dumps(v))).toEqual(v);
  });

  it("keeps every value, in printable ASCII, with a space after each separator outside strings", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = dumps(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(/[^\x20-\x7e]/.test(text)).toBe(false);
        // Outside strings, no separator is followed by anything but a space.
        expect(/[,:](?! )/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
