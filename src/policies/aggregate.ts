import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const aggregate = Object.freeze({
  LIST: "placement:resource_providers:aggregates:list",
  UPDATE: "placement:resource_providers:aggregates:update",
} as const);

const path = "/resource_providers/{uuid}/aggregates";
export const aggregateRules: readonly RuleDefault[] = Object.freeze([
  apiRule(aggregate.LIST, ADMIN_OR_SERVICE, op("GET", path)),
  apiRule(aggregate.UPDATE, ADMIN_OR_SERVICE, op("PUT", path)),
]);
