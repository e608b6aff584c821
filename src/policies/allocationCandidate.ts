import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const allocationCandidate = Object.freeze({
  LIST: "placement:allocation_candidates:list",
} as const);

export const allocationCandidateRules: readonly RuleDefault[] = Object.freeze([
  apiRule(allocationCandidate.LIST, ADMIN_OR_SERVICE, op("GET", "/allocation_candidates")),
]);
