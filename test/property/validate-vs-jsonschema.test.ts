// Property: for every request schema Berth has, validate() says exactly what the reference's
// jsonschema says (the message in the 400 detail, or nothing when valid). Instances are built from
// each schema (mostly valid, then broken: wrong types, missing or extra keys, out-of-range numbers,
// long strings, bad uuids and patterns); one run of scripts/jsonschema-oracle.py answers them all.
// The same for malformed bodies: parseBody() against the reference's parser (strict UTF-8, then
// json.loads), on JSON texts and bytes with a few characters broken.
// Bodies breaking several rules at once check which error is reported (jsonschema's best_match: the
// shallowest, anyOf/oneOf last, then the first found in the schema's key order), and the schemas
// are checked to have the reference's key order, which decides that pick.
// Skips, saying so, where /usr/bin/python3 cannot import jsonschema.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadsExact, parseBody } from "../../src/python/json.js";
import { validate } from "../../src/http/validate.js";
import { iterErrors } from "../../src/python/jsonschema-errors.js";
import * as aggregate from "../../src/schemas/aggregate.js";
import * as allocationCandidate from "../../src/schemas/allocation-candidate.js";
import * as allocation from "../../src/schemas/allocation.js";
import * as inventory from "../../src/schemas/inventory.js";
import * as reshaper from "../../src/schemas/reshaper.js";
import * as resourceClass from "../../src/schemas/resource-class.js";
import * as resourceProvider from "../../src/schemas/resource-provider.js";
import * as trait from "../../src/schemas/trait.js";
import * as usage from "../../src/schemas/usage.js";
import { at } from "@berth/client/common";

const ORACLE = fileURLToPath(new URL("../../scripts/jsonschema-oracle.py", import.meta.url));
const PYTHON = "/usr/bin/python3";
const RUNS = Number(process.env.VALIDATE_RUNS ?? 150);
const SEED = Number(process.env.VALIDATE_SEED ?? Date.now() % 2 ** 31);

const MODULES = { aggregate, allocationCandidate, allocation, inventory, reshaper, resourceClass, resourceProvider, trait, usage };

type Schema = Record<string, any>;

/** Every exported schema constant ("module.name"); functions, patterns and numbers are not schemas. */
function schemas(): [string, Schema][] {
  const out: [string, Schema][] = [];
  for (const [mod, exports] of Object.entries(MODULES))
    for (const [name, value] of Object.entries(exports as Record<string, unknown>))
      if (value && typeof value === "object" && !Array.isArray(value) && !(value instanceof RegExp) && ("type" in value || "anyOf" in value))
        out.push([`${mod}.${name}`, value as Schema]);
  return out;
}

function oracleAvailable(): boolean {
  return spawnSync(PYTHON, [ORACLE, "--probe"], { encoding: "utf8" }).status === 0;
}

/** Asks the oracle once for all cases (or JSON lines as they are); one answer per case. */
function askOracle(mode: string[], cases: (object | string)[]): (string | null)[] {
  const input = cases.map((c) => (typeof c === "string" ? c : JSON.stringify(c))).join("\n") + "\n";
  const run = spawnSync(PYTHON, [ORACLE, ...mode], { input, encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`oracle failed: ${run.stderr}`);
  const answers = run.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as string | null);
  // One answer per case: a missing one would compare as "valid" below.
  if (answers.length !== cases.length) throw new Error(`oracle answered ${answers.length} of ${cases.length} cases: ${run.stderr}`);
  return answers;
}

// ---- instances built from a schema --------------------------------------------------------------

const CHARS = [..."abcXYZ019_-. '\"\\/é☃😀", "\n", "\t", "\r", "\x00", "\x7f", "\u2028", "\xa0", "\u200b", "\udc00"];
const text = (min = 0, max = 12) => fc.array(fc.constantFrom(...CHARS), { minLength: min, maxLength: max }).map((a) => a.join(""));

/** Anything JSON can say, small. */
const junk: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, 1, -1, 1.5, 2147483648, "", "x", "VCPU"),
    fc.integer({ min: -5, max: 5 }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    text(),
    fc.array(tie("any"), { maxLength: 3 }),
    fc.dictionary(text(1, 4), tie("any"), { maxKeys: 3 }),
  ),
})).any;

