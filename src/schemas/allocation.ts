// Request schemas for allocations, one per microversion range. NOTE: keywords and properties are in
// the reference's order: when a body breaks several rules at the same depth, the one reported is the
// first found in that order (messages print the schema with sorted keys regardless).

/** Resource class names as allocations accept them. */
export const RC_PATTERN = "^[A-Z0-9_]+$";
/** The reference's (loose) uuid key pattern: 36 hex digits or dashes. */
export const UUID_PATTERN = "^[0-9a-fA-F-]{36}$";
export const CONSUMER_TYPE_PATTERN = "^[A-Z0-9_]+$";
/** Request group suffixes as 1.33 defines them. */
const GROUP_PATTERN = "[a-zA-Z0-9_-]{1,64}";

const clone = <T>(o: T): T => structuredClone(o);
const externalId = { type: "string", minLength: 1, maxLength: 255 };

const resources = {
  type: "object",
  minProperties: 1,
  patternProperties: { [RC_PATTERN]: { type: "integer", minimum: 1 } },
  additionalProperties: false,
};

/** PUT /allocations/{consumer_uuid} before 1.8: a list of {resource_provider: {uuid}, resources}. */
export const putV1_0 = {
  type: "object",
  properties: {
    allocations: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        properties: {
          resource_provider: {
            type: "object",
            properties: { uuid: { type: "string", format: "uuid" } },
            additionalProperties: false,
            required: ["uuid"],
          },
          resources,
        },
        required: ["resource_provider", "resources"],
        additionalProperties: false,
      },
    },
  },
  required: ["allocations"],
  additionalProperties: false,
};

/** 1.8: project_id and user_id are required. */
export const putV1_8 = clone(putV1_0) as any;
putV1_8.properties.project_id = externalId;
putV1_8.properties.user_id = externalId;
putV1_8.required.push("project_id", "user_id");

/** 1.12: allocations become a dict keyed by provider uuid, as GET shows them. */
export const putV1_12 = {
  type: "object",
  properties: {
    allocations: {
      type: "object",
      minProperties: 1,
      patternProperties: {
        [UUID_PATTERN]: {
          type: "object",
          properties: { generation: { type: "integer" }, resources },
          required: ["resources"],
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    project_id: externalId,
    user_id: externalId,
  },
  additionalProperties: false,
  required: ["allocations", "project_id", "user_id"],
} as any;

/** The 1.12 form where empty allocations (removal) are allowed. */
const deletable = clone(putV1_12);
deletable.properties.allocations.minProperties = 0;

const consumerGeneration = { type: ["integer", "null"], additionalProperties: false };

/** 1.28: consumer_generation is required (null for a new consumer) and allocations may be empty. */
export const putV1_28 = clone(deletable);
putV1_28.properties.consumer_generation = consumerGeneration;
putV1_28.required.push("consumer_generation");

const mappings = {
  type: "object",
  minProperties: 1,
  patternProperties: { [GROUP_PATTERN]: { type: "array", minItems: 1, items: { type: "string", format: "uuid" } } },
};

/** 1.34: mappings (request group -> providers) are accepted. */
export const putV1_34 = clone(putV1_28);
putV1_34.properties.mappings = mappings;

/** 1.38: consumer_type is required. */
export const putV1_38 = clone(putV1_34);
putV1_38.properties.consumer_type = { type: "string", pattern: CONSUMER_TYPE_PATTERN, minLength: 1, maxLength: 255 };
putV1_38.required.push("consumer_type");

const postOf = (perConsumer: object) => ({
  type: "object",
  minProperties: 1,
  additionalProperties: false,
  patternProperties: { [UUID_PATTERN]: perConsumer },
});

const generationRequired = clone(deletable);
generationRequired.properties.consumer_generation = consumerGeneration;
generationRequired.required.push("consumer_generation");

/** POST /allocations, several consumers keyed by uuid. */
export const postV1_13 = postOf(deletable);
export const postV1_28 = postOf(generationRequired);
export const postV1_34 = postOf(putV1_34);
export const postV1_38 = postOf(putV1_38);

/** The PUT schema for a version. */
export function putSchemaFor(v: { atLeast(a: number, b: number): boolean }): object {
  if (v.atLeast(1, 38)) return putV1_38;
  if (v.atLeast(1, 34)) return putV1_34;
  if (v.atLeast(1, 28)) return putV1_28;
  if (v.atLeast(1, 12)) return putV1_12;
  if (v.atLeast(1, 8)) return putV1_8;
  return putV1_0;
}

/** The POST schema for a version (1.13 and later). */
export function postSchemaFor(v: { atLeast(a: number, b: number): boolean }): object {
  if (v.atLeast(1, 38)) return postV1_38;
  if (v.atLeast(1, 34)) return postV1_34;
  if (v.atLeast(1, 28)) return postV1_28;
  return postV1_13;
}

/** One consumer's allocations in the dict form (1.12 and later, and every POST). */
export interface ConsumerAllocationsBody {
  allocations: Record<string, { resources: Record<string, number>; generation?: number }>;
  project_id?: string;
  user_id?: string;
  consumer_generation?: number | null;
  consumer_type?: string;
  mappings?: Record<string, string[]>;
}

/** The list form before 1.12. */
export interface ListAllocationsBody {
  allocations: { resource_provider: { uuid: string }; resources: Record<string, number> }[];
  project_id?: string;
  user_id?: string;
}

export type PostAllocationsBody = Record<string, ConsumerAllocationsBody>;
