// What microversion a recorded request needs, and which versions could change its answer, both
// read from the capability catalog (http/capabilities.ts): the operation's `since`, the query
// parameters and their value forms (QUERY), the request-body fields (FIELDS) and the few named
// FEATURES whose mark is the shape of a body rather than a field name.
import { FEATURES, FIELDS, OPERATIONS, QUERY, type OperationInfo } from "../http/capabilities.js";
import { at } from "@berth/client/common";

/** One thing a request uses (or an answer shows) and the microversion that brought it. */
export interface Use {
  readonly what: string;
  readonly since: string;
}

export interface RequestShape {
  readonly method: string;
  /** The route template (e.g. /resource_providers/{uuid}/inventories), when the path has one. */
  readonly route: string | undefined;
  readonly query: readonly (readonly [string, string])[];
  /** The parsed JSON body (undefined: none, or not JSON). */
  readonly body: unknown;
}

const minor = (v: string) => Number(v.split(".")[1] ?? 0);
export const compare = (a: string, b: string): number => minor(a) - minor(b);
const feature = (name: string): Use => {
  const f = FEATURES.find((x) => x.name === name);
  if (!f) throw new Error(`no feature ${name} in the capability catalog`);
  return { what: `feature ${name} (${f.summary})`, since: f.since };
};

export function operationOf(method: string, route: string | undefined): OperationInfo | undefined {
  return route === undefined ? undefined : OPERATIONS.find((o) => o.method === method && o.path === route);
}

/** The highest `since` of the uses ("1.0" for none). */
export function floorOf(uses: readonly Use[]): string {
  return uses.reduce((v, u) => (compare(u.since, v) > 0 ? u.since : v), "1.0");
}

// NOTE: granular request groups: a number suffix from 1.25, any other suffix (`_NET1`) from 1.33.
const GRANULAR = /^(resources|required|member_of|in_tree)(\d+|_[A-Za-z0-9_-]+)$/;

/** Every feature the request uses, each with its microversion. */
export function usesOf(r: RequestShape): Use[] {
  const op = operationOf(r.method, r.route);
  if (!op) return [];
  const key = `${op.method} ${op.path}`;
  const uses: Use[] = [{ what: `operation ${key}`, since: op.since }];
  const params = Object.values(QUERY)
    .flatMap((ps) => ps ?? [])
    .filter((p) => p.operation === key);
  const seen = new Map<string, number>();
  for (const [name, value] of r.query) {
    seen.set(name, (seen.get(name) ?? 0) + 1);
    const g = GRANULAR.exec(name);
    const base = g ? `${g[1]}1` : name;
    const p = params.find((x) => x.name === base);
    if (!p) continue; // an unknown parameter is the server's to refuse (400), not a version matter
    uses.push({ what: `query ${name}`, since: p.since });
    if (g && !/^\d+$/.test(at(g, 2))) {
      const named = p.forms?.find((f) => f.form.startsWith("resources_NAME")) ?? params.find((x) => x.name === "resources1")?.forms?.[0];
      if (named) uses.push({ what: `query ${name} (a named suffix)`, since: named.since });
    }
    for (const form of p.forms ?? []) {
      if (usesForm(form.form, value)) uses.push({ what: `query ${name}=${value} (form ${form.form})`, since: form.since });
    }
  }
  if ((seen.get("member_of") ?? 0) > 1) uses.push({ ...feature("multiple_member_of"), what: "query member_of given more than once" });
  if ((seen.get("required") ?? 0) > 1) uses.push({ ...feature("any_of_traits"), what: "query required given more than once" });
  uses.push(...bodyUses(op, r.body));
  return uses;
}

