// Bad requests for every route: a fixture that gives the routes something real to point at, a
// catalog of each route's valid request, and arbitraries that break one thing in it (the JSON, a
// field's type or size, the query, the microversion, a path parameter, the media type, the method).
// Works against any `Send`, so the same requests go to an in-process Berth or to the reference.
import fc from "fast-check";
import { at, last } from "@berth/client/common";

export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
export interface WireReply {
  status: number;
  headers: Headers;
  text: string;
}
export type Send = (r: WireRequest) => Promise<WireReply>;

/** A generated request and what it is known to be. */
export interface BadRequest extends WireRequest {
  /** What was broken, for failure messages. */
  label: string;
  /** True when the request is invalid whatever the data: the answer must be a 4xx. */
  mustFail: boolean;
  /** "METHOD /template" of the endpoint it was made from. */
  route: string;
}

/** The objects the routes point at, created through the API so the reference can hold the same. */
export interface Fixture {
  rp: string;
  rpName: string;
  consumer: string;
  trait: string;
  rc: string;
  aggregate: string;
  project: string;
  user: string;
}

const hex = () => crypto.randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase();

/** Fresh names and uuids, so a shared reference database is fine. */
export function newFixture(): Fixture {
  const tag = hex();
  return {
    rp: crypto.randomUUID(),
    rpName: `bi-${tag}`,
    consumer: crypto.randomUUID(),
    trait: `CUSTOM_BI_${tag}`,
    rc: `CUSTOM_BI_${tag}`,
    aggregate: crypto.randomUUID(),
    project: `bi-project-${tag}`,
    user: `bi-user-${tag}`,
  };
}

