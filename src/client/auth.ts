// Authentication: a static token, or Keystone v3 password auth with a cached, renewed token.
import { ConnectionError, errorFromReply } from "./errors.js";

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

export interface KeystonePasswordOptions {
  /** The identity endpoint, with or without /v3 (OS_AUTH_URL). */
  authUrl: string;
  username: string;
  password: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
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

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; url: string; region?: string; region_id?: string }[];
}

interface Token {
  value: string;
  expiresAt: number;
  catalog: CatalogEntry[];
}

/** Keystone v3 password authentication: POST /v3/auth/tokens, cached until shortly before it expires. */
export class KeystonePasswordAuth implements Auth {
  private readonly opts: KeystonePasswordOptions;
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;

  constructor(opts: KeystonePasswordOptions) {
    this.opts = { ...opts };
  }

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
    const domain = (name?: string, id?: string) => (id ? { id } : { name: name ?? "Default" });
    const scope =
      o.projectId || o.projectName
        ? { project: o.projectId ? { id: o.projectId } : { name: o.projectName, domain: domain(o.projectDomainName, o.projectDomainId) } }
        : undefined;
    const body = {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: o.username, password: o.password, domain: domain(o.userDomainName, o.userDomainId) } },
        },
        ...(scope ? { scope } : {}),
      },
    };
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw new ConnectionError(`cannot reach Keystone at ${url}: ${(e as Error).message}`, { cause: e });
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
