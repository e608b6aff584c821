// An allocation candidate request as data: request groups keyed by suffix and the request-wide
// parameters, plus the reference's whole-request checks (orphans, same_subtree, conflicts).
import { DomainError } from "../errors.js";

export interface RequestGroup {
  /** "" for the unsuffixed group. */
  readonly suffix: string;
  /** False only for the unsuffixed group: its resources may come from several providers. */
  readonly useSameProvider: boolean;
  /** Class name -> amount, in query order. */
  resources: Map<string, number>;
  /** AND of any-ofs. */
  requiredTraits: string[][];
  forbiddenTraits: string[];
  /** AND of any-ofs of aggregate uuids. */
  memberOf: string[][];
  forbiddenAggs: string[];
  inTree?: string;
}

export type GroupPolicy = "none" | "isolate";

export interface RequestWide {
  /** Undefined or 0: no limit (the reference treats limit=0, reachable through a repeat, as none). */
  limit?: number;
  groupPolicy?: GroupPolicy;
  rootRequired: string[];
  rootForbidden: string[];
  /** Each entry: suffixes whose providers must share a subtree. */
  sameSubtrees: string[][];
}

export interface CandidateRequest {
  groups: RequestGroup[];
  wide: RequestWide;
  /** From 1.29: candidates may combine several providers of one tree. */
  nestedAware: boolean;
}

export type QueryErrorCode = "bad_value" | "missing_value" | "duplicate_key" | undefined;

/** A request the reference refuses with a 400. */
export class CandidateQueryError extends DomainError {
  constructor(
    message: string,
    readonly code: QueryErrorCode = undefined,
  ) {
    super(message);
  }
}

export function newGroup(suffix: string): RequestGroup {
  return {
    suffix,
    useSameProvider: suffix !== "",
    resources: new Map(),
    requiredTraits: [],
    forbiddenTraits: [],
    memberOf: [],
    forbiddenAggs: [],
  };
}

const pyList = (xs: readonly string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** The checks the reference makes once every group is parsed, in its order. */
export function checkGroups(groups: readonly RequestGroup[], wide: RequestWide, v: { sameSubtree: boolean; forbidden: boolean }): void {
  if (v.sameSubtree) {
    const resourceless = groups.filter((g) => g.resources.size === 0).map((g) => g.suffix);
    const inSubtree = new Set(wide.sameSubtrees.flat());
    if (resourceless.length === groups.length) {
      throw new CandidateQueryError("There must be at least one resources or resources[$S] parameter.", "missing_value");
    }
    const bad = resourceless.filter((s) => !inSubtree.has(s));
    if (bad.length) {
      throw new CandidateQueryError(
        `Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${pyList(bad)}.`,
        "bad_value",
      );
    }
    const known = new Set(groups.map((g) => g.suffix));
    const unknown = [...inSubtree].filter((s) => !known.has(s));
    if (unknown.length) {
      throw new CandidateQueryError(
        `Real suffixes should be specified in \`same_subtree\`: ${pyList(unknown)} not found in ${pyList(groups.map((g) => g.suffix))}.`,
        "bad_value",
      );
    }
  } else {
    const traitOrphans = groups.filter((g) => g.requiredTraits.length && g.resources.size === 0).map((g) => `required${g.suffix}`);
    if (traitOrphans.length) {
      throw new CandidateQueryError(
        `All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${traitOrphans.join(", ")}`,
      );
    }
    const aggOrphans = groups.filter((g) => g.resources.size === 0 && (g.memberOf.length || g.forbiddenAggs.length)).map((g) => `member_of${g.suffix}`);
    if (aggOrphans.length) {
      throw new CandidateQueryError(
        `All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${aggOrphans.join(", ")}`,
      );
    }
    if (!groups.every((g) => g.resources.size > 0)) throw new CandidateQueryError("All request groups must specify resources.");
    if (groups.length === 0) {
      throw new CandidateQueryError("At least one request group (`resources` or `resources{$S}`) is required.");
    }
  }
  if (v.forbidden) {
    const conflicts: string[] = [];
    for (const g of groups) {
      const forbidden = new Set(g.forbiddenTraits);
      for (const anyOf of g.requiredTraits) {
        if (anyOf.every((t) => forbidden.has(t))) conflicts.push(`required${g.suffix}: (${[...new Set(anyOf)].sort().join(", ")})`);
      }
    }
    if (conflicts.length) {
      throw new CandidateQueryError(`Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(", ")}`);
    }
  }
  const granular = groups.filter((g) => g.useSameProvider).length;
  if (!wide.groupPolicy && granular > 1) {
    throw new CandidateQueryError('The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.');
  }
}
