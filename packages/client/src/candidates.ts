// GET /allocation_candidates: the request model, its typed builder, and its encoding to a query.
import { encodeFilter, encodeResources, type Encoded, type TraitAndAggregateFilter } from "./query.js";
import type { Resources } from "./types.js";
import { first } from "./common/at.js";

/** One request group: the unsuffixed group, or a granular group (all from one provider). */
export interface GroupSpec extends TraitAndAggregateFilter {
  resources?: Resources;
  /** Only providers in the tree of this provider (1.31). */
  inTree?: string;
}

export interface CandidateRequest extends GroupSpec {
  /** Granular groups by suffix: "1", "2" (1.25) or names like "_NET" (1.33). No resources: 1.36 and same_subtree. */
  groups?: Record<string, GroupSpec>;
  /** Required when there are several granular groups. */
  groupPolicy?: "none" | "isolate";
  limit?: number;
  /** Traits the root provider of each candidate must (or, "!T", must not) have (1.35). */
  rootRequired?: readonly string[];
  /** Suffix lists whose groups must come from one subtree (1.36). */
  sameSubtree?: readonly (readonly string[])[];
}

const FILTER_FEATURES = { required: "candidatesRequired", memberOf: "candidatesMemberOf" } as const;

/** The query and the features it needs (the version is chosen from them). */
export function encodeCandidateRequest(r: CandidateRequest): Encoded {
  const out: Encoded = { query: {}, require: ["allocationCandidates", "allocationsDictForm"] };
  encodeGroup(r, "", out);
  for (const [suffix, g] of Object.entries(r.groups ?? {})) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(suffix)) throw new TypeError(`invalid request group suffix ${JSON.stringify(suffix)}`);
    out.require.push(/^\d+$/.test(suffix) ? "granularGroups" : "namedGroupSuffixes");
    if (!g.resources || !Object.keys(g.resources).length) out.require.push("sameSubtree");
    encodeGroup(g, suffix, out);
  }
  if (r.groupPolicy) {
    out.query.group_policy = r.groupPolicy;
    out.require.push("granularGroups");
  }
  if (r.limit !== undefined) {
    out.query.limit = String(r.limit);
    out.require.push("candidatesLimit");
  }
  if (r.rootRequired?.length) {
    out.query.root_required = r.rootRequired.join(",");
    out.require.push("rootRequired");
  }
  if (r.sameSubtree?.length) {
    out.query.same_subtree = r.sameSubtree.map((s) => s.join(","));
    out.require.push("sameSubtree");
  }
  return out;
}

function encodeGroup(g: GroupSpec, suffix: string, out: Encoded): void {
  if (g.resources && Object.keys(g.resources).length) out.query[`resources${suffix}`] = encodeResources(g.resources);
  encodeFilter(g, suffix, FILTER_FEATURES, out);
  if (g.inTree) {
    out.query[`in_tree${suffix}`] = g.inTree;
    out.require.push("candidatesInTree");
  }
}

/** Fluent construction of a CandidateRequest. */
export class GroupBuilder {
  protected readonly spec: GroupSpec;
  constructor(spec: GroupSpec = {}) {
    this.spec = spec;
  }
  resources(r: Resources): this {
    this.spec.resources = { ...this.spec.resources, ...r };
    return this;
  }
  /** Traits to have; prefix with "!" for forbidden ones. */
  required(...traits: string[]): this {
    this.spec.required = [...(this.spec.required ?? []), ...traits];
    return this;
  }
  forbidden(...traits: string[]): this {
    return this.required(...traits.map((t) => `!${t}`));
  }
  /** At least one of these traits. */
  anyOf(...traits: string[]): this {
    this.spec.anyOf = [...(this.spec.anyOf ?? []), traits];
    return this;
  }
  /** In this aggregate, or in any of these aggregates. Each call is ANDed with the others. */
  memberOf(...aggregates: string[]): this {
    this.spec.memberOf = [...(this.spec.memberOf ?? []), aggregates.length === 1 ? first(aggregates) : aggregates];
    return this;
  }
  notMemberOf(...aggregates: string[]): this {
    this.spec.notMemberOf = [...(this.spec.notMemberOf ?? []), ...aggregates];
    return this;
  }
  inTree(providerUuid: string): this {
    this.spec.inTree = providerUuid;
    return this;
  }
}

export class CandidateRequestBuilder extends GroupBuilder {
  declare protected readonly spec: CandidateRequest;
  constructor() {
    super({});
  }
  /** A granular group; `configure` fills it. */
  group(suffix: string, configure: (g: GroupBuilder) => unknown): this {
    const g: GroupSpec = {};
    configure(new GroupBuilder(g));
    this.spec.groups = { ...this.spec.groups, [suffix]: g };
    return this;
  }
  groupPolicy(p: "none" | "isolate"): this {
    this.spec.groupPolicy = p;
    return this;
  }
  limit(n: number): this {
    this.spec.limit = n;
    return this;
  }
  rootRequired(...traits: string[]): this {
    this.spec.rootRequired = [...(this.spec.rootRequired ?? []), ...traits];
    return this;
  }
  sameSubtree(...suffixes: string[]): this {
    this.spec.sameSubtree = [...(this.spec.sameSubtree ?? []), suffixes];
    return this;
  }
  build(): CandidateRequest {
    return structuredClone(this.spec);
  }
}

/** Starts a candidate request: `candidates().resources({VCPU: 1}).group("_NET", g => ...).build()`. */
export const candidateRequest = (): CandidateRequestBuilder => new CandidateRequestBuilder();
