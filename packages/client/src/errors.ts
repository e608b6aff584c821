// Errors the API answers with: one class per HTTP status, carrying the error code, detail and request id.

/** Error codes the API sends from microversion 1.23 (`placement.concurrent_update`, ...). */
export const ErrorCodes = Object.freeze({
  DEFAULT: "placement.undefined_code",
  INVENTORY_INUSE: "placement.inventory.inuse",
  CONCURRENT_UPDATE: "placement.concurrent_update",
  DUPLICATE_NAME: "placement.duplicate_name",
  PROVIDER_IN_USE: "placement.resource_provider.inuse",
  PROVIDER_CANNOT_DELETE_PARENT: "placement.resource_provider.cannot_delete_parent",
  RESOURCE_PROVIDER_NOT_FOUND: "placement.resource_provider.not_found",
  ILLEGAL_DUPLICATE_QUERYPARAM: "placement.query.duplicate_key",
  QUERYPARAM_BAD_VALUE: "placement.query.bad_value",
  QUERYPARAM_MISSING_VALUE: "placement.query.missing_value",
});

export interface ErrorInit {
  status: number;
  title?: string;
  /** The detail as the server sent it ("<explanation>\n\n <message>  "). */
  detail?: string;
  code?: string;
  requestId?: string;
  method?: string;
  url?: string;
  /** min_version/max_version on 406 replies. */
  extra?: Record<string, unknown>;
}

/** Any error reply from the API. `message` is the server's message without webob's explanation. */
export class PlacementError extends Error {
  readonly status: number;
  readonly title: string | undefined;
  readonly detail: string;
  /** The error code; undefined below microversion 1.23. */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly extra: Record<string, unknown>;

  constructor(init: ErrorInit) {
    super(shortDetail(init.detail ?? init.title ?? `HTTP ${init.status}`));
    this.name = new.target.name;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail ?? "";
    this.code = init.code;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.extra = init.extra ?? {};
  }

  /** One line for people: "409 Conflict: <message> (placement.concurrent_update, request req-...)". */
  describe(): string {
    const tags = [this.code, this.requestId && `request ${this.requestId}`].filter(Boolean).join(", ");
    return `${this.status}${this.title ? ` ${this.title}` : ""}: ${this.message}${tags ? ` (${tags})` : ""}`;
  }
}

export class BadRequestError extends PlacementError {}
export class UnauthorizedError extends PlacementError {}
export class ForbiddenError extends PlacementError {}
export class NotFoundError extends PlacementError {}
export class MethodNotAllowedError extends PlacementError {}
export class NotAcceptableError extends PlacementError {}
export class ConflictError extends PlacementError {
  /** A provider or consumer generation moved on since it was read: re-read and re-apply. */
  get isGenerationConflict(): boolean {
    if (this.code === ErrorCodes.CONCURRENT_UPDATE) return true;
    // Below 1.23 there is no code; the messages name the generation.
    return this.code === undefined && /generation|concurrent/i.test(this.detail);
  }
}
export class PayloadTooLargeError extends PlacementError {}
export class UnsupportedMediaTypeError extends PlacementError {}
export class InternalServerError extends PlacementError {}
export class NotImplementedError extends PlacementError {}

const BY_STATUS: Record<number, new (init: ErrorInit) => PlacementError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  406: NotAcceptableError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  500: InternalServerError,
  501: NotImplementedError,
};

/** The error class for a status (PlacementError for statuses without their own class). */
export function errorClassFor(status: number): new (init: ErrorInit) => PlacementError {
  return BY_STATUS[status] ?? PlacementError;
}

/** Builds the typed error from a reply's status, headers and body text. */
export function errorFromReply(status: number, headers: Headers, text: string, where: { method?: string; url?: string } = {}): PlacementError {
  let first: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(text) as { errors?: Record<string, unknown>[] };
    first = body.errors?.[0];
  } catch {
    first = undefined;
  }
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const { status: _s, title, detail, code, request_id, ...extra } = first ?? {};
  const Cls = errorClassFor(status);
  return new Cls({
    status,
    title: str(title),
    detail: str(detail) ?? (text.trim() || undefined),
    code: str(code),
    requestId: str(request_id) ?? headers.get("openstack-request-id") ?? headers.get("x-openstack-request-id") ?? undefined,
    extra,
    ...where,
  });
}

/** The message part of a webob detail: what follows the explanation paragraph, trimmed. */
export function shortDetail(detail: string): string {
  const i = detail.indexOf("\n\n");
  return (i >= 0 ? detail.slice(i + 2) : detail).trim();
}

/** Why a request got no answer: what ConnectionError.reason says. */
export type NetworkFailure = "refused" | "timeout" | "tls" | "dns" | "reset" | "other";

/** Thrown when the transport cannot reach the server or the reply is not what the API promises. */
export class ConnectionError extends Error {
  /** Why there was no answer, when the server could not be reached; undefined for a bad reply. */
  readonly reason: NetworkFailure | undefined;
  constructor(message: string, options?: { cause?: unknown; reason?: NetworkFailure }) {
    super(message, options);
    this.name = "ConnectionError";
    this.reason = options?.reason;
  }
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|EPROTO|HOSTNAME|ALTNAME/;

/** The system error code under a fetch failure (undici wraps it as the cause, sometimes twice). */
export function networkErrorCode(e: unknown): string {
  for (let c: unknown = e, i = 0; c && i < 4; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return "";
}

/**
 * What a failed fetch means for people: "connection refused", "timed out after 30 s",
 * "TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)". Works for the errors of Node's fetch
 * (the cause carries the code) and of node:http (the error does).
 */
export function describeNetworkError(e: unknown, timeoutMs?: number): { reason: NetworkFailure; text: string } {
  const err = e as { name?: string; message?: string; cause?: { message?: string; name?: string } };
  const inner = err?.cause && typeof err.cause === "object" ? err.cause : undefined;
  const code = networkErrorCode(e) || undefined;
  const message = (inner?.message && err?.message === "fetch failed" ? inner.message : err?.message) ?? String(e);
  const name = err?.name === "TimeoutError" || inner?.name === "TimeoutError" ? "TimeoutError" : err?.name;
  if (name === "TimeoutError" || code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT")
    return { reason: "timeout", text: `timed out${timeoutMs !== undefined ? ` after ${timeoutMs / 1000} s` : ""}` };
  if (code === "ECONNREFUSED") return { reason: "refused", text: "connection refused" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { reason: "dns", text: `host not found (${code})` };
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") return { reason: "reset", text: `connection closed by the server (${code})` };
  if (code && TLS_CODE.test(code)) return { reason: "tls", text: `TLS: ${message} (${code})` };
  return { reason: "other", text: code ? `${message} (${code})` : message };
}
