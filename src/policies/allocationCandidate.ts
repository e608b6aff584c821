import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const allocationCandidate = Object.freeze({
  LIST: "placement:allocation_candidates:list",
  /** Berth's own (docs/explain.md): why a candidates query fits or not; the list's default. */
  EXPLAIN: "placement:allocation_candidates:explain",
} as const);

export const allocationCandidateRules: readonly RuleDefault[] = Object.freeze([
  apiRule(allocationCandidate.LIST, ADMIN_OR_SERVICE, op("GET", "/allocation_candidates")),
  apiRule(allocationCandidate.EXPLAIN, ADMIN_OR_SERVICE, op("GET", "/allocation_candidates/explain")),
]);