const uuidish = fc.oneof(
  { arbitrary: fc.uuid(), weight: 6 },
  fc.uuid().map((u) => u.replaceAll("-", "")),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => `urn:uuid:${u}`),
  fc.uuid().map((u) => u.slice(0, 35)),
  fc.uuid().map((u) => u.replace("-", "") + "-"),
  fc.uuid().map((u) => u + "\n"),
  text(0, 40),
);

/** Strings a pattern is about: mostly matching, sometimes nearly. */
function patterned(pattern: string): fc.Arbitrary<string> {
  const match = fc.stringMatching(new RegExp(pattern), { size: "xsmall" });
  return fc.oneof(
    { arbitrary: match, weight: 6 },
    match.map((s) => s + "\n"),
    match.map((s) => s.toLowerCase()),
    match.map((s) => s + "!"),
    fc.constantFrom("VCPU", "CUSTOM_FOO", "resources", "resources1", "required_x", "member_of", "in_tree2", "all", "unknown", "DISK_GB"),
  );
}

function stringFor(s: Schema): fc.Arbitrary<unknown> {
  if (s.enum) return fc.oneof(fc.constantFrom(...(s.enum as unknown[])), text(0, 8));
  if (s.format === "uuid") return uuidish;
  if (s.pattern) return patterned(s.pattern);
  const max: number | undefined = s.maxLength;
  if (max !== undefined) return fc.oneof({ arbitrary: text(0, 12), weight: 4 }, text(max - 1, max + 2), fc.constant(""));
  return text();
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<unknown> {
  const lo: number = s.minimum ?? -10;
  const hi: number = s.maximum ?? 2 ** 31;
  const edges = fc.constantFrom(lo, lo - 1, hi, hi + 1, 0, -1);
  const any = integer ? fc.integer({ min: Math.max(lo - 3, -(2 ** 40)), max: Math.min(lo + 100, 2 ** 40) }) : fc.double({ min: -10, max: 1e6, noNaN: true });
  return fc.oneof({ arbitrary: any, weight: 3 }, edges, integer ? fc.constant(1.5) : fc.constant(hi * 2));
}

function objectFor(s: Schema, depth: number): fc.Arbitrary<unknown> {
  const props: Record<string, Schema> = s.properties ?? {};
  const required: string[] = s.required ?? [];
  const patterns: Record<string, Schema> = s.patternProperties ?? {};
  const fixed = fc.record(Object.fromEntries(Object.entries(props).map(([k, sub]) => [k, instanceFor(sub, depth + 1)])), {
    requiredKeys: Object.keys(props).filter((k) => required.includes(k)),
  });
  const patternKeyed = Object.entries(patterns).map(([p, sub]) =>
    fc.array(fc.tuple(patterned(p), instanceFor(sub, depth + 1)), { maxLength: depth > 2 ? 1 : 2 }),
  );
  const extras = fc.oneof({ arbitrary: fc.constant([] as [string, unknown][]), weight: 6 }, fc.array(fc.tuple(text(1, 6), junk), { maxLength: 2 }));
  const drop = fc.oneof({ arbitrary: fc.constant([] as string[]), weight: 5 }, fc.subarray(required, { maxLength: Math.min(2, required.length) }));
  return fc.tuple(fixed, fc.tuple(...patternKeyed), extras, drop).map(([base, keyed, more, dropped]) => {
    const o: Record<string, unknown> = { ...base };
    for (const [k, v] of [...keyed.flat(), ...more]) o[k] = v;
    for (const k of dropped) delete o[k];
    return o;
  });
}

function validFor(s: Schema, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map((b: Schema) => validFor(b, depth)));
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type ?? "object"];
  return fc.oneof(
    ...types.map((t) => {
      switch (t) {
        case "object":
          return objectFor(s, depth);
        case "array":
          return fc
            .array(instanceFor(s.items ?? {}, depth + 1), { minLength: 0, maxLength: 3 })
            .chain((a) => (s.uniqueItems && a.length ? fc.constantFrom(a, [...a, a[0]]) : fc.constant(a)));
        case "string":
          return stringFor(s);
        case "integer":
          return numberFor(s, true);
        case "number":
          return numberFor(s, false);
        case "null":
          return fc.constant(null);
        default:
          return fc.constant(true);
      }
    }),
  );
}

