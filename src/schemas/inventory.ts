// Request schemas for inventories. NOTE: keywords and properties are in the reference's order: when a
// body breaks several rules, the one reported is the first found in that order (messages print the
// schema with sorted keys regardless).

/** The largest value an INTEGER column holds; the reference's upper bound for inventory amounts. */
export const MAX_INT = 0x7fffffff;
/** The largest single-precision float, the bound the reference puts on allocation_ratio. */
export const SQL_SP_FLOAT_MAX = 3.40282e38;
/** Resource class names as inventories accept them (standard or custom). */
export const RC_PATTERN = "^[A-Z0-9_]+$";

const amount = (minimum: number) => ({ type: "integer", maximum: MAX_INT, minimum });

const fields = {
  resource_provider_generation: { type: "integer" },
  total: amount(1),
  reserved: amount(0),
  min_unit: amount(1),
  max_unit: amount(1),
  step_size: amount(1),
  allocation_ratio: { type: "number", maximum: SQL_SP_FLOAT_MAX },
};

/** PUT /resource_providers/{uuid}/inventories/{resource_class}. */
export const putInventory = {
  type: "object",
  properties: fields,
  required: ["total", "resource_provider_generation"],
  additionalProperties: false,
};

/** POST /resource_providers/{uuid}/inventories: no generation needed, the class is in the body. */
export const postInventory = {
  type: "object",
  properties: { ...fields, resource_class: { type: "string", pattern: RC_PATTERN } },
  required: ["total", "resource_class"],
  additionalProperties: false,
};

/** One record of PUT /resource_providers/{uuid}/inventories. */
const inventoryRecord = {
  type: "object",
  properties: fields,
  required: ["total"],
  additionalProperties: false,
};

/** PUT /resource_providers/{uuid}/inventories. Keys not matching the pattern pass unchecked, as in the reference. */
export const putInventories = {
  type: "object",
  properties: {
    resource_provider_generation: { type: "integer" },
    inventories: { type: "object", patternProperties: { [RC_PATTERN]: inventoryRecord } },
  },
  required: ["resource_provider_generation", "inventories"],
  additionalProperties: false,
};

export interface InventoryFields {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}
export interface PutInventoryBody extends InventoryFields {
  resource_provider_generation: number;
}
export interface PostInventoryBody extends InventoryFields {
  resource_class: string;
}
export interface PutInventoriesBody {
  resource_provider_generation: number;
  inventories: Record<string, InventoryFields & { resource_provider_generation?: number }>;
}
