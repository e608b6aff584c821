// Request schemas for resource providers, per microversion range (the reference's, as data).

const name = { type: "string", maxLength: 200 };
const uuid = { type: "string", format: "uuid" };
const parent = { anyOf: [{ type: "string", format: "uuid" }, { type: "null" }] };

export const postProvider = {
  type: "object",
  properties: { name, uuid },
  required: ["name"],
  additionalProperties: false,
};
/** 1.14 adds parent_provider_uuid. */
export const postProviderV1_14 = {
  type: "object",
  properties: { name, uuid, parent_provider_uuid: parent },
  required: ["name"],
  additionalProperties: false,
};

export const putProvider = {
  type: "object",
  properties: { name },
  required: ["name"],
  additionalProperties: false,
};
export const putProviderV1_14 = {
  type: "object",
  properties: { name, parent_provider_uuid: parent },
  required: ["name"],
  additionalProperties: false,
};

// The query string of GET /resource_providers: each version adds one parameter.
const q1_0 = { name: { type: "string" }, uuid };
const q1_3 = { ...q1_0, member_of: { type: "string" } };
const q1_4 = { ...q1_3, resources: { type: "string" } };
const q1_14 = { ...q1_4, in_tree: uuid };
const q1_18 = { ...q1_14, required: { type: "string" } };
const query = (properties: object) => ({ type: "object", properties, additionalProperties: false });

export const listQuery = query(q1_0);
export const listQueryV1_3 = query(q1_3);
export const listQueryV1_4 = query(q1_4);
export const listQueryV1_14 = query(q1_14);
export const listQueryV1_18 = query(q1_18);
