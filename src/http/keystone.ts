// [api] auth_strategy = keystone: token validation with the semantics of keystonemiddleware's
// auth_token as the reference configures it. Berth authenticates itself (password), validates each
// X-Auth-Token (and X-Service-Token) with GET /v3/auth/tokens, and caches valid answers in process.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { KeystoneConfig } from "../config.js";
import type { Credentials } from "../policy/index.js";
import { effectiveAccept, errorFormat } from "./accept.js";

/** Keystone could not be asked, or answered something other than yes or no: a 503. */
export class KeystoneUnavailable extends Error {}
/** Keystone says no (or the token's body makes no sense, or it has expired): a 401. */
class InvalidToken extends Error {}

/** What Berth keeps of a validated token. */
export interface TokenInfo {
  readonly userId: string;
  readonly userDomainId: string | null;
  readonly projectId: string | null;
  readonly projectDomainId: string | null;
  readonly domainId: string | null;
  /** "all" for `system: {all: true}`. */
  readonly systemScope: string | null;
  readonly roles: readonly string[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  /** An application credential's access rules, when the token has them. */
  readonly accessRules?: readonly AccessRule[];
}

export interface AccessRule {
  readonly service: string;
  readonly method: string;
  readonly path: string;
}

/** The problem with [keystone_authtoken] that stops start-up, if any. */
export function keystoneConfigProblem(k: KeystoneConfig): string | undefined {
  const where = "[keystone_authtoken]";
  if (k.authSection) return `${where} auth_section is not supported by Berth: put the auth options in ${where} itself`;
  if (!k.authType)
    return `${where} auth_type is not set: Berth supports auth_type = password (with auth_url, username, password, project_name...); the legacy admin_user/admin_password options are not supported`;
  if (k.authType !== "password") return `${where} auth_type = ${k.authType} is not supported by Berth: use auth_type = password`;
  if (k.delayAuthDecision) return `${where} delay_auth_decision = true is not supported by Berth`;
  if (!k.authUrl) return `${where} auth_url is required with auth_type = password`;
  if (!/^https?:\/\/[^/]/i.test(k.authUrl) || !URL.canParse(k.authUrl)) return `${where} auth_url = ${k.authUrl} is not an http:// or https:// URL`;
  if (!k.username && !k.userId) return `${where} username (or user_id) is required with auth_type = password`;
  if (k.password === undefined) return `${where} password is required with auth_type = password`;
  if (k.systemScope && k.systemScope !== "all") return `${where} system_scope must be all when set`;
  for (const [name, file] of [
    ["cafile", k.cafile],
    ["certfile", k.certfile],
    ["keyfile", k.keyfile],
  ] as const) {
    if (!file) continue;
    try {
      readFileSync(file);
    } catch (e) {
      return `${where} ${name}: cannot read ${file} (${(e as Error).message})`;
    }
  }
  return undefined;
}

/** The body of POST /v3/auth/tokens for keystoneauth's `password` plugin with these options. */
export function passwordAuthBody(k: KeystoneConfig): unknown {
  const defaultDomain = k.defaultDomainId ? { id: k.defaultDomainId } : k.defaultDomainName ? { name: k.defaultDomainName } : undefined;
  const domainOf = (id?: string, name?: string) => (id ? { id } : name ? { name } : defaultDomain);
  const user = k.userId
    ? { id: k.userId, password: k.password }
    : { name: k.username, domain: domainOf(k.userDomainId, k.userDomainName), password: k.password };
  let scope: unknown;
  if (k.projectId) scope = { project: { id: k.projectId } };
  else if (k.projectName) scope = { project: { name: k.projectName, domain: domainOf(k.projectDomainId, k.projectDomainName) } };
  else if (k.domainId || k.domainName) scope = { domain: k.domainId ? { id: k.domainId } : { name: k.domainName } };
  else if (k.trustId) scope = { "OS-TRUST:trust": { id: k.trustId } };
  else if (k.systemScope) scope = { system: { all: true } };
  return { auth: { identity: { methods: ["password"], password: { user } }, ...(scope ? { scope } : {}) } };
}

/** The Identity v3 URL of the catalog's identity endpoint for `iface` (and `region`, when set). */
export function identityEndpoint(catalog: unknown, iface: string, region: string | undefined): string | undefined {
  if (!Array.isArray(catalog)) return undefined;
  for (const service of catalog as { type?: unknown; endpoints?: unknown }[]) {
    if (service?.type !== "identity" || !Array.isArray(service.endpoints)) continue;
    for (const e of service.endpoints as { interface?: unknown; region?: unknown; region_id?: unknown; url?: unknown }[]) {
      if (e.interface !== iface || typeof e.url !== "string") continue;
      if (region && e.region_id !== region && e.region !== region) continue;
      return v3(e.url);
    }
  }
  return undefined;
}

/** An identity URL as given in configs and catalogs (unversioned, /v3, /v2.0) -> its /v3 root. */
export function v3(url: string): string {
  const base = url.replace(/\/+$/, "");
  if (/\/v3$/.test(base)) return base;
  if (/\/v2\.0$/.test(base)) return base.replace(/\/v2\.0$/, "/v3");
  return `${base}/v3`;
}

/** Reads a token body (`{"token": {...}}`) the way keystoneauth's AccessInfo does; throws InvalidToken. */
export function parseTokenBody(body: unknown): TokenInfo {
  const t = (body as { token?: Record<string, any> } | null)?.token;
  const userId = t?.user?.id;
  const expiresAt = typeof t?.expires_at === "string" ? Date.parse(t.expires_at) : NaN;
  if (typeof userId !== "string" || Number.isNaN(expiresAt)) throw new InvalidToken("Invalid token contents.");
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const roles = Array.isArray(t!.roles) ? (t!.roles as { name?: unknown }[]).map((r) => r?.name).filter((n): n is string => typeof n === "string") : [];
  return {
    userId,
    userDomainId: str(t!.user?.domain?.id),
    projectId: str(t!.project?.id),
    projectDomainId: str(t!.project?.domain?.id),
    domainId: str(t!.domain?.id),
    systemScope: t!.system?.all === true ? "all" : null,
    roles,
    expiresAt,
    // NOTE: a malformed rule (not an object of strings) is dropped: it allows nothing.
    ...(Array.isArray(t!.application_credential?.access_rules)
      ? { accessRules: (t!.application_credential.access_rules as unknown[]).filter(isAccessRule) }
      : {}),
  };
}

/**
 * Whether an access rule's path pattern matches a request path, as keystonemiddleware: `*` and
 * `{name}` are one path segment, `**` is anything.
 */
export function accessPathMatches(path: string, pattern: string): boolean {
  let re = "";
  for (const m of pattern.matchAll(/(\{[^}]*\})|(\*(?=$|[^*]))|(\*\*)|([^{}*])/g)) {
    if (m[1] || m[2]) re += "[^/]+";
    else if (m[3]) re += ".*";
    else if (m[4]) re += m[4].replace(/[.+?^$|()[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(path);
}

/** The path percent-decoded (as routed); the raw path when it is not valid percent-encoding. */
export function decodedPath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function isAccessRule(r: unknown): r is AccessRule {
  const o = r as Record<string, unknown> | null;
  return !!o && typeof o === "object" && typeof o.method === "string" && typeof o.path === "string" && typeof o.service === "string";
}

/** keystonemiddleware's check of a token restricted by access rules; true when the request may go on. */
export function accessAllowed(rules: readonly AccessRule[], serviceType: string | undefined, method: string, path: string, withServiceToken: boolean): boolean {
  // NOTE: without [keystone_authtoken] service_type such tokens are refused, as in the reference.
  if (!serviceType) return false;
  // A service token means a chain of requests between services, not a user's own request.
  if (withServiceToken) return true;
  return rules.some((r) => r.method === method && r.service === serviceType && accessPathMatches(path, r.path));
}

// NOTE: keystonemiddleware's own 401 body, sent whatever the Accept header.
const UNAUTHORIZED_BODY = JSON.stringify({
  error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
});
// NOTE: webob's HTTPServiceUnavailable with keystonemiddleware's detail, in the form webob picks
// from the Accept header as the reference's request log leaves it (none or */* is JSON).
const UNAVAILABLE_EXPLANATION = "The server is currently unavailable. Please try again at a later time.";
const UNAVAILABLE_DETAIL = "The Keystone service is temporarily unavailable.";
const UNAVAILABLE: Record<"json" | "html" | "plain", { body: string; type: string }> = {
  json: {
    body: JSON.stringify({
      message: `${UNAVAILABLE_EXPLANATION}<br /><br />\n${UNAVAILABLE_DETAIL}\n\n`,
      code: "503 Service Unavailable",
      title: "Service Unavailable",
    }),
    type: "application/json",
  },
  html: {
    body: `<html>\n <head>\n  <title>503 Service Unavailable</title>\n </head>\n <body>\n  <h1>503 Service Unavailable</h1>\n  ${UNAVAILABLE_EXPLANATION}<br /><br />\n${UNAVAILABLE_DETAIL}\n\n\n </body>\n</html>`,
    type: "text/html; charset=UTF-8",
  },
  plain: { body: `503 Service Unavailable\n\n${UNAVAILABLE_EXPLANATION}\n\n ${UNAVAILABLE_DETAIL}  `, type: "text/plain; charset=UTF-8" },
};

/** Keystoneauth's margin: Berth's own token is renewed when it has less than this left. */
const OWN_TOKEN_MIN_LIFE_MS = 120_000;
/** http_connect_timeout unset: the reference waits forever; Berth gives up after this. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The in-process cache forgets its oldest entries beyond this many tokens. */
const MAX_CACHED = 10_000;

interface Reply {
  status: number;
  body: string;
  subjectToken: string | undefined;
}

interface OwnToken {
  token: string;
  expiresAt: number;
  endpoint: string;
}

export interface KeystoneOptions {
  readonly config: KeystoneConfig;
  readonly logger: Logger;
  readonly clock: () => Date;
}

/** Validates tokens with Keystone; one per app. */
export class KeystoneAuth {
  /** Requests sent to Keystone, by kind (tests and logs read these). */
  readonly counts = { authenticate: 0, validate: 0, retries: 0 };
  private readonly k: KeystoneConfig;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly wwwAuthenticate: string;
  private readonly timeoutMs: number;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;
  private readonly cache = new Map<string, { info: TokenInfo; until: number }>();
  private readonly inflight = new Map<string, Promise<TokenInfo>>();
  private own: OwnToken | undefined;
  private ownPending: Promise<OwnToken> | undefined;
  private warnedServiceToken = false;

  constructor(opts: KeystoneOptions) {
    this.k = opts.config;
    this.logger = opts.logger;
    this.clock = opts.clock;
    let uri = this.k.wwwAuthenticateUri;
    if (!uri) {
      uri = this.k.authUrl ?? "";
      this.logger.warn(
        `Configuring [keystone_authtoken] www_authenticate_uri to point to the public identity endpoint is required; using auth_url (${uri}) in WWW-Authenticate`,
      );
    }
    this.wwwAuthenticate = `Keystone uri="${uri}"`;
    this.timeoutMs = this.k.httpConnectTimeout ? this.k.httpConnectTimeout * 1000 : DEFAULT_TIMEOUT_MS;
    const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      ca: read(this.k.cafile),
      cert: read(this.k.certfile),
      key: read(this.k.keyfile),
      rejectUnauthorized: !this.k.insecure,
    });
  }

  /** The caller's credentials, or the reference's 401 or 503 response. */
  async authenticate(req: Request): Promise<Credentials | Response> {
    const headers = req.headers;
    try {
      let allowExpired = false;
      let service: TokenInfo | undefined;
      const serviceToken = headers.get("x-service-token")?.trim();
      if (serviceToken) {
        service = await this.validate(serviceToken, false).catch(invalidAs(undefined));
        if (!service) return this.unauthorized();
        const passed = service.roles.some((r) => this.k.serviceTokenRoles.includes(r));
        if (this.k.serviceTokenRolesRequired && !passed) return this.unauthorized();
        if (!passed && !this.warnedServiceToken) {
          this.warnedServiceToken = true;
          this.logger.warn(
            "A valid token was submitted as a service token, but it was not a valid service token (none of [keystone_authtoken] service_token_roles)",
          );
        }
        // NOTE: as keystonemiddleware: only a service token with a service role lets an expired user token through.
        allowExpired = passed;
      }
      const userToken = headers.get("x-auth-token")?.trim();
      if (!userToken) return this.unauthorized();
      const user = await this.validate(userToken, allowExpired).catch(invalidAs(undefined));
      if (!user) return this.unauthorized();
      // NOTE: rules match the decoded path (WSGI's PATH_INFO, and what the router routes on), so a
      // `%2F` cannot smuggle extra segments past a rule written for one.
      if (user.accessRules && !accessAllowed(user.accessRules, this.k.serviceType, req.method, decodedPath(new URL(req.url).pathname), !!service)) {
        this.logger.warn("Token authorization failed: the application credential's access rules do not allow this request ([keystone_authtoken] service_type)");
        return this.unauthorized();
      }
      return credentialsOf(user, service);
    } catch (e) {
      if (!(e instanceof KeystoneUnavailable)) throw e;
      this.logger.error(`Unable to validate token: ${e.message}`);
      const form = UNAVAILABLE[errorFormat(effectiveAccept(headers.get("accept")))];
      return new Response(form.body, { status: 503, headers: { "content-type": form.type } });
    }
  }

  /** Forgets cached tokens and Berth's own token, and closes idle connections. */
  close(): void {
    this.cache.clear();
    this.own = undefined;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private unauthorized(): Response {
    return new Response(UNAUTHORIZED_BODY, {
      status: 401,
      headers: { "content-type": "application/json; charset=UTF-8", "www-authenticate": this.wwwAuthenticate },
    });
  }

  private now(): number {
    return this.clock().getTime();
  }

  /** The token's information from the cache or Keystone; throws InvalidToken when it is not (or no longer) valid. */
  private async validate(token: string, allowExpired: boolean): Promise<TokenInfo> {
    // NOTE: Keystone's tokens are printable ASCII; anything else could not even be sent on (Keystone would say 404).
    if (!/^[\x21-\x7e]+$/.test(token)) throw new InvalidToken("Token authorization failed");
    const key = createHash("sha256").update(token).digest("base64");
    let info = this.cached(key);
    if (!info) {
      // NOTE: concurrent requests with one token share one validation.
      const flightKey = allowExpired ? `${key}+expired` : key;
      let pending = this.inflight.get(flightKey);
      if (!pending) {
        pending = this.fetchToken(token, allowExpired).finally(() => this.inflight.delete(flightKey));
        this.inflight.set(flightKey, pending);
      }
      info = await pending;
      this.remember(key, info);
    }
    // NOTE: as keystonemiddleware, a cached answer is never used past the token's own expiry.
    if (!allowExpired && info.expiresAt <= this.now()) throw new InvalidToken("Token authorization failed");
    return info;
  }

  private cached(key: string): TokenInfo | undefined {
    const hit = this.cache.get(key);
    if (!hit) return undefined;
    if (hit.until > this.now()) return hit.info;
    this.cache.delete(key);
    return undefined;
  }

  /** token_cache_time < 0: no cache; 0: until the token expires (as the reference's in-process cache). */
  private remember(key: string, info: TokenInfo): void {
    const seconds = this.k.tokenCacheTime;
    if (seconds < 0) return;
    const until = seconds === 0 ? info.expiresAt : Math.min(info.expiresAt, this.now() + seconds * 1000);
    this.cache.delete(key);
    this.cache.set(key, { info, until });
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
  }

  private async fetchToken(token: string, allowExpired: boolean): Promise<TokenInfo> {
    for (let attempt = 0; ; attempt++) {
      const own = await this.ownToken();
      const query = allowExpired ? "?nocatalog&allow_expired=1" : "?nocatalog";
      this.counts.validate++;
      const r = await this.send("GET", `${own.endpoint}/auth/tokens${query}`, {
        "x-auth-token": own.token,
        "x-subject-token": token,
        // NOTE: says Berth enforces access rules (below); without it Keystone refuses such tokens itself.
        "openstack-identity-access-rules": "1",
      });
      if (r.status === 200) return parseTokenBody(parseJson(r.body));
      if (r.status === 404) throw new InvalidToken("Token authorization failed");
      if (r.status === 401 && attempt === 0) {
        // NOTE: Berth's own token was refused (revoked, or Keystone's keys rotated): authenticate again, once.
        this.logger.info("Identity server rejected authorization; authenticating again and retrying validation");
        if (this.own === own) this.own = undefined;
        continue;
      }
      throw new KeystoneUnavailable(
        r.status === 401
          ? "Identity server rejected authorization necessary to fetch token data"
          : `Failed to fetch token data from identity server (${r.status}: ${r.body.slice(0, 200)})`,
      );
    }
  }

  /** Berth's own token, authenticating when there is none or it is about to expire. */
  private async ownToken(): Promise<OwnToken> {
    if (this.own && this.own.expiresAt - this.now() > OWN_TOKEN_MIN_LIFE_MS) return this.own;
    this.ownPending ??= this.authenticateSelf().finally(() => (this.ownPending = undefined));
    return (this.own = await this.ownPending);
  }

  private async authenticateSelf(): Promise<OwnToken> {
    this.counts.authenticate++;
    const r = await this.send("POST", `${v3(this.k.authUrl!)}/auth/tokens`, { "content-type": "application/json" }, JSON.stringify(passwordAuthBody(this.k)));
    if (r.status !== 201 || !r.subjectToken) {
      throw new KeystoneUnavailable(
        `Berth could not authenticate to ${this.k.authUrl} as [keystone_authtoken] configures (${r.status}: ${r.body.slice(0, 200)})`,
      );
    }
    let info: TokenInfo;
    let catalog: unknown;
    try {
      const body = parseJson(r.body) as { token?: { catalog?: unknown } };
      info = parseTokenBody(body);
      catalog = body.token?.catalog;
    } catch {
      throw new KeystoneUnavailable("Keystone's answer to Berth's authentication is not a token");
    }
    const endpoint = identityEndpoint(catalog, this.k.interface, this.k.regionName);
    if (!endpoint) {
      throw new KeystoneUnavailable(
        `the catalog of Berth's token has no identity endpoint with interface ${this.k.interface}${this.k.regionName ? ` in region ${this.k.regionName}` : ""} ([keystone_authtoken] interface, region_name)`,
      );
    }
    return { token: r.subjectToken, expiresAt: info.expiresAt, endpoint };
  }

  /** One HTTP exchange, retrying refused or reset connections http_request_max_retries times (0.5 s, 1 s, 2 s... apart). */
  private async send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, url, headers, body);
      } catch (caught) {
        let e = caught;
        // NOTE: a kept-alive connection the server closed meanwhile: try again at once, on a new one.
        if ((e as { stale?: boolean }).stale) {
          this.counts.retries++;
          try {
            return await this.once(method, url, headers, body);
          } catch (again) {
            e = again;
          }
        }
        const retriable = (e as { connectFailure?: boolean }).connectFailure === true;
        if (!retriable || attempt >= this.k.httpRequestMaxRetries) throw new KeystoneUnavailable(`${method} ${url}: ${(e as Error).message}`);
        this.counts.retries++;
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 60_000)));
      }
    }
  }

  private once(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const https = u.protocol === "https:";
      const req = (https ? httpsRequest : httpRequest)(
        u,
        {
          method,
          agent: https ? this.httpsAgent : this.httpAgent,
          headers: {
            accept: "application/json",
            "user-agent": "berth keystone auth",
            ...headers,
            ...(body ? { "content-length": Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            // NOTE: a server that does not say keep-alive (uwsgi's --http-socket) closes the connection
            // after answering; reusing it would fail with ECONNRESET.
            if (!/keep-alive/i.test(String(res.headers.connection ?? ""))) socket?.destroy();
            const subject = res.headers["x-subject-token"];
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), subjectToken: Array.isArray(subject) ? subject[0] : subject });
          });
          res.on("error", fail);
        },
      );
      let connected = false;
      let socket: Socket | undefined;
      req.on("socket", (s) => {
        socket = s;
        if (!s.connecting) connected = true;
        else s.once("connect", () => (connected = true));
      });
      function fail(e: Error) {
        clearTimeout(timer);
        const stale = req.reusedSocket && ["ECONNRESET", "EPIPE"].includes((e as NodeJS.ErrnoException).code ?? "");
        const timedOut = (e as { timedOut?: boolean }).timedOut === true;
        reject(Object.assign(e, { connectFailure: !timedOut && !connected, stale }));
      }
      // NOTE: a timeout is never retried, so a Keystone that does not answer costs one timeout, not four.
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs / 1000} s`), { timedOut: true })), this.timeoutMs);
      req.on("error", fail);
      req.end(body);
    });
  }
}

/** The app's authenticator for auth_strategy = keystone. */
export function keystoneAuthenticator(opts: KeystoneOptions): (req: Request) => Promise<Credentials | Response> {
  const keystone = new KeystoneAuth(opts);
  return (req) => keystone.authenticate(req);
}

/** The credentials the reference's policies see: oslo.context from keystonemiddleware's headers. */
function credentialsOf(user: TokenInfo, service: TokenInfo | undefined): Credentials {
  return {
    userId: user.userId,
    projectId: user.projectId,
    roles: user.roles,
    systemScope: user.systemScope,
    userDomainId: user.userDomainId,
    projectDomainId: user.projectDomainId,
    domainId: user.domainId,
    service: service && {
      userId: service.userId,
      userDomainId: service.userDomainId,
      projectId: service.projectId,
      projectDomainId: service.projectDomainId,
      roles: service.roles,
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidToken("Invalid token contents.");
  }
}

/** A rejection filter: InvalidToken becomes `value`, anything else is rethrown. */
function invalidAs<T>(value: T): (e: unknown) => T {
  return (e) => {
    if (e instanceof InvalidToken) return value;
    throw e;
  };
}
