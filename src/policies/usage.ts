import { ADMIN_OR_PROJECT_READER_OR_SERVICE, ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const usage = Object.freeze({
  PROVIDER_USAGES: "placement:resource_providers:usages",
  TOTAL_USAGES: "placement:usages",
} as const);

export const usageRules: readonly RuleDefault[] = Object.freeze([
  apiRule(usage.PROVIDER_USAGES, ADMIN_OR_SERVICE, op("GET", "/resource_providers/{uuid}/usages")),
  // The one API a project reader may call, for its own project: the handler
  // passes the queried project_id as the target.
  apiRule(usage.TOTAL_USAGES, ADMIN_OR_PROJECT_READER_OR_SERVICE, op("GET", "/usages")),
]);
