// Evaluation of parsed rules against a target (the thing acted on) and
// credentials (who is acting), with oslo.policy's matching semantics.
import type { Check } from "./check.js";
import { interpolate, pyLiteralAsStr, pyStr } from "../python/policy-format.js";

/** Credentials in oslo's snake_case shape, as generic checks address them. */
export type PolicyCreds = Readonly<Record<string, unknown>>;

export interface EvalContext {
  readonly target: Readonly<Record<string, unknown>>;
  readonly creds: PolicyCreds;
  /** Resolve `rule:NAME`; undefined fails the check closed. */
  readonly resolve: (name: string) => Check | undefined;
}

// Rules may reference each other in cycles through operator files; oslo would
// die with RecursionError. We fail closed instead.
const MAX_DEPTH = 64;

export function evaluate(check: Check, ctx: EvalContext, depth = 0): boolean {
  switch (check.kind) {
    case "always":
      return true;
    case "never":
      return false;
    case "not":
      return !evaluate(check.check, ctx, depth);
    case "and":
      return check.checks.every((c) => evaluate(c, ctx, depth));
    case "or":
      return check.checks.some((c) => evaluate(c, ctx, depth));
    case "rule": {
      const next = ctx.resolve(check.name);
      return next !== undefined && depth < MAX_DEPTH && evaluate(next, ctx, depth + 1);
    }
    case "role":
      return roleMatches(check.match, ctx);
    case "generic":
      return genericMatches(check.key, check.match, ctx);
  }
}

function roleMatches(template: string, ctx: EvalContext): boolean {
  const wanted = interpolate(template, ctx.target);
  const roles = ctx.creds.roles;
  if (wanted === undefined || !Array.isArray(roles)) return false;
  const lowered = wanted.toLowerCase();
  return roles.some((r) => pyStr(r).toLowerCase() === lowered);
}

// `key:match`: the right side is substituted from the target; the left side is
// either a literal to compare with (`True:%(enabled)s`) or a dotted path into
// the credentials (`project_id:%(project_id)s`, `token.user.id:...`). Values
// are compared as Python str() renders them, and lists along the path match if
// any element does.
function genericMatches(key: string, template: string, ctx: EvalContext): boolean {
  const wanted = interpolate(template, ctx.target);
  if (wanted === undefined) return false;
  const literal = pyLiteralAsStr(key);
  if (literal !== undefined) return wanted === literal;
  return pathMatches(ctx.creds, key.split("."), wanted);
}

function pathMatches(value: unknown, path: readonly string[], wanted: string): boolean {
  if (path.length === 0) return wanted === pyStr(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const [head, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, head)) return false;
  const next = (value as Record<string, unknown>)[head];
  if (Array.isArray(next)) return next.some((item) => pathMatches(item, rest, wanted));
  return pathMatches(next, rest, wanted);
}
