// validate(): the reference's wording for each keyword and its choice among several errors
// (jsonschema's best_match). Every expected text below is what /usr/bin/python3 with jsonschema
// 4.10.3 and the reference's uuid check printed for the same schema and instance
// (scripts/jsonschema-oracle.py); test/property/validate-vs-jsonschema.test.ts compares at random.
import { describe, expect, it } from "vitest";
import { validate } from "../../src/http/validate.js";
import { pyRegExp } from "../../src/python/jsonschema-errors.js";
import { canonicalUuid, isUuidLike } from "../../src/python/uuid.js";
import * as inventory from "../../src/schemas/inventory.js";

const CASES: [name: string, schema: object, instance: unknown, expected: string | null][] = [
  ["type, one", { type: "integer" }, "a", "'a' is not of type 'integer'  Failed validating 'type' in schema:     {'type': 'integer'}  On instance:     'a'"],
  [
    "type, several",
    { type: ["integer", "null"] },
    "x",
    "'x' is not of type 'integer', 'null'  Failed validating 'type' in schema:     {'type': ['integer', 'null']}  On instance:     'x'",
  ],
  [
    "type, float repr",
    { type: "string" },
    0.00001,
    "1e-05 is not of type 'string'  Failed validating 'type' in schema:     {'type': 'string'}  On instance:     1e-05",
  ],
  [
    "type, big float repr",
    { type: "string" },
    1.5e300,
    "1.5e+300 is not of type 'string'  Failed validating 'type' in schema:     {'type': 'string'}  On instance:     1.5e+300",
  ],
  [
    "required",
    { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
    {},
    "'name' is a required property  Failed validating 'required' in schema:     {'properties': {'name': {'type': 'string'}},      'required': ['name'],      'type': 'object'}  On instance:     {}",
  ],
  [
    "required, first missing wins",
    { type: "object", required: ["b", "a"] },
    {},
    "'b' is a required property  Failed validating 'required' in schema:     {'required': ['b', 'a'], 'type': 'object'}  On instance:     {}",
  ],
  [
    "additionalProperties, all extras sorted",
    { type: "object", properties: { a: {} }, additionalProperties: false },
    { z: 1, b: 2, a: 1 },
    "Additional properties are not allowed ('b', 'z' were unexpected)  Failed validating 'additionalProperties' in schema:     {'additionalProperties': False,      'properties': {'a': {}},      'type': 'object'}  On instance:     {'a': 1, 'b': 2, 'z': 1}",
  ],
  [
    "additionalProperties, one extra",
    { type: "object", properties: { a: {} }, additionalProperties: false },
    { b: 2 },
    "Additional properties are not allowed ('b' was unexpected)  Failed validating 'additionalProperties' in schema:     {'additionalProperties': False,      'properties': {'a': {}},      'type': 'object'}  On instance:     {'b': 2}",
  ],
  [
    "patternProperties, several",
    { type: "object", patternProperties: { "^[A-Z]+$": {}, "^x": {} }, additionalProperties: false },
    { abc: 1, Q1: 2, A: 3 },
    "'Q1', 'abc' do not match any of the regexes: '^[A-Z]+$', '^x'  Failed validating 'additionalProperties' in schema:     {'additionalProperties': False,      'patternProperties': {'^[A-Z]+$': {}, '^x': {}},      'type': 'object'}  On instance:     {'A': 3, 'Q1': 2, 'abc': 1}",
  ],
  [
    "patternProperties, one",
    { type: "object", patternProperties: { "^[A-Z]+$": {} }, additionalProperties: false },
    { abc: 1 },
    "'abc' does not match any of the regexes: '^[A-Z]+$'  Failed validating 'additionalProperties' in schema:     {'additionalProperties': False,      'patternProperties': {'^[A-Z]+$': {}},      'type': 'object'}  On instance:     {'abc': 1}",
  ],
  [
    "patternProperties, nested path",
    { type: "object", patternProperties: { "^[A-Z]+$": { type: "integer", minimum: 1 } } },
    { VCPU: 0 },
    "0 is less than the minimum of 1  Failed validating 'minimum' in schema['patternProperties']['^[A-Z]+$']:     {'minimum': 1, 'type': 'integer'}  On instance['VCPU']:     0",
  ],
  [
    "format uuid",
    { type: "string", format: "uuid" },
    "not-a-uuid",
    "'not-a-uuid' is not a 'uuid'  Failed validating 'format' in schema:     {'format': 'uuid', 'type': 'string'}  On instance:     'not-a-uuid'",
  ],
  [
    "format uuid, non-string, format first",
    { format: "uuid", type: "string" },
    5,
    "5 is not a 'uuid'  Failed validating 'format' in schema:     {'format': 'uuid', 'type': 'string'}  On instance:     5",
  ],
  [
    "format uuid, non-string, type first",
    { type: "string", format: "uuid" },
    5,
    "5 is not of type 'string'  Failed validating 'type' in schema:     {'format': 'uuid', 'type': 'string'}  On instance:     5",
  ],
  [
    "minLength",
    { type: "string", minLength: 1 },
    "",
    "'' is too short  Failed validating 'minLength' in schema:     {'minLength': 1, 'type': 'string'}  On instance:     ''",
  ],
  [
    "maxLength counts code points",
    { type: "string", maxLength: 3 },
    "😀😀😀😀",
    "'😀😀😀😀' is too long  Failed validating 'maxLength' in schema:     {'maxLength': 3, 'type': 'string'}  On instance:     '😀😀😀😀'",
  ],
  [
    "minimum",
    { type: "integer", minimum: 1 },
    0,
    "0 is less than the minimum of 1  Failed validating 'minimum' in schema:     {'minimum': 1, 'type': 'integer'}  On instance:     0",
  ],
  [
    "maximum",
    { type: "number", maximum: 3.40282e38 },
    1e39,
    "1e+39 is greater than the maximum of 3.40282e+38  Failed validating 'maximum' in schema:     {'maximum': 3.40282e+38, 'type': 'number'}  On instance:     1e+39",
  ],
  [
    "exclusiveMinimum",
    { type: "integer", exclusiveMinimum: 0 },
    0,
    "0 is less than or equal to the minimum of 0  Failed validating 'exclusiveMinimum' in schema:     {'exclusiveMinimum': 0, 'type': 'integer'}  On instance:     0",
  ],
  [
    "pattern",
    { type: "string", pattern: "^CUSTOM_[A-Z0-9_]+$" },
    "custom_foo",
    "'custom_foo' does not match '^CUSTOM_[A-Z0-9_]+$'  Failed validating 'pattern' in schema:     {'pattern': '^CUSTOM_[A-Z0-9_]+$', 'type': 'string'}  On instance:     'custom_foo'",
  ],
  [
    "enum",
    { type: "string", enum: ["none", "isolate"] },
    "all",
    "'all' is not one of ['none', 'isolate']  Failed validating 'enum' in schema:     {'enum': ['none', 'isolate'], 'type': 'string'}  On instance:     'all'",
  ],
  [
    "enum keeps True apart from 1",
    { enum: [1, "x"] },
    true,
    "True is not one of [1, 'x']  Failed validating 'enum' in schema:     {'enum': [1, 'x']}  On instance:     True",
  ],
  [
    "minItems",
    { type: "array", minItems: 1 },
    [],
    "[] is too short  Failed validating 'minItems' in schema:     {'minItems': 1, 'type': 'array'}  On instance:     []",
  ],
  [
    "uniqueItems",
    { type: "array", uniqueItems: true },
    ["a", "b", "a"],
    "['a', 'b', 'a'] has non-unique elements  Failed validating 'uniqueItems' in schema:     {'type': 'array', 'uniqueItems': True}  On instance:     ['a', 'b', 'a']",
  ],
  [
    "minProperties",
    { type: "object", minProperties: 1 },
    {},
    "{} does not have enough properties  Failed validating 'minProperties' in schema:     {'minProperties': 1, 'type': 'object'}  On instance:     {}",
  ],
  [
    "maxProperties",
    { type: "object", maxProperties: 1 },
    { a: 1, b: 2 },
    "{'a': 1, 'b': 2} has too many properties  Failed validating 'maxProperties' in schema:     {'maxProperties': 1, 'type': 'object'}  On instance:     {'a': 1, 'b': 2}",
  ],
  [
    "items path",
    { type: "array", items: { type: "string", format: "uuid" } },
    ["4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0f", "x"],
    "'x' is not a 'uuid'  Failed validating 'format' in schema['items']:     {'format': 'uuid', 'type': 'string'}  On instance[1]:     'x'",
  ],
  [
    "anyOf descends to the clearest branch error",
    { type: "object", properties: { p: { anyOf: [{ type: "string", format: "uuid" }, { type: "null" }] } } },
    { p: "abc" },
    "'abc' is not a 'uuid'  Failed validating 'format' in schema[0]:     {'format': 'uuid', 'type': 'string'}  On instance:     'abc'",
  ],
  [
    "anyOf keeps itself when branches tie",
    { type: "object", properties: { p: { anyOf: [{ type: "string", format: "uuid" }, { type: "null" }] } } },
    { p: 5 },
    "5 is not valid under any of the given schemas  Failed validating 'anyOf' in schema['properties']['p']:     {'anyOf': [{'format': 'uuid', 'type': 'string'}, {'type': 'null'}]}  On instance['p']:     5",
  ],
  [
    "oneOf, more than one valid",
    { oneOf: [{ type: "integer" }, { minimum: 0 }] },
    3,
    "3 is valid under each of {'minimum': 0}, {'type': 'integer'}  Failed validating 'oneOf' in schema:     {'oneOf': [{'type': 'integer'}, {'minimum': 0}]}  On instance:     3",
  ],
  [
    "not",
    { not: { type: "string" } },
    "x",
    "'x' should not be valid under {'type': 'string'}  Failed validating 'not' in schema:     {'not': {'type': 'string'}}  On instance:     'x'",
  ],
  ["const", { const: "a" }, "b", "'a' was expected  Failed validating 'const' in schema:     {'const': 'a'}  On instance:     'b'"],
  [
    "shallow error beats deep one",
    { type: "object", properties: { a: { type: "integer" } }, required: ["b"] },
    { a: "x" },
    "'b' is a required property  Failed validating 'required' in schema:     {'properties': {'a': {'type': 'integer'}},      'required': ['b'],      'type': 'object'}  On instance:     {'a': 'x'}",
  ],
  [
    "failing type beats same-depth error",
    { type: "object", properties: { a: { type: "string", minLength: 5 }, b: { type: "integer" } } },
    { a: "ab", b: "x" },
    "'x' is not of type 'integer'  Failed validating 'type' in schema['properties']['b']:     {'type': 'integer'}  On instance['b']:     'x'",
  ],
  [
    "same rank: schema order decides",
    { type: "object", properties: { b: { type: "integer" }, a: { type: "integer" } } },
    { a: "x", b: "y" },
    "'y' is not of type 'integer'  Failed validating 'type' in schema['properties']['b']:     {'type': 'integer'}  On instance['b']:     'y'",
  ],
  ["$ as Python reads it", { type: "string", pattern: "^[A-Z]+$" }, "ABC\n", null],
  ["uuid with braces", { type: "string", format: "uuid" }, "{4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0f}", null],
  ["uuid as urn", { type: "string", format: "uuid" }, "urn:uuid:4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0f", null],
  ["uuid without dashes", { type: "string", format: "uuid" }, "4A1E8F3C2B7D4C9E8F106D5A3B2C1E0F", null],
  [
    "uuid one digit short",
    { type: "string", format: "uuid" },
    "4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0",
    "'4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0' is not a 'uuid'  Failed validating 'format' in schema:     {'format': 'uuid', 'type': 'string'}  On instance:     '4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0'",
  ],
  [
    "repr escapes what Python cannot print",
    { type: "integer" },
    "a\u0000​\udc00",
    "'a\\x00\\x7f\\u200b\\udc00' is not of type 'integer'  Failed validating 'type' in schema:     {'type': 'integer'}  On instance:     'a\\x00\\x7f\\u200b\\udc00'",
  ],
  [
    "repr quote choice",
    { type: "integer" },
    "it's",
    "\"it's\" is not of type 'integer'  Failed validating 'type' in schema:     {'type': 'integer'}  On instance:     \"it's\"",
  ],
  [
    "long instance wraps as pprint does",
    { type: "object", maxProperties: 1 },
    { alpha: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", beta: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", gamma: [1, 2, 3] },
    "{'alpha': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'beta': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'gamma': [1, 2, 3]} has too many properties  Failed validating 'maxProperties' in schema:     {'maxProperties': 1, 'type': 'object'}  On instance:     {'alpha': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',      'beta': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',      'gamma': [1, 2, 3]}",
  ],
];

describe("validate() says what jsonschema says", () => {
  it.each(CASES)("%s", (_name, schema, instance, expected) => {
    expect(validate(schema, instance) ?? null).toBe(expected);
  });
});

describe("numbers JSON.parse cannot write back (Python reads 1e400 as inf)", () => {
  it("inf is a number but no integer", () => {
    expect(validate({ type: "integer" }, Infinity)).toBe(
      "inf is not of type 'integer'  Failed validating 'type' in schema:     {'type': 'integer'}  On instance:     inf",
    );
    expect(validate({ type: "number", maximum: 10 }, Infinity)).toBe(
      "inf is greater than the maximum of 10  Failed validating 'maximum' in schema:     {'maximum': 10, 'type': 'number'}  On instance:     inf",
    );
    expect(validate({ type: "number", maximum: 10 }, -Infinity)).toBeUndefined();
  });
  it("nan fails integer where it sits", () => {
    expect(validate({ type: "object", properties: { a: { type: "integer" } } }, { a: NaN })).toBe(
      "nan is not of type 'integer'  Failed validating 'type' in schema['properties']['a']:     {'type': 'integer'}  On instance['a']:     nan",
    );
  });
});

describe("a real schema", () => {
  it("reports the first field in the schema's order among equally ranked ones", () => {
    const text = validate(inventory.putInventory, { total: "y", resource_provider_generation: "x" });
    expect(text).toMatch(/^'x' is not of type 'integer' {2}Failed validating 'type' in schema\['properties'\]\['resource_provider_generation'\]/);
  });
});

describe("helpers", () => {
  it("isUuidLike is oslo's is_uuid_like", () => {
    const u = "4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0f";
    for (const ok of [u, u.toUpperCase(), u.replaceAll("-", ""), `{${u}}`, `urn:uuid:${u}`, `${u.slice(0, 9)}-${u.slice(9)}`])
      expect(isUuidLike(ok), ok).toBe(true);
    for (const bad of [u.slice(1), `${u}0`, ` ${u}`, `${u}\n`, 5, null, u.replace("a", "g")]) expect(isUuidLike(bad), String(bad)).toBe(false);
  });
  it("canonicalUuid is str(uuid.UUID(s)), the form the reference stores", () => {
    const u = "4a1e8f3c-2b7d-4c9e-8f10-6d5a3b2c1e0f";
    // Braces are stripped from both ends in any order (Python's str.strip("{}")).
    for (const form of [u, u.toUpperCase(), u.replaceAll("-", ""), `{${u}}`, `}${u}{`, `urn:uuid:${u}`, `{urn:uuid:${u.toUpperCase()}}`])
      expect(canonicalUuid(form), form).toBe(u);
    for (const bad of [u.slice(1), ` ${u}`, u.replace("a", "g")]) expect(canonicalUuid(bad), bad).toBeUndefined();
  });
  it("pyRegExp gives $ its Python meaning, outside classes only", () => {
    expect(pyRegExp("^A$").test("A\n")).toBe(true);
    expect(pyRegExp("^A$").test("A\n\n")).toBe(false);
    expect(pyRegExp("^[$]$").test("$")).toBe(true);
    expect(pyRegExp("^a\\$").test("a$")).toBe(true);
  });
});