/** Creates the fixture's objects through `send`. */
export async function makeFixture(send: Send, fx: Fixture = newFixture()): Promise<Fixture> {
  const steps: [string, string, unknown?][] = [
    ["POST", "/resource_providers", { name: fx.rpName, uuid: fx.rp }],
    ["PUT", `/resource_classes/${fx.rc}`],
    ["PUT", `/traits/${fx.trait}`],
    ["PUT", `/resource_providers/${fx.rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 8 }, [fx.rc]: { total: 4 } } }],
    ["PUT", `/resource_providers/${fx.rp}/traits`, { resource_provider_generation: 1, traits: [fx.trait] }],
    ["PUT", `/resource_providers/${fx.rp}/aggregates`, { resource_provider_generation: 2, aggregates: [fx.aggregate] }],
    [
      "PUT",
      `/allocations/${fx.consumer}`,
      {
        allocations: { [fx.rp]: { resources: { VCPU: 1, [fx.rc]: 1 } } },
        project_id: fx.project,
        user_id: fx.user,
        consumer_generation: null,
        consumer_type: "INSTANCE",
      },
    ],
  ];
  for (const [method, path, body] of steps) {
    const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await send({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`fixture step ${method} ${path} failed: ${r.status} ${r.text}`);
  }
  return fx;
}

/** Generation of the fixture provider after makeFixture (one bump per write above). */
const GEN = 4;

/** One route and method, with a valid request to break. */
export interface Endpoint {
  method: string;
  /** Route template from src/routes.ts. */
  template: string;
  /** First minor version (1.x) at which the method exists. */
  since: number;
  /** The valid body at a version, or undefined when the method takes none. */
  body?: (fx: Fixture, minor: number) => unknown;
  /** The body is ignored at this version (so breaking it proves nothing). */
  ignoresBody?: (minor: number) => boolean;
  /** Fields that accept null. */
  nullable?: string[];
  /** Fields where a large or negative number or any string may still be valid. */
  loose?: string[];
  /** Query keys the route validates strictly (unknown keys are a 400); absent: the query is ignored. */
  query?: (minor: number) => string[];
}

const allocationsDict = (fx: Fixture) => ({ [fx.rp]: { resources: { VCPU: 1 } } });

function putAllocationBody(fx: Fixture, minor: number): unknown {
  if (minor < 12) {
    const body: Record<string, unknown> = { allocations: [{ resource_provider: { uuid: fx.rp }, resources: { VCPU: 1 } }] };
    if (minor >= 8) Object.assign(body, { project_id: fx.project, user_id: fx.user });
    return body;
  }
  const body: Record<string, unknown> = { allocations: allocationsDict(fx), project_id: fx.project, user_id: fx.user };
  if (minor >= 28) body.consumer_generation = 1;
  if (minor >= 38) body.consumer_type = "INSTANCE";
  return body;
}

function postAllocationsBody(fx: Fixture, minor: number): unknown {
  return { [fx.consumer]: putAllocationBody(fx, Math.max(minor, 12)) };
}

const inventoryFields = { total: 8, reserved: 0, min_unit: 1, max_unit: 8, step_size: 1, allocation_ratio: 1.0 };

export const ENDPOINTS: readonly Endpoint[] = [
  { method: "GET", template: "/resource_providers", since: 0, query: rpQueryKeys },
  {
    method: "POST",
    template: "/resource_providers",
    since: 0,
    body: (_fx, minor) => ({ name: `bi-new-${hex()}`, uuid: crypto.randomUUID(), ...(minor >= 14 ? { parent_provider_uuid: null } : {}) }),
    nullable: ["parent_provider_uuid"],
    loose: ["name"],
  },
  { method: "GET", template: "/resource_providers/{uuid}", since: 0 },
  {
    method: "PUT",
    template: "/resource_providers/{uuid}",
    since: 0,
    body: (fx, minor) => ({ name: fx.rpName, ...(minor >= 14 ? { parent_provider_uuid: null } : {}) }),
    nullable: ["parent_provider_uuid"],
    loose: ["name"],
  },
  { method: "DELETE", template: "/resource_providers/{uuid}", since: 0 },
  { method: "GET", template: "/resource_classes", since: 2 },
  { method: "POST", template: "/resource_classes", since: 2, body: () => ({ name: `CUSTOM_BI_NEW_${hex()}` }) },
  { method: "GET", template: "/resource_classes/{name}", since: 2 },
  {
    method: "PUT",
    template: "/resource_classes/{name}",
    since: 2,
    body: () => ({ name: `CUSTOM_BI_NEW_${hex()}` }),
    ignoresBody: (minor) => minor >= 7,
  },
  { method: "DELETE", template: "/resource_classes/{name}", since: 2 },
  { method: "GET", template: "/resource_providers/{uuid}/inventories", since: 0 },
  {
    method: "POST",
    template: "/resource_providers/{uuid}/inventories",
    since: 0,
    body: () => ({ resource_class: "DISK_GB", resource_provider_generation: GEN, ...inventoryFields }),
    // The reference checks the generation's type here but not its value.
    loose: ["allocation_ratio", "resource_provider_generation"],
  },
  {
    method: "PUT",
    template: "/resource_providers/{uuid}/inventories",
    since: 0,
    body: () => ({ resource_provider_generation: GEN, inventories: { VCPU: inventoryFields } }),
    loose: ["allocation_ratio"],
  },
  { method: "DELETE", template: "/resource_providers/{uuid}/inventories", since: 5 },
  { method: "GET", template: "/resource_providers/{uuid}/inventories/{resource_class}", since: 0 },
  {
    method: "PUT",
    template: "/resource_providers/{uuid}/inventories/{resource_class}",
    since: 0,
    body: () => ({ resource_provider_generation: GEN, ...inventoryFields }),
    loose: ["allocation_ratio"],
  },
  { method: "DELETE", template: "/resource_providers/{uuid}/inventories/{resource_class}", since: 0 },
  { method: "GET", template: "/resource_providers/{uuid}/usages", since: 0 },
  { method: "GET", template: "/usages", since: 9, query: (minor) => (minor >= 38 ? ["project_id", "user_id", "consumer_type"] : ["project_id", "user_id"]) },
  { method: "GET", template: "/resource_providers/{uuid}/aggregates", since: 1 },
  {
    method: "PUT",
    template: "/resource_providers/{uuid}/aggregates",
    since: 1,
    body: (fx, minor) => (minor >= 19 ? { aggregates: [fx.aggregate], resource_provider_generation: GEN } : [fx.aggregate]),
  },
  { method: "GET", template: "/resource_providers/{uuid}/allocations", since: 0 },
  { method: "POST", template: "/allocations", since: 13, body: postAllocationsBody, nullable: ["consumer_generation"], loose: ["project_id", "user_id"] },
  { method: "GET", template: "/allocations/{consumer_uuid}", since: 0 },
  {
    method: "PUT",
    template: "/allocations/{consumer_uuid}",
    since: 0,
    body: putAllocationBody,
    nullable: ["consumer_generation"],
    loose: ["project_id", "user_id"],
  },
  { method: "DELETE", template: "/allocations/{consumer_uuid}", since: 0 },
  { method: "GET", template: "/allocation_candidates", since: 10, query: acQueryKeys },
  { method: "GET", template: "/traits", since: 6, query: () => ["name", "associated"] },
  { method: "GET", template: "/traits/{name}", since: 6 },
  { method: "PUT", template: "/traits/{name}", since: 6, body: () => ({}), ignoresBody: () => true },
  { method: "DELETE", template: "/traits/{name}", since: 6 },
  { method: "GET", template: "/resource_providers/{uuid}/traits", since: 6 },
  {
    method: "PUT",
    template: "/resource_providers/{uuid}/traits",
    since: 6,
    body: (fx) => ({ traits: [fx.trait], resource_provider_generation: GEN }),
  },
  { method: "DELETE", template: "/resource_providers/{uuid}/traits", since: 6 },
  {
    method: "POST",
    template: "/reshaper",
    since: 30,
    body: (fx, minor) => ({
      inventories: { [fx.rp]: { resource_provider_generation: GEN, inventories: { VCPU: { total: 8 } } } },
      allocations: { [fx.consumer]: putAllocationBody(fx, minor) },
    }),
    nullable: ["consumer_generation"],
    loose: ["project_id", "user_id"],
  },
];

function rpQueryKeys(minor: number): string[] {
  const keys = ["name", "uuid"];
  if (minor >= 3) keys.push("member_of");
  if (minor >= 4) keys.push("resources");
  if (minor >= 14) keys.push("in_tree");
  if (minor >= 18) keys.push("required");
  return keys;
}

function acQueryKeys(minor: number): string[] {
  const keys = ["resources", "limit"];
  if (minor >= 17) keys.push("required");
  if (minor >= 21) keys.push("member_of");
  if (minor >= 25) keys.push("group_policy", "resources1", "required1", "member_of1");
  if (minor >= 31) keys.push("in_tree");
  if (minor >= 35) keys.push("root_required");
  if (minor >= 36) keys.push("same_subtree");
  return keys;
}

/** The path of an endpoint with the fixture's objects in it. */
export function fillPath(template: string, fx: Fixture, override?: { param: string; value: string }): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (override && override.param === name) return override.value;
    if (name === "uuid") return fx.rp;
    if (name === "consumer_uuid") return fx.consumer;
    if (name === "resource_class") return "VCPU";
    if (template.startsWith("/traits")) return fx.trait;
    return fx.rc;
  });
}

// ---------------------------------------------------------------------------------------------
// Junk values.

/** Integers no column holds, and one no double holds exactly. */
export const HUGE_INTS = [2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 31) - 1, -1, -(2 ** 53)];
/** Text that is not a number literal JSON.parse keeps exact. */
const HUGE_LITERALS = ["9223372036854775808", "18446744073709551616", "1e400", "-1e400", "123456789012345678901234567890"];

const unicode = fc.constantFrom("名前", "ñame", "🚀🚀", "\u0000", "a\u0000b", "\ud800", "\u202e", "x\ny", "'; DROP TABLE traits; --");
const longString = fc.constantFrom(256, 1000, 70_000).map((n) => "A".repeat(n));

/** A JSON value whose type differs from `original`'s (null excluded: some fields take it). */
function wrongType(original: unknown): fc.Arbitrary<unknown> {
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.constant("8"), fc.string({ maxLength: 8 })),
    integer: fc.integer({ min: -5, max: 5 }),
    float: fc.constantFrom(1.5, 0.1, -2.25),
    boolean: fc.boolean(),
    array: fc.constantFrom([], [1], ["x"], [{}]),
    object: fc.constantFrom({}, { a: 1 }),
  };
  const t =
    typeof original === "string"
      ? "string"
      : Number.isInteger(original)
        ? "integer"
        : typeof original === "number"
          ? "float"
          : typeof original === "boolean"
            ? "boolean"
            : Array.isArray(original)
              ? "array"
              : "object";
  const others = Object.entries(all).filter(([k]) => k !== t && !(t === "float" && k === "integer"));
  return fc.oneof(...others.map(([, a]) => a));
}

/** Every path (list of keys) to a leaf or container inside a JSON value, the root excluded. */
function fieldPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== "object") return [];
  const out: (string | number)[][] = [];
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    out.push(...fieldPaths(x, [...prefix, k]));
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as any;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[last(path)] = value;
  return copy;
}

function deleteAt(root: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(root) as any;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  if (Array.isArray(cur)) cur.splice(path[path.length - 1] as number, 1);
  else delete cur[last(path)];
  return copy;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let cur = root as any;
  for (const k of path) cur = cur[k];
  return cur;
}

const fieldName = (path: (string | number)[]) => String(path[path.length - 1]);

// ---------------------------------------------------------------------------------------------
// Breakages: each takes a valid request and returns arbitraries of broken ones.

interface Base {
  ep: Endpoint;
  minor: number;
  fx: Fixture;
}
type Broken = { label: string; mustFail: boolean; method?: string; path?: string; headers?: Record<string, string>; body?: string; query?: string };

const JSON_CT = { "content-type": "application/json" };

function bodyBreakages({ ep, minor, fx }: Base): fc.Arbitrary<Broken>[] {
  if (!ep.body) return [];
  const valid = ep.body(fx, minor);
  const text = JSON.stringify(valid);
  const strict = !ep.ignoresBody?.(minor);
  const out: fc.Arbitrary<Broken>[] = [];
  const raw = (label: string, body: string, mustFail = strict) => ({ label, mustFail, headers: JSON_CT, body });

  out.push(
    fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((n) => raw(`truncated JSON at ${n}`, text.slice(0, n))),
    fc
      .constantFrom("{", "[", "{]", "{'a': 1}", "nul", '{"a":}', "\u0000", '{"a": NaN}', '{"a": Infinity}', "[1,]", "\ufeff{}", "{} {}", '"unterminated')
      .map((s) => raw(`malformed JSON ${JSON.stringify(s)}`, s)),
    fc
      .constantFrom(null, 0, "x", true, [], [[]], [{}])
      .map((v) => raw(`body is ${JSON.stringify(v)}`, JSON.stringify(v), strict && !(Array.isArray(valid) && Array.isArray(v) && v.length === 0))),
    fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "text/json", "application/jsonx", "multipart/form-data").map((ct) => ({
      label: `content-type ${ct}`,
      mustFail: strict,
      headers: { "content-type": ct },
      body: text,
    })),
    fc.constant({ label: "no content-type", mustFail: true, headers: {}, body: text }),
  );
  if (Array.isArray(valid)) {
    // PUT aggregates before 1.19: the body is a list of uuids.
    out.push(
      fc
        .oneof(
          fc.constant({ aggregates: valid }),
          wrongType("x").map((x) => [x]),
          unicode.map((s) => [s]),
          longString.map((s) => [s]),
        )
        .map((b) => raw(`aggregates body ${JSON.stringify(b).slice(0, 60)}`, JSON.stringify(b))),
    );
    return out;
  }
  if (!valid || typeof valid !== "object" || !strict) return out;
  const paths = fieldPaths(valid);
  if (!paths.length) return out;
  const pathArb = fc.constantFrom(...paths);
  const nullable = (p: (string | number)[]) => ep.nullable?.includes(fieldName(p)) ?? false;
  const loose = (p: (string | number)[]) => ep.loose?.includes(fieldName(p)) ?? false;
  out.push(
    pathArb.chain((p) =>
      wrongType(getAt(valid, p)).map((x) =>
        raw(`wrong type at ${p.join(".")}: ${JSON.stringify(x)}`, JSON.stringify(setAt(valid, p, x)), !loose(p) || typeof x !== "string"),
      ),
    ),
    pathArb.map((p) => raw(`null at ${p.join(".")}`, JSON.stringify(setAt(valid, p, null)), !nullable(p))),
    pathArb.chain((p) =>
      fc.constantFrom(...HUGE_INTS).map((n) => {
        // A number where a number was may be valid only in a loose field (allocation_ratio).
        const sure = typeof getAt(valid, p) !== "number" || !loose(p);
        return raw(`number ${n} at ${p.join(".")}`, JSON.stringify(setAt(valid, p, n)), sure);
      }),
    ),
    pathArb.chain((p) =>
      fc.constantFrom(...HUGE_LITERALS).map((lit) => {
        const body = JSON.stringify(setAt(valid, p, "__LIT__")).replace('"__LIT__"', lit);
        return raw(`literal ${lit} at ${p.join(".")}`, body, typeof getAt(valid, p) !== "number" || !loose(p) || lit === "1e400");
      }),
    ),
    pathArb.chain((p) => longString.map((s) => raw(`string of ${s.length} at ${p.join(".")}`, JSON.stringify(setAt(valid, p, s))))),
    pathArb.chain((p) => unicode.map((s) => raw(`unicode ${JSON.stringify(s)} at ${p.join(".")}`, JSON.stringify(setAt(valid, p, s)), !loose(p)))),
    // Extra fields are refused at the top and inside records, except where keys are names.
    fc.constantFrom("extra", "__proto__", "constructor", "").map((k) => {
      return raw(`extra field ${JSON.stringify(k)}`, JSON.stringify({ ...(valid as object), [k]: 1 }));
    }),
    pathArb.map((p) => raw(`missing ${p.join(".")}`, JSON.stringify(deleteAt(valid, p)), false)),
  );
  return out;
}

/** Junk values per query key, and whether the reference surely refuses them. */
const QUERY_JUNK: Record<string, [string, boolean][]> = {
  uuid: [
    ["not-a-uuid", true],
    ["", true],
    ["1234", true],
  ],
  in_tree: [
    ["not-a-uuid", true],
    ["", true],
    ["%", true],
  ],
  member_of: [
    ["junk", true],
    ["in:", true],
    ["in:junk", true],
    ["!", true],
    ["a,b", true],
    ["", true],
    ["in:,", true],
  ],
  required: [
    ["", true],
    [",", true],
    ["!", true],
    ["in:", true],
    ["lowercase", true],
    ["CUSTOM_NOPE_XYZ", true],
    ["!!", true],
  ],
  root_required: [
    ["", true],
    ["!", true],
    ["CUSTOM_NOPE_XYZ", true],
  ],
  resources: [
    ["", true],
    ["VCPU", true],
    ["VCPU:", true],
    ["VCPU:-1", true],
    ["VCPU:0", true],
    ["VCPU:x", true],
    [":1", true],
    ["VCPU:1:2", true],
    ["NOPE_CLASS:1", true],
    [`VCPU:${2 ** 64}`, false],
    ["VCPU:1,,", true],
  ],
  resources1: [
    ["", true],
    ["VCPU", true],
    ["VCPU:-1", true],
  ],
  required1: [
    ["", true],
    ["!", true],
  ],
  member_of1: [["junk", true]],
  limit: [
    ["0", true],
    ["-1", true],
    ["x", true],
    ["", true],
    ["1.5", true],
    [`${2 ** 64}`, false],
  ],
  group_policy: [
    ["bogus", true],
    ["", true],
  ],
  same_subtree: [
    ["", true],
    ["_COMPUTE", true],
    [",", true],
  ],
  project_id: [
    ["", false],
    ["x".repeat(300), false],
  ],
  user_id: [["", false]],
  consumer_type: [
    ["", false],
    ["lower", false],
  ],
  name: [
    ["", false],
    ["startswith:", false],
    ["in:", false],
    ["in:a,,b", false],
    ["bogus:x", false],
    ["x".repeat(300), false],
  ],
  associated: [
    ["maybe", true],
    ["", true],
    ["1", true],
  ],
};

function queryBreakages({ ep, minor }: Base): fc.Arbitrary<Broken>[] {
  if (ep.method !== "GET") return [];
  const enc = (k: string, v: string) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
  const unknownKey = fc.constantFrom("bogus", "NAME", "resources01", "member_of_x", "limit ", "", "%ZZ");
  if (!ep.query) {
    // Routes that read no query ignore it, as the reference does.
    return [fc.tuple(unknownKey, fc.string({ maxLength: 6 })).map(([k, v]) => ({ label: `ignored query ${k}=${v}`, mustFail: false, query: enc(k, v) }))];
  }
  const keys = ep.query(minor);
  const junk = keys.flatMap((k) => (QUERY_JUNK[k] ?? []).map(([v, sure]) => [k, v, sure] as const));
  // Valid companions so that the required `resources` of allocation candidates is not the only fault.
  const base = ep.template === "/allocation_candidates" ? "resources=VCPU:1" : ep.template === "/usages" ? "project_id=p" : "";
  const join = (...parts: string[]) => parts.filter(Boolean).join("&");
  const out: fc.Arbitrary<Broken>[] = [
    fc
      .tuple(
        unknownKey.filter((k) => k !== "" && !keys.includes(k)),
        fc.string({ maxLength: 6 }),
      )
      .map(([k, v]) => ({
        label: `unknown query key ${k}`,
        mustFail: true,
        query: join(base, enc(k, v)),
      })),
    fc
      .constantFrom(...keys)
      .chain((k) => fc.string({ maxLength: 12 }).map((v) => ({ label: `random ${k}=${JSON.stringify(v)}`, mustFail: false, query: join(base, enc(k, v)) }))),
    fc.constantFrom(...keys).map((k) => ({ label: `repeated ${k}`, mustFail: false, query: join(base, `${k}=a&${k}=b`) })),
    fc.constantFrom(...keys).map((k) => ({ label: `bare ${k}`, mustFail: false, query: join(base, k) })),
  ];
  if (junk.length) {
    out.push(
      fc.constantFrom(...junk).map(([k, v, sure]) => ({
        label: `junk ${k}=${JSON.stringify(v.slice(0, 40))}`,
        mustFail: sure,
        query: k === "resources" ? enc(k, v) : join(base, enc(k, v)),
      })),
    );
  }
  return out;
}

const BAD_VERSIONS = ["1.x", "2.0", "1.40", "1.999", "0.9", "abc", "1", "1.", ".1", "1.0.1", "-1.5", "1.99999999999999999999", "latest1", "1.5 1.6", "1,5"];

function versionBreakages(): fc.Arbitrary<Broken>[] {
  return [
    fc.constantFrom(...BAD_VERSIONS).map((v) => ({ label: `version ${v}`, mustFail: true, headers: { "openstack-api-version": `placement ${v}` } })),
    fc
      .string({ maxLength: 10 })
      .map((v) => ({ label: `random version ${JSON.stringify(v)}`, mustFail: false, headers: { "openstack-api-version": `placement ${v}` } })),
  ];
}

/** Path parameters that name nothing or are not names at all. */
const PATH_JUNK = [
  "not-a-uuid",
  "%00",
  "a%00b",
  "%ff",
  "%e2%82",
  "%2F",
  "%20",
  "%25",
  "x".repeat(300),
  "%F0%9F%9A%80",
  "'",
  "%22%3B",
  "null",
  "00000000-0000-0000-0000-000000000000",
];

/**
 * "." and ".." (also percent-encoded): URL parsers remove such segments before a request is sent
 * (WHATWG URL in Node's fetch and in Request, curl), so /traits/.. arrives as /.
 */
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

function pathBreakages({ ep, fx }: Base): fc.Arbitrary<Broken>[] {
  const params = [...ep.template.matchAll(/\{(\w+)\}/g)].map((m) => at(m, 1));
  if (!params.length) return [];
  return [
    fc
      .tuple(
        fc.constantFrom(...params),
        fc.oneof(
          fc.constantFrom(...PATH_JUNK),
          fc.stringMatching(/^[A-Za-z0-9_%.~-]{1,20}$/).filter((s) => !s.startsWith("CUSTOM_") && !DOT_SEGMENT.test(s)),
        ),
      )
      .map(([param, value]) => ({
        label: `path ${param}=${value.slice(0, 40)}`,
        // GET /allocations/{x} answers an empty 200 for any consumer, and a PUT to a new consumer
        // (a well-formed uuid) may be valid.
        mustFail: !(param === "consumer_uuid" && (ep.method === "GET" || /^[0-9a-f-]{36}$/.test(value))),
        path: fillPath(ep.template, fx, { param, value }),
      })),
  ];
}

function methodBreakages(): fc.Arbitrary<Broken>[] {
  return [fc.constantFrom("PATCH", "OPTIONS").map((m) => ({ label: `method ${m}`, mustFail: m === "PATCH", method: m }))];
}

/** A DELETE or body-less method with a body but no media type: a 400 in the reference. */
function strayBodyBreakages({ ep }: Base): fc.Arbitrary<Broken>[] {
  if (ep.method !== "DELETE") return [];
  return [fc.constant({ label: "body without content-type", mustFail: true, headers: {}, body: "junk" })];
}

/** A bad request for an endpoint at a valid version. */
export function badRequestArb(fx: Fixture): fc.Arbitrary<BadRequest> {
  return fc
    .constantFrom(...ENDPOINTS)
    .chain((ep) => fc.tuple(fc.constant(ep), fc.integer({ min: 0, max: 39 })))
    .chain(([ep, minor]) => {
      const base = { ep, minor, fx };
      const all = [
        ...bodyBreakages(base),
        ...queryBreakages(base),
        ...versionBreakages(),
        ...pathBreakages(base),
        ...methodBreakages(),
        ...strayBodyBreakages(base),
      ];
      return fc.oneof(...all).map((b) => assemble(base, b));
    });
}

function assemble({ ep, minor, fx }: Base, b: Broken): BadRequest {
  const path = (b.path ?? fillPath(ep.template, fx)) + (b.query !== undefined ? `?${b.query}` : "");
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": `placement 1.${minor}`, ...b.headers };
  // Below the route's version the route is a 404 (path) or 405 (method): a refusal either way.
  const tooOld = minor < ep.since;
  return {
    method: b.method ?? ep.method,
    path,
    headers,
    body: b.body,
    route: `${ep.method} ${ep.template}`,
    label: `${b.label} @1.${minor}`,
    mustFail: b.mustFail || tooOld,
  };
}
