// Base rules the per-API rules refer to via `rule:NAME`. Upstream placement
// (since 9.0.0) dropped system scope: everything is project-scoped, and the
// admin/service roles are what grant access. The pre-RBAC default was plain
// `role:admin`, kept as the deprecated alternative for legacy mode.
import type { DeprecatedRule, RuleDefault } from "./types.js";

export const base = Object.freeze({
  ADMIN_API: "admin_api",
  SERVICE_API: "service_api",
  ADMIN_OR_SERVICE_API: "admin_or_service_api",
  PROJECT_READER_API: "project_reader_api",
  ADMIN_OR_PROJECT_READER_OR_SERVICE_API: "admin_or_project_reader_or_service_api",
} as const);

/** Check strings that point at the base rules, for the per-API defaults. */
export const ADMIN_OR_SERVICE = `rule:${base.ADMIN_OR_SERVICE_API}`;
export const SERVICE = `rule:${base.SERVICE_API}`;
export const ADMIN_OR_PROJECT_READER_OR_SERVICE = `rule:${base.ADMIN_OR_PROJECT_READER_OR_SERVICE_API}`;

// Upstream names the deprecated rule "rule:admin_api" (sic, with the prefix);
// the name only matters for overrides keyed by it, so we keep it verbatim.
const LEGACY_ADMIN: DeprecatedRule = Object.freeze({ name: "rule:admin_api", checkStr: "role:admin" });

function baseRule(name: string, checkStr: string, scoped: boolean, deprecated: boolean): RuleDefault {
  return Object.freeze({
    name,
    checkStr,
    scopeTypes: Object.freeze(scoped ? (["project"] as const) : []),
    ...(deprecated ? { deprecatedRule: LEGACY_ADMIN } : {}),
    operations: Object.freeze([]),
  });
}

export const baseRules: readonly RuleDefault[] = Object.freeze([
  baseRule(base.ADMIN_API, "role:admin", true, false),
  baseRule(base.SERVICE_API, "role:service", true, true),
  baseRule(base.ADMIN_OR_SERVICE_API, "role:admin or role:service", true, true),
  // Upstream gives this one no scope_types.
  baseRule(base.PROJECT_READER_API, "role:reader and project_id:%(project_id)s", false, true),
  baseRule(base.ADMIN_OR_PROJECT_READER_OR_SERVICE_API, `role:admin or rule:${base.PROJECT_READER_API} or role:service`, true, true),
]);
