// noauth2 as the reference does it, and the policy check handlers call.
import { HttpError } from "./errors.js";
import type { Ctx } from "./context.js";
import { PolicyNotAuthorized, type Credentials } from "../policy/index.js";

export function unauthorized(): HttpError {
  return new HttpError(401, "", undefined, {}, {}, true);
}

/**
 * `X-Auth-Token: user[:project]`; roles from X-Roles, else `admin` for the user admin;
 * `OpenStack-System-Scope` makes the token system scoped (no project).
 */
export function noauthCredentials(headers: Headers): Credentials | undefined {
  const token = headers.get("x-auth-token");
  if (token === null) return undefined;
  const i = token.indexOf(":");
  const userId = i < 0 ? token : token.slice(0, i);
  const projectId = (i < 0 ? "" : token.slice(i + 1)) || userId;
  const rolesHeader = headers.get("x-roles");
  const roles = rolesHeader !== null ? rolesHeader.split(",").map((r) => r.trim()).filter(Boolean) : userId === "admin" ? ["admin"] : [];
  const systemScope = headers.get("openstack-system-scope") || null;
  return { userId, projectId: systemScope ? null : projectId, roles, systemScope };
}

/** Raises the reference's 403 when the policy refuses `rule` for the caller. */
export function authorize(ctx: Ctx, rule: string, target?: Record<string, unknown>): void {
  try {
    ctx.deps.enforcer.authorize(rule, target ?? { project_id: ctx.creds.projectId, user_id: ctx.creds.userId }, ctx.creds);
  } catch (e) {
    if (e instanceof PolicyNotAuthorized) {
      const err = new HttpError(403, e.message);
      err.returned = false;
      throw err;
    }
    throw e;
  }
}
