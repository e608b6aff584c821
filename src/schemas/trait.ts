// Request schemas for traits (1.6+), with the reference's limits; validation messages print them,
// so they carry the same keywords as the reference's.

const TRAIT = { type: "string", minLength: 1, maxLength: 255 } as const;

/** `PUT /traits/{name}`: the name itself (a failure gets one fixed message, not the schema's). */
export const CUSTOM_TRAIT_PATTERN = /^CUSTOM_[A-Z0-9_]+$/;
export const CUSTOM_TRAIT_MAX_LENGTH = 255;

/** `GET /traits` query string. */
export const listQuery = {
  type: "object",
  properties: {
    name: { type: "string" },
    associated: { type: "string" },
  },
  additionalProperties: false,
} as const;

/** `PUT /resource_providers/{uuid}/traits` body. */
export const setProviderTraits = {
  type: "object",
  properties: {
    traits: { type: "array", items: TRAIT },
    resource_provider_generation: { type: "integer" },
  },
  required: ["traits", "resource_provider_generation"],
  additionalProperties: false,
} as const;

export interface SetProviderTraits {
  traits: string[];
  resource_provider_generation: number;
}
