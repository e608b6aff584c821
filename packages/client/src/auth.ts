// Authentication: a static token, or Keystone v3 auth (password, application credential, token)
// with a cached, renewed token.
import { ConnectionError, describeNetworkError, errorFromReply } from "./errors.js";

/** What the transport needs from an authenticator. */
export interface Auth {
  /** Headers to add to each request (X-Auth-Token). */
  headers(): Promise<Record<string, string>>;
  /** The placement endpoint found by the auth (the Keystone catalog), if any. */
  endpoint?(): Promise<string>;
  /** Forget the cached token (after a 401), so the next call fetches a new one. */
  invalidate?(): void;
}

/** A fixed token sent as X-Auth-Token (noauth2 accepts "admin"). */
export function staticToken(token: string): Auth {
  return { headers: async () => ({ "x-auth-token": token }) };
}

/** What every Keystone v3 auth takes: where Keystone is, and which catalog endpoint to pick. */
export interface KeystoneCommonOptions {
  /** The identity endpoint, with or without /v3 (OS_AUTH_URL). */
  authUrl: string;
  /** Catalog interface to pick: public (default), internal or admin. */
  interface?: "public" | "internal" | "admin";
  regionName?: string;
  /** Service type to find in the catalog (default "placement"). */
  serviceType?: string;
  /** Renew this long before the token expires (default 60 s). */
  renewBeforeMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The project a token is scoped to (by id, or by name in a domain, "Default" unless given). */
export interface KeystoneScopeOptions {
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
}

export interface KeystonePasswordOptions extends KeystoneCommonOptions, KeystoneScopeOptions {
  username?: string;
  /** The user's id, instead of username + domain. */
  userId?: string;
  password: string;
  userDomainName?: string;
  userDomainId?: string;
}

export interface KeystoneApplicationCredentialOptions extends KeystoneCommonOptions {
  /** The credential's id; or its name with the owner (username + domain, or userId). */
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret: string;
  username?: string;
  userId?: string;
  userDomainName?: string;
  userDomainId?: string;
}

export interface KeystoneTokenOptions extends KeystoneCommonOptions, KeystoneScopeOptions {
  /** An existing token, exchanged for one scoped as asked (with a catalog). */
  token: string;
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; url: string; region?: string; region_id?: string }[];
}

interface Token {
  value: string;
  expiresAt: number;
  catalog: CatalogEntry[];
}

const domain = (name?: string, id?: string) => (id ? { id } : { name: name ?? "Default" });

function projectScope(o: KeystoneScopeOptions): object | undefined {
  if (o.projectId) return { project: { id: o.projectId } };
  if (o.projectName) return { project: { name: o.projectName, domain: domain(o.projectDomainName, o.projectDomainId) } };
  return undefined;
}

function user(o: { username?: string; userId?: string; userDomainName?: string; userDomainId?: string }): object {
  return o.userId ? { id: o.userId } : { name: o.username, domain: domain(o.userDomainName, o.userDomainId) };
}

/**
 * Keystone v3 authentication: POST /v3/auth/tokens, cached until shortly before it expires; the
 * placement endpoint comes from the token's catalog. Subclasses say which identity method to use.
 */
abstract class KeystoneAuth implements Auth {
  protected readonly opts: KeystoneCommonOptions;
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(opts: KeystoneCommonOptions) {
    this.opts = { ...opts };
  }

  /** The `identity` and optional `scope` of the token request. */
  protected abstract request(): { identity: object; scope?: object };

  async headers(): Promise<Record<string, string>> {
    return { "x-auth-token": (await this.current()).value };
  }

