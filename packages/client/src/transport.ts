// The one place requests are sent: endpoint, auth, microversion negotiation, error mapping.
import { staticToken, type Auth } from "./auth.js";
import { ConnectionError, describeNetworkError, errorFromReply, networkErrorCode, NotAcceptableError, UnauthorizedError } from "./errors.js";
import { chooseVersion, compareVersions, parseVersion, type ServerRange, type VersionNeeds } from "./versions.js";

export interface ClientOptions {
  /** The placement endpoint (e.g. http://placement:8778). Optional when the auth finds it in a catalog. */
  endpoint?: string;
  /** X-Auth-Token to send; shorthand for `auth: staticToken(token)`. */
  token?: string;
  auth?: Auth;
  /** Pin every call to this microversion (like --os-placement-api-version); checked against each call's needs. */
  version?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Prepended to the SDK's own User-Agent (e.g. "my-agent/1.2"). */
  userAgent?: string;
  /**
   * The global request id (`req-<uuid>`) sent as X-OpenStack-Request-ID on every call, to tie the
   * calls of one operation together in the services' logs; default a new one per call.
   */
  globalRequestId?: string;
  /**
   * Retries of transport failures and 5xx answers (false: none). A request that never reached the
   * server (connection refused, name not found, connect timeout) is retried whatever its method; a
   * 500, 502, 503 or 504, a reset connection or a timeout only for GET, PUT and DELETE, which are
   * idempotent (a PUT that did apply before the failure then fails its generation check: 409).
   */
  retry?: false | TransportRetry;
}

export interface TransportRetry {
  /** Attempts in all, including the first (default 3). */
  attempts?: number;
  /** Delay before retry n (1-based): default 250 ms doubling, with jitter; a 503's Retry-After wins, up to 10 s. */
  delayMs?: (retry: number) => number;
}

/** The SDK's version, sent in its User-Agent (test/client/transport-faults.test.ts keeps it packages/client/package.json's). */
export const SDK_VERSION = "0.1.0";

const GLOBAL_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks a global request id's form (the services ignore any other). */
function checkGlobalId(id: string | undefined): void {
  if (id !== undefined && !GLOBAL_ID.test(id)) throw new TypeError(`globalRequestId must be "req-" and a lowercase uuid, not ${JSON.stringify(id)}`);
}

const IDEMPOTENT = new Set(["GET", "PUT", "DELETE"]);
const RETRIED_STATUS = new Set([500, 502, 503, 504]);
/** Causes of a fetch failure that mean the request was never sent. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
const defaultRetryDelay = (retry: number) => 250 * 2 ** (retry - 1) * (0.75 + Math.random() / 2);
const MAX_RETRY_AFTER_MS = 10_000;

/** Options every SDK call takes. */
export interface CallOptions {
  /** Send this microversion instead of the negotiated one. */
  version?: string;
  signal?: AbortSignal;
  /** This call's global request id (over the client's). */
  globalRequestId?: string;
}

export type Query = Record<string, string | number | boolean | readonly (string | number)[] | undefined>;

export interface RequestSpec extends VersionNeeds {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
  /** The microversion the call was sent at. */
  version: string;
  requestId: string | undefined;
}

export class Transport {
  private readonly opts: ClientOptions;
  private readonly auth: Auth | undefined;
  private range: Promise<ServerRange> | undefined;
  private base: Promise<string> | undefined;

  constructor(opts: ClientOptions) {
    this.opts = { ...opts };
    this.auth = opts.auth ?? (opts.token !== undefined ? staticToken(opts.token) : undefined);
    if (opts.version !== undefined) parseVersion(opts.version);
    checkGlobalId(opts.globalRequestId);
  }

  /** The server's microversion range from GET /, fetched once per client. */
  serverRange(): Promise<ServerRange> {
    this.range ??= this.fetchRange().catch((e) => {
      this.range = undefined;
      throw e;
    });
    return this.range;
  }

  /** The microversion a call with these needs would be sent at. */
  async versionFor(needs: VersionNeeds, call: CallOptions = {}): Promise<string> {
    return chooseVersion(needs, await this.serverRange(), call.version ?? this.opts.version);
  }

  async request<T>(spec: RequestSpec, call: CallOptions = {}): Promise<Reply<T>> {
    const version = await this.versionFor(spec, call);
    checkGlobalId(call.globalRequestId);
    const send = (v: string) =>
      this.send<T>(spec.method, spec.path, { query: spec.query, body: spec.body, version: v, signal: call.signal, globalRequestId: call.globalRequestId });
    try {
      return await send(version);
    } catch (e) {
      const lower = this.afterRefusal(e, spec, call, version);
      if (lower === undefined) throw e;
      return send(lower);
    }
  }

