// Allocation candidates (1.10+): which providers could satisfy a set of request groups.
import type { Ctx } from "../http/context.js";
import type { Version } from "../http/microversion.js";
import { authorize } from "../http/auth.js";
import { checkQuery } from "../http/body.js";
import { badRequest, ErrorCodes } from "../http/errors.js";
import { cacheHeaders } from "../http/respond.js";
import { parseMemberOf, parseRequired, parseRequiredValue, parseResources, pyInt } from "../http/query.js";
import { policies } from "../policies/index.js";
import { isUuidLike } from "../python/uuid.js";
import * as schema from "../schemas/allocation-candidate.js";
import { UnknownResourceClass, UnknownTrait } from "../objects/provider-filter.js";
import {
  checkGroups,
  CandidateQueryError,
  newGroup,
  type CandidateRequest,
  type GroupPolicy,
  type RequestGroup,
  type RequestWide,
} from "../objects/candidates/request.js";
import { findCandidates, type SearchOptions, type SearchResult } from "../objects/candidates/search.js";
import { explainCandidates } from "../objects/candidates/explain-read.js";
import { responseBody, type BodyOptions } from "../http/candidate-body.js";
import { first } from "@berth/client/common";

const CODES = {
  bad_value: ErrorCodes.QUERYPARAM_BAD_VALUE,
  missing_value: ErrorCodes.QUERYPARAM_MISSING_VALUE,
  duplicate_key: ErrorCodes.ILLEGAL_DUPLICATE_QUERYPARAM,
} as const;

export async function list(ctx: Ctx): Promise<Response> {
  authorize(ctx, policies.allocationCandidate.LIST);
  checkQuery(ctx, schema.getSchema(ctx.version));
  const v = ctx.version;
  try {
    const req = parseRequest(ctx.url.searchParams, v);
    const found = await findCandidates(ctx.deps.store.db, req, searchOptions(ctx));
    if (found.truncated) ctx.deps.logger.warn({ requestId: ctx.requestId }, "allocation candidate search stopped at its ceiling");
    // NOTE: served over HTTP the body is written into a kept buffer that comes back once the
    // response is written; in process (no afterSent) into one of its own.
    const sent = ctx.afterSent;
    const buffers = ctx.deps.bodyBuffers;
    const body = responseBody(found, bodyOptions(v, req, found), sent ? buffers : undefined);
    if (sent) sent(() => buffers.give(body));
    const headers = { "content-type": "application/json", ...cacheHeaders(ctx, ctx.deps.clock()), "content-length": String(body.length) };
    return new Response(body, { status: 200, headers });
  } catch (e) {
    throw queryError(e);
  }
}

/**
 * GET /allocation_candidates/explain (Berth's own, docs/explain.md): the same query, parsed and
 * refused by the same code as the list, answered with why candidates fit or not.
 */
