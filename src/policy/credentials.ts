// Who is acting. The auth middleware (noauth2 or keystonemiddleware headers)
// builds this once per request.
import type { PolicyCreds } from "./evaluate.js";

export interface Credentials {
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly roles: readonly string[];
  /** "all" for a system-scoped token; absent/null for project scope. */
  readonly systemScope?: string | null;
  readonly isAdmin?: boolean;
  /** Keystone tokens only: the domains of the user and project, and the domain of a domain-scoped token. */
  readonly userDomainId?: string | null;
  readonly projectDomainId?: string | null;
  readonly domainId?: string | null;
  /** Who sent a valid X-Service-Token along with the user's token (keystone only). */
  readonly service?: ServiceCredentials;
}

export interface ServiceCredentials {
  readonly userId: string;
  readonly userDomainId: string | null;
  readonly projectId: string | null;
  readonly projectDomainId: string | null;
  readonly roles: readonly string[];
}

export type TokenScope = "system" | "domain" | "project";

/** The scope oslo.policy infers: system if system_scope is set, else domain if domain_id is, else project. */
export function tokenScope(creds: Credentials): TokenScope {
  return creds.systemScope ? "system" : creds.domainId ? "domain" : "project";
}

/**
 * The snake_case dictionary generic checks walk, with the keys oslo.context's
 * to_policy_values() would provide (plus oslo's `system` alias for
 * system_scope), so operator rules like `user_id:%(user_id)s` or
 * `system_scope:all` address the same names as under the reference.
 */
export function toPolicyCreds(creds: Credentials): PolicyCreds {
  const out: Record<string, unknown> = {
    user_id: creds.userId,
    project_id: creds.projectId,
    roles: [...creds.roles],
    system_scope: creds.systemScope ?? null,
    user_domain_id: creds.userDomainId ?? null,
    project_domain_id: creds.projectDomainId ?? null,
    domain_id: creds.domainId ?? null,
    service_user_id: creds.service?.userId ?? null,
    service_user_domain_id: creds.service?.userDomainId ?? null,
    service_project_id: creds.service?.projectId ?? null,
    service_project_domain_id: creds.service?.projectDomainId ?? null,
    service_roles: [...(creds.service?.roles ?? [])],
  };
  if (creds.systemScope) out.system = creds.systemScope;
  if (creds.isAdmin !== undefined) out.is_admin = creds.isAdmin;
  return out;
}

/**
 * The target the reference uses when a handler names none: the caller's own
 * project and user. Every placement handler authorizes against this except
 * GET /usages, which passes `{ project_id: <the project_id query parameter> }`
 * (null when absent) before validating the query, so a project reader may
 * only read its own project's totals via `project_id:%(project_id)s`.
 */
export function defaultTarget(creds: Credentials): Record<string, unknown> {
  return { project_id: creds.projectId, user_id: creds.userId };
}
