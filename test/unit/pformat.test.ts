// pformat renders JSON values as Python's pprint.pformat(width=72) does; the expected strings were
// produced by Python itself (see test/fixtures/pformat-*.json).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { pformat } from "../../src/python/pformat.js";

const cases = JSON.parse(readFileSync(new URL("../fixtures/pformat-cases.json", import.meta.url), "utf8")) as unknown[];
const expected = JSON.parse(readFileSync(new URL("../fixtures/pformat-expected.json", import.meta.url), "utf8")) as string[];

it.each(cases.map((c, i) => [i, c, expected[i]] as const))("case %i", (_i, value, text) => {
  expect(pformat(value)).toBe(text);
});

it("stops a huge rendering at MAX_PFORMAT characters, the part shown being the full rendering's start", async () => {
  const { MAX_PFORMAT } = await import("../../src/python/pformat.js");
  const value = { items: Array.from({ length: 50_000 }, (_, i) => ({ n: i, s: "x".repeat(i % 7) })) };
  const text = pformat(value);
  expect(text.length).toBe(MAX_PFORMAT + 3);
  expect(text.endsWith("...")).toBe(true);
  const small = { items: value.items.slice(0, 2000) };
  expect(pformat(small).startsWith(text.slice(0, -3))).toBe(true);
});

it("quotes with pyRepr's limit exactly what it would quote without, up to the limit", async () => {
  const { pyRepr } = await import("../../src/python/repr.js");
  for (const v of [...cases, "x".repeat(100), ["é😀", { "a'b": [1.5, null, true] }]]) {
    expect(pyRepr(v, 1_000_000)).toBe(pyRepr(v));
    const full = pyRepr(v);
    if (full.length > 10) expect(pyRepr(v, 10)).toBe(`${full.slice(0, 10)}...`);
  }
});
