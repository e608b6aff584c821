// What the API offers, as data for the capabilities documents (docs/capabilities.md): each
// operation's type and microversion, the named features, and per type the query parameters and
// fields with the microversion that brought (or retired) each. Policy decides who may do what
// (src/policies); these say what exists. test/api/capabilities.test.ts keeps the operations in step
// with the route table and the query parameters in step with what the API accepts.
import { ALL_DEFAULTS } from "../policies/index.js";

/** Version of the capabilities documents themselves (not a Placement microversion). */
export const CAPABILITIES_VERSION = "1.0";

export const TYPES = [
  "resource_providers",
  "inventories",
  "usages",
  "aggregates",
  "traits",
  "resource_classes",
  "allocations",
  "allocation_candidates",
  "reshaper",
] as const;
export type CapabilityType = (typeof TYPES)[number];

export interface OperationInfo {
  /** Stable name: the policy rule's without "placement:" (e.g. "resource_providers:list"). */
  readonly id: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route template, as in the API reference. */
  readonly path: string;
  readonly type: CapabilityType;
  /** The microversion the operation appeared in. */
  readonly since: string;
  /** The policy rule that guards it. */
  readonly rule: string;
}

/** Operations that appeared after 1.0 (method and path); every other one exists from 1.0. */
const SINCE: Readonly<Record<string, string>> = {
  "GET /resource_providers/{uuid}/aggregates": "1.1",
  "PUT /resource_providers/{uuid}/aggregates": "1.1",
  "GET /resource_classes": "1.2",
  "POST /resource_classes": "1.2",
  "GET /resource_classes/{name}": "1.2",
  "PUT /resource_classes/{name}": "1.2",
  "DELETE /resource_classes/{name}": "1.2",
  "DELETE /resource_providers/{uuid}/inventories": "1.5",
  "GET /traits": "1.6",
  "GET /traits/{name}": "1.6",
  "PUT /traits/{name}": "1.6",
  "DELETE /traits/{name}": "1.6",
  "GET /resource_providers/{uuid}/traits": "1.6",
  "PUT /resource_providers/{uuid}/traits": "1.6",
  "DELETE /resource_providers/{uuid}/traits": "1.6",
  "GET /usages": "1.9",
  "GET /allocation_candidates": "1.10",
  "GET /allocation_candidates/explain": "1.10",
  "POST /allocations": "1.13",
  "POST /reshaper": "1.30",
};

function typeOf(path: string): CapabilityType {
  if (path.startsWith("/resource_providers/{uuid}/inventories")) return "inventories";
  if (path.endsWith("/usages") || path === "/usages") return "usages";
  if (path.endsWith("/aggregates")) return "aggregates";
  if (path.startsWith("/traits") || path.endsWith("/traits")) return "traits";
  if (path.startsWith("/resource_classes")) return "resource_classes";
  if (path.startsWith("/allocations") || path.endsWith("/allocations")) return "allocations";
  if (path.startsWith("/allocation_candidates")) return "allocation_candidates";
  if (path === "/reshaper") return "reshaper";
  return "resource_providers";
}

/** Every operation a policy rule guards, in the rules' order. */
export const OPERATIONS: readonly OperationInfo[] = Object.freeze(
  ALL_DEFAULTS.flatMap((rule) =>
    rule.operations.map((o) =>
      Object.freeze({
        id: `${rule.name.replace(/^placement:/, "")}${rule.operations.length > 1 ? (o.path.includes("{resource_class}") ? ":one" : ":all") : ""}`,
        method: o.method,
        path: o.path,
        type: typeOf(o.path),
        since: SINCE[`${o.method} ${o.path}`] ?? "1.0",
        rule: rule.name,
      }),
    ),
  ),
);