/** Mostly what the schema asks for; sometimes anything at all. */
function instanceFor(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: validFor(s, depth), weight: depth === 0 ? 12 : 6 }, junk);
}

/** Wrong values for any place: each breaks one rule or another (type, length, pattern, range). */
const WRONG: unknown[] = ["", "x!", "lower", -1, 0, 2147483648, 1.5, null, true, [], {}, "not-a-uuid"];

/** A valid-looking instance with 2 to 4 places broken at once (replaced, dropped, or a key added). */
function brokenFor(s: Schema): fc.Arbitrary<unknown> {
  const edit = fc.tuple(fc.nat(), fc.constantFrom("replace", "drop", "add"), fc.constantFrom(...WRONG));
  return fc.tuple(validFor(s, 0), fc.array(edit, { minLength: 2, maxLength: 4 })).map(([valid, edits]) => {
    const root = { v: structuredClone(valid) as unknown };
    for (const [where, how, wrong] of edits) {
      // Every (container, key) pair in the instance, the root included, in document order.
      const places: [Record<string | number, unknown>, string | number][] = [[root as any, "v"]];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach((x, i) => (places.push([v as any, i]), walk(x)));
        else if (v && typeof v === "object") for (const k of Object.keys(v)) places.push([v as any, k]), walk((v as any)[k]);
      };
      walk(root.v);
      const [holder, key] = at(places, where % places.length);
      const target = holder[key];
      if (how === "drop" && !Array.isArray(holder) && holder !== (root as any)) delete holder[key];
      else if (how === "add" && target && typeof target === "object" && !Array.isArray(target)) (target as any)[`extra${where % 3}`] = structuredClone(wrong);
      else holder[key] = structuredClone(wrong);
    }
    return root.v;
  });
}

// -------------------------------------------------------------------------------------------------

/** Where two messages part, with some text around it (whole messages can be kilobytes). */
function difference(ours: string | null, theirs: string | null): { ours: string | null; theirs: string | null } {
  if (ours === null || theirs === null) return { ours: ours?.slice(0, 300) ?? null, theirs: theirs?.slice(0, 300) ?? null };
  let i = 0;
  while (ours[i] === theirs[i]) i++;
  const around = (s: string) => `@${i}: …${s.slice(Math.max(0, i - 120), i + 120)}…`;
  return { ours: around(ours), theirs: around(theirs) };
}

const available = oracleAvailable();
if (!available) console.warn("validate-vs-jsonschema: SKIPPED, /usr/bin/python3 cannot import jsonschema (and placement or oslo.utils)");

