// Every placement policy default (upstream openstack/placement master,
// placement/policies/), in upstream registration order, plus a catalog of rule
// names per noun so handlers never spell a rule name by hand.
import { aggregate, aggregateRules } from "./aggregate.js";
import { allocation, allocationRules } from "./allocation.js";
import { allocationCandidate, allocationCandidateRules } from "./allocationCandidate.js";
import { base, baseRules } from "./base.js";
import { inventory, inventoryRules } from "./inventory.js";
import { reshaper, reshaperRules } from "./reshaper.js";
import { resourceClass, resourceClassRules } from "./resourceClass.js";
import { resourceProvider, resourceProviderRules } from "./resourceProvider.js";
import { trait, traitRules } from "./trait.js";
import type { RuleDefault } from "./types.js";
import { usage, usageRules } from "./usage.js";

export type { DeprecatedRule, Operation, RuleDefault } from "./types.js";

export const policies = Object.freeze({
  base,
  resourceProvider,
  resourceClass,
  inventory,
  aggregate,
  usage,
  trait,
  allocation,
  allocationCandidate,
  reshaper,
});

export const ALL_DEFAULTS: readonly RuleDefault[] = Object.freeze([
  ...baseRules,
  ...resourceProviderRules,
  ...resourceClassRules,
  ...inventoryRules,
  ...aggregateRules,
  ...usageRules,
  ...traitRules,
  ...allocationRules,
  ...allocationCandidateRules,
  ...reshaperRules,
]);