/** Named features and the microversion that brings each (the SDK's FEATURES, in snake_case, and Berth's own additions). */
export const FEATURES: readonly { name: string; since: string; summary: string }[] = Object.freeze([
  { name: "provider_aggregates", since: "1.1", summary: "GET/PUT /resource_providers/{uuid}/aggregates" },
  { name: "resource_classes", since: "1.2", summary: "custom resource classes under /resource_classes" },
  { name: "providers_member_of", since: "1.3", summary: "member_of on GET /resource_providers" },
  { name: "providers_resources", since: "1.4", summary: "resources on GET /resource_providers" },
  { name: "delete_all_inventories", since: "1.5", summary: "DELETE /resource_providers/{uuid}/inventories" },
  { name: "traits", since: "1.6", summary: "/traits and /resource_providers/{uuid}/traits" },
  { name: "ensure_resource_class", since: "1.7", summary: "a bodiless PUT /resource_classes/{name} creates or confirms" },
  { name: "usages_by_project", since: "1.9", summary: "GET /usages" },
  { name: "allocation_candidates", since: "1.10", summary: "GET /allocation_candidates" },
  { name: "allocations_dict_form", since: "1.12", summary: "allocations as a dict keyed by provider" },
  { name: "post_allocations", since: "1.13", summary: "POST /allocations for several consumers at once" },
  { name: "provider_tree", since: "1.14", summary: "nested providers: parent_provider_uuid, root_provider_uuid, in_tree" },
  { name: "last_modified", since: "1.15", summary: "last-modified and cache-control headers" },
  { name: "candidates_limit", since: "1.16", summary: "limit on GET /allocation_candidates" },
  { name: "candidates_required", since: "1.17", summary: "required traits on candidates; traits in provider summaries" },
  { name: "providers_required", since: "1.18", summary: "required traits on GET /resource_providers" },
  { name: "aggregate_generations", since: "1.19", summary: "the provider generation guards aggregate changes" },
  { name: "create_returns_provider", since: "1.20", summary: "POST /resource_providers answers 200 with the provider" },
  { name: "candidates_member_of", since: "1.21", summary: "member_of on GET /allocation_candidates" },
  { name: "forbidden_traits", since: "1.22", summary: "required=!TRAIT" },
  { name: "error_codes", since: "1.23", summary: "a code in every error" },
  { name: "multiple_member_of", since: "1.24", summary: "member_of given more than once" },
  { name: "granular_groups", since: "1.25", summary: "resourcesN, requiredN, member_ofN, group_policy" },
  { name: "reserved_equals_total", since: "1.26", summary: "an inventory may reserve all of its total" },
  { name: "summaries_all_resources", since: "1.27", summary: "provider summaries list every class of a provider" },
  { name: "consumer_generations", since: "1.28", summary: "consumer_generation guards allocation changes" },
  { name: "nested_candidates", since: "1.29", summary: "candidates spanning provider trees" },
  { name: "reshaper", since: "1.30", summary: "POST /reshaper" },
  { name: "candidates_in_tree", since: "1.31", summary: "in_tree and in_treeN on GET /allocation_candidates" },
  { name: "forbidden_aggregates", since: "1.32", summary: "member_of=!agg and !in:..." },
  { name: "named_group_suffixes", since: "1.33", summary: "granular suffixes such as _NET1" },
  { name: "allocation_mappings", since: "1.34", summary: "mappings in allocation requests and allocation bodies" },
  { name: "root_required", since: "1.35", summary: "root_required on GET /allocation_candidates" },
  { name: "same_subtree", since: "1.36", summary: "same_subtree and resourceless groups" },
  { name: "reparenting", since: "1.37", summary: "change or drop a provider's parent" },
  { name: "consumer_types", since: "1.38", summary: "consumer_type on allocations; usages by consumer type" },
  { name: "any_of_traits", since: "1.39", summary: "required=in:T1,T2" },
  { name: "explain_candidates", since: "1.10", summary: "GET /allocation_candidates/explain (Berth's own): why a candidates query fits or not" },
]);

export interface QueryParameter {
  readonly operation: string;
  readonly name: string;
  readonly since: string;
  /** Forms a value may take, with the microversion of each (e.g. "!TRAIT" from 1.22). */
  readonly forms?: readonly { form: string; since: string }[];
}

export interface Field {
  /** Where the field appears: the response (or request) body of which operations. */
  readonly in: string;
  readonly name: string;
  readonly since: string;
  readonly until?: string;
}

/** Query parameters per type. NOTE: the test sends each one below and at its `since`. */
export const QUERY: Readonly<Partial<Record<CapabilityType, readonly QueryParameter[]>>> = {
  resource_providers: [
    { operation: "GET /resource_providers", name: "name", since: "1.0" },
    { operation: "GET /resource_providers", name: "uuid", since: "1.0" },
    {
      operation: "GET /resource_providers",
      name: "member_of",
      since: "1.3",
      forms: [
        { form: "in:AGG1,AGG2", since: "1.3" },
        { form: "!AGG", since: "1.32" },
      ],
    },
    { operation: "GET /resource_providers", name: "resources", since: "1.4" },
    { operation: "GET /resource_providers", name: "in_tree", since: "1.14" },
    {
      operation: "GET /resource_providers",
      name: "required",
      since: "1.18",
      forms: [
        { form: "!TRAIT", since: "1.22" },
        { form: "in:T1,T2", since: "1.39" },
      ],
    },
  ],
  traits: [
    {
      operation: "GET /traits",
      name: "name",
      since: "1.6",
      forms: [
        { form: "in:T1,T2", since: "1.6" },
        { form: "startswith:PREFIX", since: "1.6" },
      ],
    },
    { operation: "GET /traits", name: "associated", since: "1.6" },
  ],
  usages: [
    { operation: "GET /usages", name: "project_id", since: "1.9" },
    { operation: "GET /usages", name: "user_id", since: "1.9" },
    { operation: "GET /usages", name: "consumer_type", since: "1.38" },
  ],
  allocation_candidates: [
    { operation: "GET /allocation_candidates", name: "resources", since: "1.10" },
    { operation: "GET /allocation_candidates", name: "limit", since: "1.16" },
    {
      operation: "GET /allocation_candidates",
      name: "required",
      since: "1.17",
      forms: [
        { form: "!TRAIT", since: "1.22" },
        { form: "in:T1,T2", since: "1.39" },
      ],
    },
    {
      operation: "GET /allocation_candidates",
      name: "member_of",
      since: "1.21",
      forms: [
        { form: "in:AGG1,AGG2", since: "1.21" },
        { form: "!AGG", since: "1.32" },
      ],
    },
    { operation: "GET /allocation_candidates", name: "group_policy", since: "1.25" },
    { operation: "GET /allocation_candidates", name: "resources1", since: "1.25", forms: [{ form: "resources_NAME (any suffix)", since: "1.33" }] },
    { operation: "GET /allocation_candidates", name: "required1", since: "1.25" },
    { operation: "GET /allocation_candidates", name: "member_of1", since: "1.25" },
    { operation: "GET /allocation_candidates", name: "in_tree", since: "1.31" },
    { operation: "GET /allocation_candidates", name: "in_tree1", since: "1.31" },
    { operation: "GET /allocation_candidates", name: "root_required", since: "1.35" },
    { operation: "GET /allocation_candidates", name: "same_subtree", since: "1.36" },
  ],
};

