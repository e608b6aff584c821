import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const allocation = Object.freeze({
  ALLOC_MANAGE: "placement:allocations:manage",
  ALLOC_LIST: "placement:allocations:list",
  ALLOC_UPDATE: "placement:allocations:update",
  ALLOC_DELETE: "placement:allocations:delete",
  RP_ALLOC_LIST: "placement:resource_providers:allocations:list",
} as const);

const p = allocation;
const consumer = "/allocations/{consumer_uuid}";
export const allocationRules: readonly RuleDefault[] = Object.freeze([
  apiRule(p.ALLOC_MANAGE, ADMIN_OR_SERVICE, op("POST", "/allocations")),
  apiRule(p.ALLOC_LIST, ADMIN_OR_SERVICE, op("GET", consumer)),
  apiRule(p.ALLOC_UPDATE, ADMIN_OR_SERVICE, op("PUT", consumer)),
  apiRule(p.ALLOC_DELETE, ADMIN_OR_SERVICE, op("DELETE", consumer)),
  apiRule(p.RP_ALLOC_LIST, ADMIN_OR_SERVICE, op("GET", "/resource_providers/{uuid}/allocations")),
]);