  async endpoint(): Promise<string> {
    const { catalog } = await this.current();
    const type = this.opts.serviceType ?? "placement";
    const iface = this.opts.interface ?? "public";
    const service = catalog.find((s) => s.type === type);
    const ep = service?.endpoints.find(
      (e) =>
        (e.interface === iface || e.interface === `${iface}URL`) &&
        (!this.opts.regionName || e.region_id === this.opts.regionName || e.region === this.opts.regionName),
    );
    if (!ep)
      throw new ConnectionError(
        `no ${iface} endpoint for service type '${type}'${this.opts.regionName ? ` in region ${this.opts.regionName}` : ""} in the Keystone catalog`,
      );
    return ep.url;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async current(): Promise<Token> {
    const now = (this.opts.now ?? Date.now)();
    if (this.token && this.token.expiresAt - (this.opts.renewBeforeMs ?? 60_000) > now) return this.token;
    // NOTE: concurrent callers share one token request.
    this.pending ??= this.issue().finally(() => (this.pending = undefined));
    this.token = await this.pending;
    return this.token;
  }

  private async issue(): Promise<Token> {
    const o = this.opts;
    const base = o.authUrl.replace(/\/+$/, "");
    const url = `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
    const { identity, scope } = this.request();
    const body = { auth: { identity, ...(scope ? { scope } : {}) } };
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      const why = describeNetworkError(e);
      throw new ConnectionError(`cannot reach Keystone at ${url}: ${why.text}`, { cause: e, reason: why.reason });
    }
    const text = await res.text();
    if (!res.ok) throw keystoneError(res, text, url);
    const value = res.headers.get("x-subject-token");
    if (!value) throw new ConnectionError(`Keystone at ${url} answered without X-Subject-Token`);
    const parsed = JSON.parse(text) as { token?: { expires_at?: string; catalog?: CatalogEntry[] } };
    const expiresAt = parsed.token?.expires_at ? Date.parse(parsed.token.expires_at) : Number.POSITIVE_INFINITY;
    return { value, expiresAt, catalog: parsed.token?.catalog ?? [] };
  }
}

/** Keystone v3 password authentication (auth_type password). */
export class KeystonePasswordAuth extends KeystoneAuth {
  private readonly password: KeystonePasswordOptions;
  constructor(opts: KeystonePasswordOptions) {
    super(opts);
    this.password = { ...opts };
  }
  protected request() {
    const o = this.password;
    return { identity: { methods: ["password"], password: { user: { ...user(o), password: o.password } } }, scope: projectScope(o) };
  }
}

/** Keystone v3 application credential authentication (auth_type v3applicationcredential); the
 * credential carries its own project, so there is no scope to give. */
export class KeystoneApplicationCredentialAuth extends KeystoneAuth {
  private readonly credential: KeystoneApplicationCredentialOptions;
  constructor(opts: KeystoneApplicationCredentialOptions) {
    super(opts);
    this.credential = { ...opts };
  }
  protected request() {
    const o = this.credential;
    const ac = o.applicationCredentialId
      ? { id: o.applicationCredentialId, secret: o.applicationCredentialSecret }
      : { name: o.applicationCredentialName, secret: o.applicationCredentialSecret, user: user(o) };
    return { identity: { methods: ["application_credential"], application_credential: ac } };
  }
}

/** Keystone v3 token authentication (auth_type token): an existing token exchanged for a scoped one. */
export class KeystoneTokenAuth extends KeystoneAuth {
  private readonly given: KeystoneTokenOptions;
  constructor(opts: KeystoneTokenOptions) {
    super(opts);
    this.given = { ...opts };
  }
  protected request() {
    return { identity: { methods: ["token"], token: { id: this.given.token } }, scope: projectScope(this.given) };
  }
}

// Keystone's error body is {"error": {"code", "title", "message"}}, not placement's.
function keystoneError(res: Response, text: string, url: string) {
  try {
    const e = (JSON.parse(text) as { error?: { title?: string; message?: string } }).error;
    if (e) return errorFromReply(res.status, res.headers, JSON.stringify({ errors: [{ title: e.title, detail: e.message }] }), { method: "POST", url });
  } catch {
    // not JSON: fall through
  }
  return errorFromReply(res.status, res.headers, text, { method: "POST", url });
}
