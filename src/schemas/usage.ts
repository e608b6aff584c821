// Query schemas for GET /usages. Keys are sorted, as the reference prints schemas (pprint).
import { CONSUMER_TYPE_PATTERN } from "./allocation.js";

const externalId = { maxLength: 255, minLength: 1, type: "string" };

/** 1.9: project_id is required, user_id optional. */
export const getUsagesV1_9 = {
  additionalProperties: false,
  properties: { project_id: externalId, user_id: externalId },
  required: ["project_id"],
  type: "object",
};

/** 1.38: consumer_type filters (a type name, `all` or `unknown`). */
export const getUsagesV1_38 = {
  ...getUsagesV1_9,
  properties: {
    consumer_type: { maxLength: 255, minLength: 1, pattern: `${CONSUMER_TYPE_PATTERN}|^all|^unknown$`, type: "string" },
    ...getUsagesV1_9.properties,
  },
};