export async function explain(ctx: Ctx): Promise<Response> {
  authorize(ctx, policies.allocationCandidate.EXPLAIN);
  checkQuery(ctx, schema.getSchema(ctx.version));
  try {
    const req = parseRequest(ctx.url.searchParams, ctx.version);
    const r = await explainCandidates(ctx.deps.store.db, req, searchOptions(ctx));
    const doc = {
      explain_version: EXPLAIN_VERSION,
      microversion: ctx.version.toString(),
      source: r.source,
      fits: r.candidates > 0,
      candidates: r.candidates,
      truncated: r.truncated,
      summary: r.summary,
      ...r.explanation,
    };
    return new Response(JSON.stringify(doc), { status: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" } });
  } catch (e) {
    throw queryError(e);
  }
}

/** Version of the explanation document (not a Placement microversion). */
export const EXPLAIN_VERSION = "1.0";

function searchOptions(ctx: Ctx): SearchOptions {
  const cfg = ctx.deps.config.placement;
  return {
    maxCandidates: cfg.maxAllocationCandidates,
    randomize: cfg.randomizeAllocationCandidates,
    strategy: cfg.allocationCandidatesGenerationStrategy,
    sqlite: ctx.deps.store.sqlite,
    readArrays: ctx.deps.store.readArrays,
    snapshots: ctx.deps.candidateSnapshots,
  };
}

/** The reference's 400s for a query it refuses (the list's and the explanation's). */
function queryError(e: unknown): unknown {
  if (e instanceof CandidateQueryError) return badRequest(e.message, e.code && CODES[e.code]);
  if (e instanceof UnknownResourceClass) return badRequest(`Invalid resource class in resources parameter: ${e.message}`);
  if (e instanceof UnknownTrait) return badRequest(e.message);
  return e;
}

/** What the body holds at this microversion. */
export function bodyOptions(v: Version, req: CandidateRequest, found: SearchResult): BodyOptions {
  return {
    dictForm: v.atLeast(1, 12),
    mappings: v.atLeast(1, 34),
    traits: v.atLeast(1, 17),
    allClasses: v.atLeast(1, 27),
    treeUuids: v.atLeast(1, 29),
    oldNested: !req.nestedAware && found.world.hasTrees,
    requestedClasses: new Set(req.groups.flatMap((g) => [...g.resources.keys()])),
  };
}

const KEY = /^(resources|required|member_of|in_tree)([1-9][0-9]*)?$/;
const KEY_1_33 = /^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$/;

/** The query as request groups and request-wide parameters, with the reference's 400s in its order. */
export function parseRequest(params: URLSearchParams, v: Version): CandidateRequest {
  const wide = parseWide(params);
  const groups = new Map<string, RequestGroup>();
  const pattern = v.atLeast(1, 33) ? KEY_1_33 : KEY;
  for (const [key, value] of params) {
    const m = pattern.exec(key);
    if (!m) continue;
    const [, prefix, suffix = ""] = m;
    let g = groups.get(suffix);
    if (!g) groups.set(suffix, (g = newGroup(suffix)));
    if (prefix === "resources") g.resources = parseResources(value);
    else if (prefix === "required") {
      const r = parseRequired(params.getAll(key), v);
      g.requiredTraits = r.required;
      g.forbiddenTraits = r.forbidden;
    } else if (prefix === "member_of") {
      const r = parseMemberOf(params.getAll(key), v, suffix);
      g.memberOf = r.required;
      g.forbiddenAggs = r.forbidden;
    } else {
      const tree = value.trim();
      if (!isUuidLike(tree)) {
        throw badRequest(`Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: ${value}`);
      }
      g.inTree = tree;
    }
  }
  const list = [...groups.values()];
  checkGroups(list, wide, { sameSubtree: v.atLeast(1, 36), forbidden: v.atLeast(1, 22) });
  return { groups: list, wide, nestedAware: v.atLeast(1, 29) };
}

function parseWide(params: URLSearchParams): RequestWide {
  // NOTE: the schema checks the last value of a repeated key, the reference then uses the first.
  const limit = params.has("limit") ? pyInt(first(params.getAll("limit"))) : undefined;
  const groupPolicy = (params.getAll("group_policy")[0] as GroupPolicy | undefined) || undefined;
  let rootRequired: string[] = [];
  let rootForbidden: string[] = [];
  const root = params.getAll("root_required");
  if (root.length > 1) {
    throw new CandidateQueryError("Query parameter 'root_required' may be specified only once.", "duplicate_key");
  }
  if (root.length) {
    const r = parseRequiredValue(first(root), true, false);
    rootRequired = [...new Set(r.required.flat())];
    rootForbidden = r.forbidden;
    const conflicts = rootForbidden.filter((t) => rootRequired.includes(t));
    if (conflicts.length) {
      throw new CandidateQueryError(`Conflicting required and forbidden traits found in root_required: ${conflicts.join(", ")}`, "bad_value");
    }
  }
  const sameSubtrees: string[][] = [];
  for (const value of params.getAll("same_subtree")) {
    const suffixes = [...new Set(value.split(",").map((s) => s.trim()))];
    if (suffixes.includes("")) {
      throw new CandidateQueryError("Empty string (unsuffixed group) can not be specified in `same_subtree` ", "bad_value");
    }
    sameSubtrees.push(suffixes);
  }
  return { limit, groupPolicy, rootRequired, rootForbidden, sameSubtrees };
}
