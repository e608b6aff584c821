// Request schemas for the aggregates of a provider.

const aggregates = { type: "array", items: { type: "string", format: "uuid" }, uniqueItems: true };

/** 1.1-1.18: the body is the list itself. */
export const putAggregates = aggregates;

/** 1.19: the list plus the provider generation it was read at. */
export const putAggregatesV1_19 = {
  type: "object",
  properties: { aggregates, resource_provider_generation: { type: "integer" } },
  required: ["aggregates", "resource_provider_generation"],
  additionalProperties: false,
};
