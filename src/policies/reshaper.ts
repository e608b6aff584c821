import { SERVICE } from "./base.js";
import { apiRule, op, type RuleDefault } from "./types.js";

export const reshaper = Object.freeze({
  RESHAPE: "placement:reshaper:reshape",
} as const);

export const reshaperRules: readonly RuleDefault[] = Object.freeze([
  // Service-only under new defaults: not even admin may reshape.
  apiRule(reshaper.RESHAPE, SERVICE, op("POST", "/reshaper")),
]);