  /**
   * A 406 for the version means the server's maximum is lower than GET / said (a node of an older
   * release behind the balancer, or a downgrade): send the call once more at the version it would
   * get under the maximum the 406 gives, when that is lower and still enough for the call. The
   * range read from GET / stays: the next node may be a newer one. A pinned version is the
   * caller's to change: no retry.
   */
  private afterRefusal(e: unknown, spec: VersionNeeds, call: CallOptions, sent: string): string | undefined {
    if (!(e instanceof NotAcceptableError) || call.version !== undefined || this.opts.version !== undefined) return undefined;
    const { max_version: max, min_version: min } = e.extra;
    if (typeof max !== "string" || !/^\d+\.\d+$/.test(max) || compareVersions(max, sent) >= 0) return undefined;
    const range: ServerRange = { min: typeof min === "string" && /^\d+\.\d+$/.test(min) ? min : "1.0", max };
    try {
      return chooseVersion(spec, range);
    } catch {
      return undefined;
    }
  }

  private async fetchRange(): Promise<ServerRange> {
    const reply = await this.send<{ versions?: { min_version?: string; max_version?: string }[] }>("GET", "/", {});
    const v = reply.body?.versions?.[0];
    if (!v?.max_version) return { min: "1.0", max: "1.0" };
    return { min: v.min_version ?? "1.0", max: v.max_version };
  }

  private endpoint(): Promise<string> {
    this.base ??= (async () => {
      const url = this.opts.endpoint ?? (await this.auth?.endpoint?.());
      if (!url) throw new ConnectionError("no placement endpoint: give `endpoint` or an auth with a service catalog");
      return url.replace(/\/+$/, "");
    })().catch((e) => {
      this.base = undefined;
      throw e;
    });
    return this.base;
  }

  private async send<T>(
    method: string,
    path: string,
    o: { query?: Query; body?: unknown; version?: string; signal?: AbortSignal; globalRequestId?: string },
    renewed = false,
  ): Promise<Reply<T>> {
    const base = await this.endpoint();
    const url = base + path + queryString(o.query);
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": `${this.opts.userAgent ? `${this.opts.userAgent} ` : ""}berth-sdk/${SDK_VERSION}`,
      "x-openstack-request-id": o.globalRequestId ?? this.opts.globalRequestId ?? `req-${crypto.randomUUID()}`,
      ...this.opts.headers,
      ...(await this.auth?.headers()),
    };
    if (o.version) headers["openstack-api-version"] = `placement ${o.version}`;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    const retry = this.opts.retry === false ? { attempts: 1 } : (this.opts.retry ?? {});
    const attempts = Math.max(1, retry.attempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      const wait = async (retryAfter?: string | null) => {
        const after = retryAfter && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, MAX_RETRY_AFTER_MS) : undefined;
        const ms = after ?? (retry.delayMs ?? defaultRetryDelay)(attempt);
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      };
      const timeoutMs = this.opts.timeoutMs ?? 30_000;
      const timeout = AbortSignal.timeout(timeoutMs);
      let res: Response;
      try {
        res = await (this.opts.fetch ?? fetch)(url, {
          method,
          headers,
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          // NOTE: AbortSignal.any is Node 20.3+; without it the caller's signal wins over the timeout.
          signal: o.signal ? (AbortSignal.any ? AbortSignal.any([o.signal, timeout]) : o.signal) : timeout,
        });
      } catch (e) {
        // NOTE: a call the caller aborted is never retried.
        if (!last && !o.signal?.aborted && (IDEMPOTENT.has(method) || NOT_SENT.has(networkErrorCode(e)))) {
          await wait();
          continue;
        }
        const why = describeNetworkError(e, timeoutMs);
        throw new ConnectionError(
          `cannot reach the placement endpoint ${base}: ${why.text} (${method} ${url}${attempt > 1 ? `, after ${attempt} attempts` : ""})`,
          { cause: e, reason: why.reason },
        );
      }
      const text = await res.text();
      if (!res.ok) {
        if (!last && RETRIED_STATUS.has(res.status) && IDEMPOTENT.has(method)) {
          await wait(res.status === 503 ? res.headers.get("retry-after") : undefined);
          continue;
        }
        const err = errorFromReply(res.status, res.headers, text, { method, url });
        // A token may have expired early (revoked, clock skew): renew once.
        if (err instanceof UnauthorizedError && this.auth?.invalidate && !renewed) {
          this.auth.invalidate();
          return this.send(method, path, o, true);
        }
        throw err;
      }
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new ConnectionError(`${method} ${url} answered ${res.status} with a body that is not JSON`, { cause: e });
        }
      }
      return {
        status: res.status,
        headers: res.headers,
        body: body as T,
        version: o.version ?? "1.0",
        requestId: res.headers.get("openstack-request-id") ?? res.headers.get("x-openstack-request-id") ?? undefined,
      };
    }
  }
}

/** Placement reads repeated keys (member_of, required) as separate parameters, in order. */
export function queryString(q: Query | undefined): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, String(item));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Path segment escape. */
export const seg = (s: string): string => encodeURIComponent(s);