describe.skipIf(!available)("validate() against the reference's jsonschema", () => {
  it(`reports the error best_match picks when several rules are broken at once (seed ${SEED})`, () => {
    const cases: { name: string; schema: Schema; instance: unknown }[] = [];
    for (const [i, [name, schema]] of schemas().entries())
      for (const instance of fc.sample(brokenFor(schema), { numRuns: RUNS, seed: SEED + 7919 + i })) cases.push({ name, schema, instance });
    const expected = askOracle(
      [],
      cases.map(({ schema, instance }) => ({ schema, instance })),
    );
    expect(expected).toHaveLength(cases.length);
    const several = cases.filter((c) => iterErrors(c.schema, c.instance).length >= 2).length;
    const wrong = cases.map((c, i) => ({ ...c, ours: validate(c.schema, c.instance) ?? null, theirs: at(expected, i) })).filter((c) => c.ours !== c.theirs);
    console.info(`validate-vs-jsonschema (several errors): ${cases.length} cases, ${several} with 2 or more errors, ${wrong.length} different (seed ${SEED})`);
    // The generator is for several errors at once (about half the cases have them; a broken root has
    // one): far fewer would mean this checks little.
    expect(several).toBeGreaterThan(cases.length / 4);
    expect(wrong.slice(0, 5).map(({ name, instance, ours, theirs }) => ({ name, instance: JSON.stringify(instance), ...difference(ours, theirs) }))).toEqual(
      [],
    );
  });

  it(`echoes numbers as Python has them: 2^63, hundreds of digits, 1.0, 1e2, -0.0 (seed ${SEED})`, () => {
    const digits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 400 }).map((d) => String(BigInt(d.join(""))));
    const numberText = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.constantFrom(
        "9223372036854775808",
        "-9223372036854775809",
        "2147483648",
        "1e400",
        "-1e400",
        "-0.0",
        "0.0",
        "1.0",
        "1E2",
        "2147483647.0",
        "9007199254740993",
      ),
      fc.tuple(fc.boolean(), digits).map(([neg, d]) => (neg ? "-" : "") + d),
      fc.tuple(digits, fc.constantFrom(".0", ".5", "e0", "e5", "e-1", "E+20", ".000")).map(([d, tail]) => d.slice(0, 30) + tail),
    );
    const bodies = fc
      .tuple(
        fc.constantFrom("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio", "resource_provider_generation"),
        numberText,
        numberText,
      )
      .map(([field, n, m]) => `{"resource_provider_generation": ${m}, "inventories": {"VCPU": {"total": 8, "${field}": ${n}}}}`);
    const texts = fc.sample(bodies, { numRuns: RUNS * 4, seed: SEED + 31 });
    const schema = inventory.putInventories;
    const expected = askOracle(
      [],
      texts.map((t) => `{"schema": ${JSON.stringify(schema)}, "instance": ${t}}`),
    );
    // Only an error message echoes a number, and valid bodies say nothing: many must be refused
    // (about 55% are).
    console.info(`validate-vs-jsonschema (numbers): ${texts.length} bodies, ${expected.filter((e) => e !== null).length} refused`);
    expect(expected.filter((e) => e !== null).length).toBeGreaterThan(texts.length / 4);
    const wrong = texts
      .map((text, i) => {
        const parsed = parseBody(new TextEncoder().encode(text));
        if (!parsed.ok) throw new Error(`not JSON: ${text}`);
        return { text, ours: validate(schema, parsed.value, () => loadsExact(text)) ?? null, theirs: expected[i] ?? null };
      })
      .filter((c) => c.ours !== c.theirs);
    expect(wrong.slice(0, 5).map(({ text, ours, theirs }) => ({ text: text.slice(0, 200), ...difference(ours, theirs) }))).toEqual([]);
  });

  it("has every schema's keywords and properties in the reference's order (which decides that pick)", () => {
    const run = spawnSync(PYTHON, [ORACLE, "--schemas"], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`oracle --schemas failed: ${run.stderr}`);
    const reference = Object.entries(JSON.parse(run.stdout) as Record<string, Schema>);
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as any)[k])]),
            )
          : v;
    const same = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
    const orderOf = (v: unknown, at = "", out: string[] = []): string[] => {
      if (Array.isArray(v)) v.forEach((x, i) => orderOf(x, `${at}[${i}]`, out));
      else if (v && typeof v === "object") {
        out.push(`${at || "(root)"}: ${Object.keys(v).join(",")}`);
        for (const [k, x] of Object.entries(v)) orderOf(x, `${at}.${k}`, out);
      }
      return out;
    };
    const unmatched: string[] = [];
    // Every module's request schemas are found (none would make the loop below check nothing).
    expect(new Set(schemas().map(([name]) => name.split(".")[0]))).toEqual(new Set(Object.keys(MODULES)));
    for (const [name, schema] of schemas()) {
      const match = reference.find(([, r]) => same(r, schema));
      if (!match) {
        unmatched.push(name);
        continue;
      }
      expect(orderOf(schema), `${name} (the reference's ${match[0]})`).toEqual(orderOf(match[1]));
    }
    // Every request schema Berth has is one of the reference's, keyword for keyword.
    expect(unmatched).toEqual([]);
  });

  it(`says what jsonschema says for every schema (seed ${SEED}, ${RUNS} per schema)`, () => {
    const cases: { name: string; schema: Schema; instance: unknown }[] = [];
    for (const [i, [name, schema]] of schemas().entries())
      for (const instance of fc.sample(instanceFor(schema), { numRuns: RUNS, seed: SEED + i })) cases.push({ name, schema, instance });
    const expected = askOracle(
      [],
      cases.map(({ schema, instance }) => ({ schema, instance })),
    );
    expect(expected).toHaveLength(cases.length);
    const wrong = cases.map((c, i) => ({ ...c, ours: validate(c.schema, c.instance) ?? null, theirs: at(expected, i) })).filter((c) => c.ours !== c.theirs);
    const byKeyword: Record<string, number> = {};
    for (const e of expected) {
      const k = e === null ? "(valid)" : (/Failed validating '(\w+)'/.exec(e)?.[1] ?? "?");
      byKeyword[k] = (byKeyword[k] ?? 0) + 1;
    }
    console.info(`validate-vs-jsonschema: ${cases.length} cases, ${wrong.length} different (seed ${SEED}); reported: ${JSON.stringify(byKeyword)}`);
    // Both sides of validation are exercised: valid instances, and errors of many keywords.
    expect(byKeyword["(valid)"] ?? 0).toBeGreaterThan(cases.length / 10);
    expect(cases.length - (byKeyword["(valid)"] ?? 0)).toBeGreaterThan(cases.length / 10);
    expect(Object.keys(byKeyword).filter((k) => k !== "(valid)").length).toBeGreaterThanOrEqual(8);
    expect(wrong.slice(0, 5).map(({ name, instance, ours, theirs }) => ({ name, instance: JSON.stringify(instance), ...difference(ours, theirs) }))).toEqual(
      [],
    );
  });
});

