// inlinePg (claim-statement.ts): a compiled PostgreSQL statement's parameters written in as
// literals for the simple query protocol.
import { expect, it } from "vitest";
import { inlinePg } from "../../src/objects/claim-statement.js";

it("writes numbers, strings, booleans, null and arrays in as literals", () => {
  expect(inlinePg("SELECT $1, $2, $3, $4, $5::int[], $6::varchar[]", [7, "a'b", true, null, [1, 2], []])).toBe(
    "SELECT 7, 'a''b', TRUE, NULL, ARRAY[1, 2]::int[], ARRAY[]::varchar[]",
  );
  expect(inlinePg("SELECT $1", [1.1])).toBe("SELECT 1.1");
});

it("tells $1 from $10", () => {
  const params = Array.from({ length: 10 }, (_, i) => i + 1);
  expect(inlinePg("SELECT $1, $10", params)).toBe("SELECT 1, 10");
});

it("writes a string with a backslash as an E'' string, the backslash doubled", () => {
  expect(inlinePg("SELECT $1", ["a\\'b"])).toBe("SELECT  E'a\\\\''b'");
});

it("refuses what has no literal, and a missing parameter", () => {
  expect(() => inlinePg("SELECT $1", [Number.NaN])).toThrow(RangeError);
  expect(() => inlinePg("SELECT $1", [Number.POSITIVE_INFINITY])).toThrow(RangeError);
  expect(() => inlinePg("SELECT $1", [{}])).toThrow(TypeError);
  expect(() => inlinePg("SELECT $2", [1])).toThrow(RangeError);
});
