// The shape of a registered policy default. Descriptions are left out: Berth
// does not generate sample policy files or docs from them.
import type { TokenScope } from "../policy/credentials.js";

export interface DeprecatedRule {
  readonly name: string;
  readonly checkStr: string;
}

export interface Operation {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
}

export interface RuleDefault {
  readonly name: string;
  /** The new (secure RBAC) default. */
  readonly checkStr: string;
  /** Token scopes allowed; empty means the rule is never scope-checked. */
  readonly scopeTypes: readonly TokenScope[];
  /** The legacy default OR-ed in when new defaults are not enforced. */
  readonly deprecatedRule?: DeprecatedRule;
  /** The API calls guarded by this rule (base rules have none). */
  readonly operations: readonly Operation[];
}

const PROJECT: readonly TokenScope[] = Object.freeze(["project"]);

/** A per-API rule: placement scopes every one of them to project tokens. */
export function apiRule(name: string, checkStr: string, ...operations: Operation[]): RuleDefault {
  return Object.freeze({ name, checkStr, scopeTypes: PROJECT, operations: Object.freeze(operations) });
}

export const op = (method: Operation["method"], path: string): Operation => Object.freeze({ method, path });
