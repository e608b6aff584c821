// The POST /reshaper body: new inventories for several providers and the allocations that use them.
// NOTE: keywords and properties are in the reference's order (the first of several errors found in
// that order is the one reported; messages print the schema with sorted keys regardless).
import { putInventories } from "./inventory.js";
import { postV1_28, postV1_34, postV1_38, UUID_PATTERN, type PostAllocationsBody } from "./allocation.js";
import type { PutInventoriesBody } from "./inventory.js";

// NOTE: allocations may be empty here: there may be nothing allocated from the inventory that moves.
const allocationsOf = (post: object) => ({ ...structuredClone(post), minProperties: 0 });

const reshaperOf = (allocations: object) => ({
  type: "object",
  properties: {
    inventories: {
      type: "object",
      patternProperties: { [UUID_PATTERN]: putInventories },
      minProperties: 1,
      additionalProperties: false,
    },
    allocations,
  },
  required: ["inventories", "allocations"],
  additionalProperties: false,
});

export const postReshaperV1_30 = reshaperOf(allocationsOf(postV1_28));
export const postReshaperV1_34 = reshaperOf(allocationsOf(postV1_34));
export const postReshaperV1_38 = reshaperOf(allocationsOf(postV1_38));

export function reshaperSchemaFor(v: { atLeast(a: number, b: number): boolean }): object {
  if (v.atLeast(1, 38)) return postReshaperV1_38;
  if (v.atLeast(1, 34)) return postReshaperV1_34;
  return postReshaperV1_30;
}

export interface ReshaperBody {
  inventories: Record<string, PutInventoriesBody>;
  allocations: PostAllocationsBody;
}
