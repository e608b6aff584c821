import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const inventory = Object.freeze({
  LIST: "placement:resource_providers:inventories:list",
  CREATE: "placement:resource_providers:inventories:create",
  SHOW: "placement:resource_providers:inventories:show",
  UPDATE: "placement:resource_providers:inventories:update",
  DELETE: "placement:resource_providers:inventories:delete",
} as const);

const p = inventory;
const all = "/resource_providers/{uuid}/inventories";
const one = `${all}/{resource_class}`;
export const inventoryRules: readonly RuleDefault[] = Object.freeze([
  apiRule(p.LIST, ADMIN_OR_SERVICE, op("GET", all)),
  apiRule(p.CREATE, ADMIN_OR_SERVICE, op("POST", all)),
  apiRule(p.SHOW, ADMIN_OR_SERVICE, op("GET", one)),
  apiRule(p.UPDATE, ADMIN_OR_SERVICE, op("PUT", all), op("PUT", one)),
  apiRule(p.DELETE, ADMIN_OR_SERVICE, op("DELETE", all), op("DELETE", one)),
]);
