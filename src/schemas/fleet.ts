// Query schemas of the dashboard's own reads (/ui/api/...): Berth's, not the reference's.
const uuid = { type: "string", pattern: "^[0-9a-fA-F-]{32,36}$" };
const name = { type: "string", minLength: 1, maxLength: 255 };
const count = (max: number) => ({ type: "string", pattern: `^[0-9]{1,${String(max).length}}$` });

export const MAX_RANKED = 100;
export const MAX_PAGE = 500;
export const MAX_NAMES = 500;

/** GET /ui/api/fleet: the filters (each narrows to trees), the ranked class and how many ranked. */
export const getFleet = {
  type: "object",
  properties: { aggregate: uuid, trait: name, tree: uuid, resource_class: name, limit: count(MAX_RANKED) },
  additionalProperties: false,
};

export const getFilters = { type: "object", properties: {}, additionalProperties: false };

/** GET /ui/api/trees: a page of roots, searched by name or uuid. */
export const getTrees = {
  type: "object",
  properties: { q: { type: "string", maxLength: 255 }, offset: count(1e9), limit: count(MAX_PAGE) },
  additionalProperties: false,
};

export const getTree = { type: "object", properties: {}, additionalProperties: false };

/** GET /ui/api/consumers: a page of consumers and the usage groups over the same filter. */
export const getConsumers = {
  type: "object",
  properties: { project_id: name, user_id: name, consumer_type: name, offset: count(1e9), limit: count(MAX_PAGE) },
  additionalProperties: false,
};

/** GET /ui/api/names?uuid=a,b,c */
export const getNames = {
  type: "object",
  properties: { uuid: { type: "string", pattern: "^[0-9a-fA-F-]{32,36}(,[0-9a-fA-F-]{32,36})*$" } },
  required: ["uuid"],
  additionalProperties: false,
};