function usesForm(form: string, value: string): boolean {
  if (form === "!TRAIT" || form === "!AGG") return value.startsWith("!") || /(^|,)!/.test(value) || value.startsWith("in:!");
  if (form.startsWith("in:")) return value.startsWith("in:");
  if (form.startsWith("startswith:")) return value.startsWith("startswith:");
  return false;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Request-body fields from FIELDS (`(request body)` entries), and the shapes the catalog names as features. */
function bodyUses(op: OperationInfo, body: unknown): Use[] {
  const key = `${op.method} ${op.path}`;
  const uses: Use[] = [];
  const fields = Object.values(FIELDS)
    .flat()
    .filter((f) => f.in === `${key} (request body)`);
  const objects: Record<string, unknown>[] = [];
  if (isObject(body)) {
    // NOTE: POST /allocations is keyed by consumer; each value has the fields of PUT /allocations/{consumer_uuid}.
    if (key === "POST /allocations") objects.push(...Object.values(body).filter(isObject));
    else objects.push(body);
  }
  const putFields =
    key === "POST /allocations"
      ? Object.values(FIELDS)
          .flat()
          .filter((f) => f.in === "PUT /allocations/{consumer_uuid} (request body)")
      : fields;
  for (const o of objects) for (const f of putFields) if (f.name in o) uses.push({ what: `body field ${f.name}`, since: f.since });
  if (key === "PUT /allocations/{consumer_uuid}" && isObject(body) && isObject(body.allocations))
    uses.push({ ...feature("allocations_dict_form"), what: "body allocations as a dict keyed by provider" });
  if ((key === "POST /resource_providers" || key === "PUT /resource_providers/{uuid}") && isObject(body) && "parent_provider_uuid" in body)
    uses.push({ ...feature("provider_tree"), what: "body field parent_provider_uuid" });
  if (key === "PUT /resource_providers/{uuid}/aggregates" && isObject(body))
    uses.push({ ...feature("aggregate_generations"), what: "body aggregates with resource_provider_generation" });
  if (key === "PUT /resource_classes/{name}" && body === undefined)
    uses.push({ ...feature("ensure_resource_class"), what: "a bodiless PUT /resource_classes/{name}" });
  for (const inv of inventoriesOf(key, body)) {
    if (typeof inv.total === "number" && typeof inv.reserved === "number" && inv.total > 0 && inv.reserved >= inv.total)
      uses.push({ ...feature("reserved_equals_total"), what: "an inventory whose reserved equals its total" });
  }
  return uses;
}

function inventoriesOf(key: string, body: unknown): Record<string, unknown>[] {
  if (!isObject(body)) return [];
  if (key === "PUT /resource_providers/{uuid}/inventories" && isObject(body.inventories)) return Object.values(body.inventories).filter(isObject);
  if (key === "POST /resource_providers/{uuid}/inventories" || key === "PUT /resource_providers/{uuid}/inventories/{resource_class}") return [body];
  return [];
}

// Answers that change for every operation: error bodies gain a code, GETs gain last-modified.
const EVERY_ANSWER = ["error_codes"];
const EVERY_GET = ["last_modified"];
/** Answers whose shape a named feature changes (the catalog's FEATURES, by name: the versions are its). */
const ANSWER_FEATURES: Readonly<Record<string, readonly string[]>> = {
  "GET /allocation_candidates": ["allocations_dict_form", "candidates_required", "summaries_all_resources", "nested_candidates", "allocation_mappings"],
  // NOTE: Berth's explanation explains the list's answer at the same version (the SDK sends both alike).
  "GET /allocation_candidates/explain": ["allocations_dict_form", "candidates_required", "summaries_all_resources", "nested_candidates", "allocation_mappings"],
  "POST /resource_providers": ["create_returns_provider"],
  "PUT /resource_providers/{uuid}/aggregates": ["aggregate_generations"],
  "GET /resource_providers/{uuid}/aggregates": ["aggregate_generations"],
};

/** Operations that answer with the body another one's FIELDS describe (a provider, a provider's traits...). */
const SAME_ANSWER: Readonly<Record<string, string>> = {
  "GET /resource_providers": "GET /resource_providers/{uuid}",
  "POST /resource_providers": "GET /resource_providers/{uuid}",
  "PUT /resource_providers/{uuid}": "GET /resource_providers/{uuid}",
  "PUT /resource_providers/{uuid}/inventories": "GET /resource_providers/{uuid}/inventories",
  "PUT /resource_providers/{uuid}/traits": "GET /resource_providers/{uuid}/traits",
  "PUT /resource_providers/{uuid}/aggregates": "GET /resource_providers/{uuid}/aggregates",
};

/**
 * The versions at which the answer to this operation changes (response fields in FIELDS, and the
 * named features above), with what changes: a request sent above its floor is justified up to the
 * highest of these at or below the version it was sent at.
 */
export function answerChanges(method: string, route: string | undefined): Use[] {
  const op = operationOf(method, route);
  if (!op) return [];
  const key = `${op.method} ${op.path}`;
  const out: Use[] = [];
  const same = SAME_ANSWER[key] ?? key;
  for (const f of Object.values(FIELDS).flat()) {
    if (f.in.includes("(request body)")) continue;
    const where = f.in.replace(/ \(answer body\)$/, "");
    if (where === key || where === same) out.push({ what: `answer field ${f.name}`, since: f.since });
  }
  for (const name of [...EVERY_ANSWER, ...(op.method === "GET" ? EVERY_GET : []), ...(ANSWER_FEATURES[key] ?? [])]) out.push(feature(name));
  return out;
}

/** The highest version at or below `sent` that the request needs or that changes its answer. */
export function justifiedVersion(r: RequestShape, sent: string): { version: string; by: Use[] } {
  const uses = usesOf(r);
  const floor = floorOf(uses);
  const changes = answerChanges(r.method, r.route).filter((u) => compare(u.since, floor) > 0 && compare(u.since, sent) <= 0);
  const version = floorOf([{ what: "floor", since: floor }, ...changes]);
  return { version, by: changes.filter((u) => u.since === version) };
}
