// Request schemas for resource classes, keywords in the reference's order (the first rule broken in
// that order is the one reported; messages print the schema with sorted keys regardless).

export const CUSTOM_RC_PATTERN = "^CUSTOM_[A-Z0-9_]+$";

/** POST /resource_classes and PUT /resource_classes/{name} (1.2-1.6 body; from 1.7 the name in the path). */
export const resourceClassName = {
  type: "object",
  properties: { name: { type: "string", pattern: CUSTOM_RC_PATTERN, maxLength: 255 } },
  required: ["name"],
  additionalProperties: false,
};

export interface ResourceClassBody {
  name: string;
}
