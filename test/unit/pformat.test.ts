// pformat renders JSON values as Python's pprint.pformat(width=72) does; the expected strings were
// produced by Python itself (see test/fixtures/pformat-*.json).
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { pformat } from "../../src/http/pformat.js";

const cases = JSON.parse(readFileSync(new URL("../fixtures/pformat-cases.json", import.meta.url), "utf8")) as unknown[];
const expected = JSON.parse(readFileSync(new URL("../fixtures/pformat-expected.json", import.meta.url), "utf8")) as string[];

it.each(cases.map((c, i) => [i, c, expected[i]] as const))("case %i", (_i, value, text) => {
  expect(pformat(value)).toBe(text);
});
