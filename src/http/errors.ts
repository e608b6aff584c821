// The error body and the error-code catalog: `{"errors": [{status, title, detail, code, request_id}]}`
// rendered the way the reference's webob exceptions render.

/** Every error code the API returns (from 1.23); a test keeps this list and docs/errors.md in step. */
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
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  415: "Unsupported Media Type",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

// webob's explanation line for each status, which the reference puts before the detail.
const EXPLANATIONS: Record<number, string> = {
  400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
  403: "Access was denied to this resource.",
  404: "The resource could not be found.",
  408: "The server has waited too long for the request to be sent by the client.",
  409: "There was a conflict when trying to complete your request.",
  413: "The body of your request was too large for this server.",
  414: "The request URI was too long for this server.",
  431: "The request header fields were too large",
  500: "The server has either erred or is incapable of performing the requested operation.",
  503: "The server is currently unavailable. Please try again at a later time.",
};

/** Thrown by handlers and middleware; the one onError renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** The message part only; the explanation is added when rendered. */
    readonly detail: string,
    readonly code: ErrorCode = ErrorCodes.DEFAULT,
    readonly headers: Record<string, string> = {},
    /** Fields added to the error object (406 adds min_version and max_version). */
    readonly extra: Record<string, unknown> = {},
    /** Set when the whole detail text is already final (405, 406, 415 have their own templates). */
    readonly rawDetail = false,
  ) {
    super(detail);
  }
  /**
   * Whether the reference's microversion middleware sees this error as a returned response (it then
   * adds `vary`). True for what its handlers raise; false for the few errors raised outside them:
   * unknown paths, policy refusals, a body without content-type, lookups that escape a handler.
   */
  returned = true;
  /** Render as webob's HTML page (406 for an Accept without JSON). */
  html = false;
}

export const badRequest = (detail: string, code?: ErrorCode) => new HttpError(400, detail, code);
export const notFound = (detail: string, code?: ErrorCode) => new HttpError(404, detail, code);
export const conflict = (detail: string, code?: ErrorCode) => new HttpError(409, detail, code);
export const forbidden = (detail: string) => new HttpError(403, detail);
export const serviceUnavailable = (detail: string) => new HttpError(503, detail);

/** A body above [api] max_request_body_size (Berth's own limit: the reference has none). */
export function payloadTooLarge(limit: number): HttpError {
  // NOTE: the rest of the body is still coming: close the connection after the answer, or its bytes
  // would be read as the next request.
  return new HttpError(413, `The request body is larger than ${limit} bytes ([api] max_request_body_size).`, ErrorCodes.DEFAULT, { connection: "close" });
}

export function methodNotAllowed(method: string, allow: string[]): HttpError {
  return new HttpError(
    405,
    `The method ${method} is not allowed for this resource. \n\n The method specified is not allowed for this resource.`,
    ErrorCodes.DEFAULT,
    { allow: allow.join(", ") },
    {},
    true,
  );
}

export function unsupportedMediaType(contentType: string): HttpError {
  return new HttpError(
    415,
    `The request media type ${contentType} is not supported by this server. \n\n The media type ${contentType} is not supported, use application/json`,
    ErrorCodes.DEFAULT,
    {},
    {},
    true,
  );
}

/** The text the reference shows in `detail`. */
export function renderDetail(e: HttpError): string {
  if (e.rawDetail) return e.detail;
  const explanation = EXPLANATIONS[e.status] ?? "";
  return `${explanation}\n\n ${e.detail}  `;
}

export function errorBody(e: HttpError, requestId: string, withCode: boolean): unknown {
  const err: Record<string, unknown> = { status: e.status, title: REASONS[e.status] ?? "Error", detail: renderDetail(e) };
  if (withCode) err.code = e.code;
  err.request_id = requestId;
  Object.assign(err, e.extra);
  return { errors: [err] };
}
