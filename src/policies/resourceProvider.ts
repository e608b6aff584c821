import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const resourceProvider = Object.freeze({
  LIST: "placement:resource_providers:list",
  CREATE: "placement:resource_providers:create",
  SHOW: "placement:resource_providers:show",
  UPDATE: "placement:resource_providers:update",
  DELETE: "placement:resource_providers:delete",
} as const);

const p = resourceProvider;
export const resourceProviderRules: readonly RuleDefault[] = Object.freeze([
  apiRule(p.LIST, ADMIN_OR_SERVICE, op("GET", "/resource_providers")),
  apiRule(p.CREATE, ADMIN_OR_SERVICE, op("POST", "/resource_providers")),
  apiRule(p.SHOW, ADMIN_OR_SERVICE, op("GET", "/resource_providers/{uuid}")),
  apiRule(p.UPDATE, ADMIN_OR_SERVICE, op("PUT", "/resource_providers/{uuid}")),
  apiRule(p.DELETE, ADMIN_OR_SERVICE, op("DELETE", "/resource_providers/{uuid}")),
]);
