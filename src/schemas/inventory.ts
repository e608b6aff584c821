// Request schemas for inventories. Keywords are written in sorted order because the reference prints
// schemas that way (pprint) in its validation messages.

/** The largest value an INTEGER column holds; the reference's upper bound for inventory amounts. */
export const MAX_INT = 0x7fffffff;
/** The largest single-precision float, the bound the reference puts on allocation_ratio. */
export const SQL_SP_FLOAT_MAX = 3.40282e38;
/** Resource class names as inventories accept them (standard or custom). */
export const RC_PATTERN = "^[A-Z0-9_]+$";

const amount = (minimum: number) => ({ maximum: MAX_INT, minimum, type: "integer" });

// NOTE: properties stay in the reference's order: when several are wrong, the one reported is the
// first in this order, as the reference's jsonschema picks it.
const fields = {
  resource_provider_generation: { type: "integer" },
  total: amount(1),
  reserved: amount(0),
  min_unit: amount(1),
  max_unit: amount(1),
  step_size: amount(1),
  allocation_ratio: { maximum: SQL_SP_FLOAT_MAX, type: "number" },
};

/** PUT /resource_providers/{uuid}/inventories/{resource_class}. */
export const putInventory = {
  additionalProperties: false,
  properties: fields,
  required: ["total", "resource_provider_generation"],
  type: "object",
};

/** POST /resource_providers/{uuid}/inventories: no generation needed, the class is in the body. */
export const postInventory = {
  additionalProperties: false,
  properties: { ...fields, resource_class: { pattern: RC_PATTERN, type: "string" } },
  required: ["total", "resource_class"],
  type: "object",
};

/** One record of PUT /resource_providers/{uuid}/inventories. */
const inventoryRecord = {
  additionalProperties: false,
  properties: fields,
  required: ["total"],
  type: "object",
};

/** PUT /resource_providers/{uuid}/inventories. Keys not matching the pattern pass unchecked, as in the reference. */
export const putInventories = {
  additionalProperties: false,
  properties: {
    inventories: { patternProperties: { [RC_PATTERN]: inventoryRecord }, type: "object" },
    resource_provider_generation: { type: "integer" },
  },
  required: ["resource_provider_generation", "inventories"],
  type: "object",
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