/** Body fields per type (responses unless `in` names a request). */
export const FIELDS: Readonly<Record<CapabilityType, readonly Field[]>> = {
  resource_providers: [
    { in: "GET /resource_providers/{uuid}", name: "uuid", since: "1.0" },
    { in: "GET /resource_providers/{uuid}", name: "name", since: "1.0" },
    { in: "GET /resource_providers/{uuid}", name: "generation", since: "1.0" },
    { in: "GET /resource_providers/{uuid}", name: "links", since: "1.0" },
    { in: "GET /resource_providers/{uuid}", name: "parent_provider_uuid", since: "1.14" },
    { in: "GET /resource_providers/{uuid}", name: "root_provider_uuid", since: "1.14" },
    { in: "POST /resource_providers (answer body)", name: "uuid", since: "1.20" },
  ],
  inventories: [
    { in: "GET /resource_providers/{uuid}/inventories", name: "resource_provider_generation", since: "1.0" },
    ...["total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"].map((name) => ({
      in: "GET /resource_providers/{uuid}/inventories",
      name,
      since: "1.0",
    })),
  ],
  usages: [
    { in: "GET /resource_providers/{uuid}/usages", name: "usages", since: "1.0" },
    { in: "GET /resource_providers/{uuid}/usages", name: "resource_provider_generation", since: "1.0" },
    { in: "GET /usages", name: "usages", since: "1.9" },
    { in: "GET /usages", name: "consumer_count", since: "1.38" },
  ],
  aggregates: [
    { in: "GET /resource_providers/{uuid}/aggregates", name: "aggregates", since: "1.1" },
    { in: "GET /resource_providers/{uuid}/aggregates", name: "resource_provider_generation", since: "1.19" },
  ],
  traits: [
    { in: "GET /traits", name: "traits", since: "1.6" },
    { in: "GET /resource_providers/{uuid}/traits", name: "resource_provider_generation", since: "1.6" },
  ],
  resource_classes: [
    { in: "GET /resource_classes/{name}", name: "name", since: "1.2" },
    { in: "GET /resource_classes/{name}", name: "links", since: "1.2" },
  ],
  allocations: [
    { in: "GET /allocations/{consumer_uuid}", name: "allocations", since: "1.0" },
    { in: "GET /allocations/{consumer_uuid}", name: "project_id", since: "1.12" },
    { in: "GET /allocations/{consumer_uuid}", name: "user_id", since: "1.12" },
    { in: "GET /allocations/{consumer_uuid}", name: "consumer_generation", since: "1.28" },
    { in: "GET /allocations/{consumer_uuid}", name: "consumer_type", since: "1.38" },
    { in: "PUT /allocations/{consumer_uuid} (request body)", name: "consumer_generation", since: "1.28" },
    { in: "PUT /allocations/{consumer_uuid} (request body)", name: "mappings", since: "1.34" },
    { in: "PUT /allocations/{consumer_uuid} (request body)", name: "consumer_type", since: "1.38" },
  ],
  allocation_candidates: [
    { in: "GET /allocation_candidates", name: "allocation_requests", since: "1.10" },
    { in: "GET /allocation_candidates", name: "provider_summaries", since: "1.10" },
    { in: "GET /allocation_candidates", name: "provider_summaries.*.traits", since: "1.17" },
    { in: "GET /allocation_candidates", name: "provider_summaries.*.parent_provider_uuid", since: "1.29" },
    { in: "GET /allocation_candidates", name: "provider_summaries.*.root_provider_uuid", since: "1.29" },
    { in: "GET /allocation_candidates", name: "allocation_requests.*.mappings", since: "1.34" },
    { in: "GET /allocation_candidates/explain", name: "explain_version", since: "1.10" },
    { in: "GET /allocation_candidates/explain", name: "groups.*.steps", since: "1.10" },
    { in: "GET /allocation_candidates/explain", name: "near_misses", since: "1.10" },
  ],
  reshaper: [
    { in: "POST /reshaper (request body)", name: "inventories", since: "1.30" },
    { in: "POST /reshaper (request body)", name: "allocations", since: "1.30" },
  ],
};
