// GET /capabilities[/{type}[/{id}]]: what the caller may do here, at three levels (the service, a
// type of resource, one provider or consumer), judged by the same policy rules, roles and scope
// that would judge the real requests, and for one instance by its state too. Berth's own paths:
// additive, not in the reference (docs/capabilities.md has the documents and their JSON Schema).
import { createHash } from "node:crypto";
import type { Ctx } from "../http/context.js";
import { authorize } from "../http/auth.js";
import { notFound } from "../http/errors.js";
import { MAX_VERSION, MIN_VERSION } from "../http/microversion.js";
import { CAPABILITIES_VERSION, FEATURES, FIELDS, OPERATIONS, QUERY, TYPES, type CapabilityType, type OperationInfo } from "../http/capabilities.js";
import { ALL_DEFAULTS, policies } from "../policies/index.js";
import { defaultTarget, tokenScope } from "../policy/credentials.js";
import { findProvider } from "../objects/resource-provider.js";
import { allocationsOfConsumer } from "../objects/allocation.js";
import { providerState } from "../objects/capabilities.js";

/** The types with instance documents, and the template of their links. */
const INSTANCE_LINKS: Partial<Record<CapabilityType, string>> = {
  resource_providers: "/capabilities/resource_providers/{uuid}",
  allocations: "/capabilities/allocations/{consumer_uuid}",
};

const SCOPES = new Map(ALL_DEFAULTS.map((r) => [r.name, r.scopeTypes]));

interface Refusal {
  /** "policy": the rule refused this caller; "scope": the token's scope is not one the rule takes; "state": the instance's state. */
  reason: "policy" | "scope" | "state";
  rule?: string;
  check?: string;
  /** The check with every `rule:` reference replaced by its own check. */
  expanded?: string;
  detail: string;
}

function expand(ctx: Ctx, check: string, depth = 0): string {
  return check.replace(/rule:([\w:.-]+)/g, (ref, name: string) => {
    const inner = ctx.deps.enforcer.describe(name);
    return inner !== undefined && depth < 5 ? `(${expand(ctx, inner, depth + 1)})` : ref;
  });
}

interface OperationAnswer {
  id: string;
  method: string;
  path: string;
  type: CapabilityType;
  since: string;
  allowed: boolean;
  refused_by?: Refusal[];
  /** What a request must respect to succeed (instance documents). */
  conditions?: string[];
}

/** Whether the caller may perform `op` (its policy rule with the caller's own target), and if not why. */
function judge(ctx: Ctx, op: OperationInfo): OperationAnswer {
  const answer: OperationAnswer = { id: op.id, method: op.method, path: op.path, type: op.type, since: op.since, allowed: true };
  const { enforcer, config } = ctx.deps;
  if (enforcer.check(op.rule, defaultTarget(ctx.creds), ctx.creds)) {
    // NOTE: a rule that takes the project from the target (GET /usages' project reader) allows the
    // caller's own project only: said as a condition.
    if (!enforcer.check(op.rule, { ...defaultTarget(ctx.creds), project_id: "\u0000another project" }, ctx.creds))
      answer.conditions = [`only for project_id=${ctx.creds.projectId} (the token's project)`];
    return answer;
  }
  const scope = tokenScope(ctx.creds);
  const scopes = SCOPES.get(op.rule) ?? [];
  const wrongScope = config.policy.enforceScope && scopes.length > 0 && !scopes.includes(scope);
  answer.allowed = false;
  answer.refused_by = [
    wrongScope
      ? { reason: "scope", rule: op.rule, detail: `the rule takes ${scopes.join(" or ")}-scoped tokens; this one is ${scope}-scoped` }
      : {
          reason: "policy",
          rule: op.rule,
          check: enforcer.describe(op.rule),
          expanded: expand(ctx, enforcer.describe(op.rule) ?? ""),
          detail: `the rule ${op.rule} refuses this caller`,
        },
  ];
  return answer;
}

function caller(ctx: Ctx) {
  const c = ctx.creds;
  return { user_id: c.userId, project_id: c.projectId, roles: [...c.roles], scope: tokenScope(c), system_scope: c.systemScope };
}

/**
 * The document as JSON with an ETag (a hash of the body): it differs by caller, so it is private to
 * them (Vary on what names the caller); a client revalidates with If-None-Match and gets a 304.
 */