// ---- bodies: texts and bytes near JSON -----------------------------------------------------------

const SIGNIFICANT = [...'{}[],:"\\unNI-1.eE+0 \n\ttf', "\x01", "\ufeff", "😀", "\udc00", "NaN", "Infinity", "-Infinity", "\\u12", "\\ud800"];

/** A JSON text with a few edits: a character dropped, one put in, the end cut off. */
const nearJson = fc
  .tuple(
    junk.map((v) => JSON.stringify(v, null, Math.random() < 0.3 ? 1 : undefined)),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom("drop", "insert", "cut"), fc.constantFrom(...SIGNIFICANT)), { minLength: 0, maxLength: 3 }),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [at, how, what] of edits) {
      const i = t.length ? at % (t.length + 1) : 0;
      t = how === "drop" ? t.slice(0, i) + t.slice(i + 1) : how === "insert" ? t.slice(0, i) + what + t.slice(i) : t.slice(0, i);
    }
    return t;
  });

/** UTF-8 of a JSON text with a stray or cut byte sequence somewhere. */
const nearUtf8 = fc
  .tuple(nearJson, fc.nat(), fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([text, at, junkBytes, cut]) => {
    const b = [...new TextEncoder().encode(text)];
    const i = b.length ? at % (b.length + 1) : 0;
    return cut ? [...b.slice(0, i), ...junkBytes] : [...b.slice(0, i), ...junkBytes, ...b.slice(i)];
  });

describe.skipIf(!available)("parseBody() against the reference's body parser", () => {
  it(`accepts and refuses what json.loads does, with its message (seed ${SEED})`, () => {
    const texts = fc.sample(nearJson, { numRuns: RUNS * 20, seed: SEED });
    const bytes = fc.sample(nearUtf8, { numRuns: RUNS * 5, seed: SEED + 1 });
    const cases = [...texts.map((text) => ({ text })), ...bytes.map((b) => ({ bytes: b }))];
    const expected = askOracle(["--json"], cases);
    const wrong = cases
      .map((c, i) => {
        const raw = "text" in c ? new TextEncoder().encode(c.text) : Uint8Array.from(c.bytes);
        const r = parseBody(raw);
        return { input: JSON.stringify(c), ours: r.ok ? null : r.message, theirs: at(expected, i) };
      })
      .filter((c) => c.ours !== c.theirs);
    const parsed = expected.filter((e) => e === null).length;
    console.info(`python-json: ${cases.length} bodies, ${parsed} parsed, ${wrong.length} different`);
    // Both accepted and refused bodies are compared.
    expect(parsed).toBeGreaterThan(cases.length / 20);
    expect(cases.length - parsed).toBeGreaterThan(cases.length / 4);
    expect(wrong.slice(0, 8)).toEqual([]);
  });
});
