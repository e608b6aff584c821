import { ADMIN_OR_SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const trait = Object.freeze({
  TRAITS_LIST: "placement:traits:list",
  TRAITS_SHOW: "placement:traits:show",
  TRAITS_UPDATE: "placement:traits:update",
  TRAITS_DELETE: "placement:traits:delete",
  RP_TRAIT_LIST: "placement:resource_providers:traits:list",
  RP_TRAIT_UPDATE: "placement:resource_providers:traits:update",
  RP_TRAIT_DELETE: "placement:resource_providers:traits:delete",
} as const);

const p = trait;
const rpTraits = "/resource_providers/{uuid}/traits";
export const traitRules: readonly RuleDefault[] = Object.freeze([
  apiRule(p.TRAITS_LIST, ADMIN_OR_SERVICE, op("GET", "/traits")),
  apiRule(p.TRAITS_SHOW, ADMIN_OR_SERVICE, op("GET", "/traits/{name}")),
  apiRule(p.TRAITS_UPDATE, ADMIN_OR_SERVICE, op("PUT", "/traits/{name}")),
  apiRule(p.TRAITS_DELETE, ADMIN_OR_SERVICE, op("DELETE", "/traits/{name}")),
  apiRule(p.RP_TRAIT_LIST, ADMIN_OR_SERVICE, op("GET", rpTraits)),
  apiRule(p.RP_TRAIT_UPDATE, ADMIN_OR_SERVICE, op("PUT", rpTraits)),
  apiRule(p.RP_TRAIT_DELETE, ADMIN_OR_SERVICE, op("DELETE", rpTraits)),
]);