function cacheable(ctx: Ctx, body: unknown, maxAge: number): Response {
  const text = JSON.stringify(body);
  const etag = `"${createHash("sha256").update(text).digest("base64url").slice(0, 27)}"`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    etag,
    "cache-control": `private, max-age=${maxAge}`,
    vary: "X-Auth-Token, X-Service-Token, X-Roles, OpenStack-System-Scope",
  };
  const match = ctx.req.headers.get("if-none-match");
  if (match?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) return new Response(null, { status: 304, headers });
  return new Response(text, { status: 200, headers });
}

export function service(ctx: Ctx): Response {
  return cacheable(
    ctx,
    {
      capabilities_version: CAPABILITIES_VERSION,
      level: "service",
      microversions: { min: MIN_VERSION, max: MAX_VERSION },
      caller: caller(ctx),
      operations: OPERATIONS.map((op) => judge(ctx, op)),
      features: FEATURES,
      types: TYPES.map((t) => ({ type: t, href: `/capabilities/${t}` })),
    },
    60,
  );
}

function typeOf(ctx: Ctx): CapabilityType {
  const t = ctx.params.type!;
  if (!(TYPES as readonly string[]).includes(t)) throw notFound(`No capabilities for ${JSON.stringify(t)}: the types are ${TYPES.join(", ")}.`);
  return t as CapabilityType;
}

export function forType(ctx: Ctx): Response {
  const type = typeOf(ctx);
  return cacheable(
    ctx,
    {
      capabilities_version: CAPABILITIES_VERSION,
      level: "type",
      type,
      caller: caller(ctx),
      operations: OPERATIONS.filter((op) => op.type === type).map((op) => judge(ctx, op)),
      query_parameters: QUERY[type] ?? [],
      fields: FIELDS[type],
      instances: INSTANCE_LINKS[type] ?? null,
    },
    60,
  );
}

export async function forInstance(ctx: Ctx): Promise<Response> {
  const type = typeOf(ctx);
  const id = ctx.params.id!;
  const db = ctx.deps.store.db;
  if (type === "resource_providers") {
    // NOTE: only a caller who may see the provider learns whether it exists and its state.
    authorize(ctx, policies.resourceProvider.SHOW);
    const rp = await findProvider(db, id);
    if (!rp) throw notFound(`No resource provider with uuid ${id} found`);
    const state = await providerState(db, rp);
    const operations = OPERATIONS.filter((op) => op.path.startsWith("/resource_providers/{uuid}")).map((op) => {
      const a = judge(ctx, op);
      const { refused, conditions } = state.judge(op.method, op.path);
      if (refused.length) {
        a.allowed = false;
        a.refused_by = [...(a.refused_by ?? []), ...refused.map((detail) => ({ reason: "state" as const, detail }))];
      }
      if (conditions.length) a.conditions = conditions;
      return a;
    });
    return cacheable(ctx, { capabilities_version: CAPABILITIES_VERSION, level: "instance", type, id, caller: caller(ctx), state: state.facts, operations }, 0);
  }
  if (type === "allocations") {
    authorize(ctx, policies.allocation.ALLOC_LIST);
    const a = await allocationsOfConsumer(db, id);
    const exists = a.providers.size > 0;
    const facts = exists
      ? {
          exists,
          consumer_generation: a.generation,
          project_id: a.project,
          user_id: a.user,
          consumer_type: a.consumerType ?? null,
          providers: [...a.providers.keys()].sort(),
        }
      : { exists, consumer_generation: null };
    const operations = OPERATIONS.filter((op) => op.path === "/allocations/{consumer_uuid}").map((op) => {
      const ans = judge(ctx, op);
      if (op.method === "DELETE" && !exists) {
        ans.allowed = false;
        ans.refused_by = [...(ans.refused_by ?? []), { reason: "state", detail: `consumer ${id} has no allocations to delete (404)` }];
      }
      return ans;
    });
    return cacheable(ctx, { capabilities_version: CAPABILITIES_VERSION, level: "instance", type, id, caller: caller(ctx), state: facts, operations }, 0);
  }
  throw notFound(`Instances of ${type} have no capabilities document; resource_providers and allocations do.`);
}
