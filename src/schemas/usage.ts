// Query schemas for GET /usages. NOTE: keywords and properties are in the reference's order (the
// first of several errors found in that order is the one reported).
import { CONSUMER_TYPE_PATTERN } from "./allocation.js";

const externalId = { type: "string", minLength: 1, maxLength: 255 };

/** 1.9: project_id is required, user_id optional. */
export const getUsagesV1_9 = {
  type: "object",
  properties: { project_id: externalId, user_id: externalId },
  required: ["project_id"],
  additionalProperties: false,
};

/** 1.38: consumer_type filters (a type name, `all` or `unknown`). */
export const getUsagesV1_38 = {
  ...getUsagesV1_9,
  properties: {
    ...getUsagesV1_9.properties,
    consumer_type: { type: "string", pattern: `${CONSUMER_TYPE_PATTERN}|^all|^unknown$`, minLength: 1, maxLength: 255 },
  },
};
