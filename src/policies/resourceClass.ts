import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const resourceClass = Object.freeze({
  LIST: "placement:resource_classes:list",
  CREATE: "placement:resource_classes:create",
  SHOW: "placement:resource_classes:show",
  UPDATE: "placement:resource_classes:update",
  DELETE: "placement:resource_classes:delete",
} as const);

const p = resourceClass;
export const resourceClassRules: readonly RuleDefault[] = Object.freeze([
  apiRule(p.LIST, ADMIN_OR_SERVICE, op("GET", "/resource_classes")),
  apiRule(p.CREATE, ADMIN_OR_SERVICE, op("POST", "/resource_classes")),
  apiRule(p.SHOW, ADMIN_OR_SERVICE, op("GET", "/resource_classes/{name}")),
  apiRule(p.UPDATE, ADMIN_OR_SERVICE, op("PUT", "/resource_classes/{name}")),
  apiRule(p.DELETE, ADMIN_OR_SERVICE, op("DELETE", "/resource_classes/{name}")),
]);
