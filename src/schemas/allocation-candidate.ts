// Query-string schemas for GET /allocation_candidates, one constant per microversion where they
// differ. NOTE: key order mirrors the reference's dicts, because the schema's repr is part of the
// 400 detail text.
import type { Version } from "../http/microversion.js";

type Schema = Record<string, any>;
const clone = (s: Schema): Schema => structuredClone(s);

const GROUP_PAT = "[1-9][0-9]*";
const GROUP_PAT_1_33 = "[a-zA-Z0-9_-]{1,64}";
const groupKey = (prefix: string, pat: string) => `^${prefix}(${pat})?$`;

export const get_1_10: Schema = {
  type: "object",
  properties: { resources: { type: "string" } },
  required: ["resources"],
  additionalProperties: false,
};

export const get_1_16 = clone(get_1_10);
get_1_16.properties.limit = { type: ["integer", "string"], pattern: "^[1-9][0-9]*$", minimum: 1, minLength: 1 };

export const get_1_17 = clone(get_1_16);
get_1_17.properties.required = { type: ["string"] };

export const get_1_21 = clone(get_1_17);
get_1_21.properties.member_of = { type: ["string"] };

export const get_1_25 = clone(get_1_21);
delete get_1_25.properties.resources;
delete get_1_25.required;
delete get_1_25.properties.required;
delete get_1_25.properties.member_of;
get_1_25.patternProperties = {
  [groupKey("resources", GROUP_PAT)]: { type: "string" },
  [groupKey("required", GROUP_PAT)]: { type: "string" },
  [groupKey("member_of", GROUP_PAT)]: { type: "string" },
};
get_1_25.properties.group_policy = { type: "string", enum: ["none", "isolate"] };

export const get_1_31 = clone(get_1_25);
get_1_31.patternProperties[groupKey("in_tree", GROUP_PAT)] = { type: "string" };

export const get_1_33 = clone(get_1_31);
get_1_33.patternProperties = Object.fromEntries(
  ["resources", "required", "member_of", "in_tree"].map((p) => [groupKey(p, GROUP_PAT_1_33), { type: "string" }]),
);

export const get_1_35 = clone(get_1_33);
get_1_35.properties.root_required = { type: ["string"] };

export const get_1_36 = clone(get_1_35);
get_1_36.properties.same_subtree = { type: ["string"] };

const BY_VERSION: [number, Schema][] = [
  [36, get_1_36],
  [35, get_1_35],
  [33, get_1_33],
  [31, get_1_31],
  [25, get_1_25],
  [21, get_1_21],
  [17, get_1_17],
  [16, get_1_16],
];

export function getSchema(v: Version): Schema {
  for (const [minor, s] of BY_VERSION) if (v.atLeast(1, minor)) return s;
  return get_1_10;
}
