// Who is calling (noauth2 here, keystone in keystone.ts), the paths that need nobody, and the
// policy check handlers call.
import { errorResponse, HttpError } from "./errors.js";
import { effectiveAccept } from "./accept.js";
import type { Ctx } from "./context.js";
import { PolicyNotAuthorized, type Credentials } from "../policy/index.js";

/** Paths answered without a token: the version document (as the reference) and the health check. */
export const AUTH_BYPASS: ReadonlySet<string> = new Set(["/", "", "/healthcheck"]);

/** The caller's credentials, or the response that refuses the request (401, 503). */
export type Authenticator = (req: Request) => Credentials | Response | Promise<Credentials | Response>;

// NOTE: the reference's noauth2 401 is webob's own JSON rendering, not the API error body.
const NOAUTH_UNAUTHORIZED_BODY = Object.freeze({
  message:
    "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.<br /><br />\n\n\n",
  code: "401 Unauthorized",
  title: "Unauthorized",
});

/** noauth2: any X-Auth-Token is accepted (see noauthCredentials); none is a 401. */
export const noauth: Authenticator = (req) =>
  noauthCredentials(req.headers) ??
  errorResponse(new HttpError(401, ""), { accept: effectiveAccept(req.headers.get("accept")), method: req.method }, () => NOAUTH_UNAUTHORIZED_BODY);

export function unauthorized(): HttpError {
  return new HttpError(401, "", { rawDetail: true });
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
  const roles =
    rolesHeader !== null
      ? rolesHeader
          .split(",")
          .map((r) => r.trim())
          .filter(Boolean)
      : userId === "admin"
        ? ["admin"]
        : [];
  const systemScope = headers.get("openstack-system-scope") || null;
  return { userId, projectId: systemScope ? null : projectId, roles, systemScope };
}

/** Raises the reference's 403 when the policy refuses `rule` for the caller. */
export function authorize(ctx: Ctx, rule: string, target?: Record<string, unknown>): void {
  try {
    ctx.deps.enforcer.authorize(rule, target ?? { project_id: ctx.creds.projectId, user_id: ctx.creds.userId }, ctx.creds);
  } catch (e) {
    if (e instanceof PolicyNotAuthorized) {
      throw new HttpError(403, e.message, { returned: false });
    }
    throw e;
  }
}
