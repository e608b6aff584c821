// Request schemas for resource classes (keys sorted, as the reference prints them in messages).

export const CUSTOM_RC_PATTERN = "^CUSTOM_[A-Z0-9_]+$";

/** POST /resource_classes and PUT /resource_classes/{name} (1.2-1.6 body; from 1.7 the name in the path). */
export const resourceClassName = {
  additionalProperties: false,
  properties: { name: { maxLength: 255, pattern: CUSTOM_RC_PATTERN, type: "string" } },
  required: ["name"],
  type: "object",
};

export interface ResourceClassBody {
  name: string;
}
