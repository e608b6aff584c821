// The error body and the error-code catalog: `{"errors": [{status, title, detail, code, request_id}]}`
// rendered the way the reference's webob exceptions render.
import { errorFormat } from "./accept.js";
import { dumps } from "../python/json.js";

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
  401: "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.",
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

/** What an HttpError carries besides its status and detail; every field has a default. */
export interface HttpErrorOptions {
  /** The error code of the body (default placement.undefined_code). */
  code?: ErrorCode;
  /** Headers of the answer (405's allow, 413's connection: close). */
  headers?: Record<string, string>;
  /** Fields added to the error object (406 adds min_version and max_version). */
  extra?: Record<string, unknown>;
  /** The whole detail text is already final (405, 406, 415 have their own templates). */
  rawDetail?: boolean;
  /** See HttpError.returned (default true). */
  returned?: boolean;
  /** See HttpError.markup. */
  markup?: (esc: (s: string) => string, req: RequestFacts) => string;
}

/** Thrown by handlers and middleware; the one onError renders it. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  readonly rawDetail: boolean;
  /**
   * Whether the reference's microversion middleware sees this error as a returned response (it then
   * adds `vary`). True for what its handlers raise; false for the few errors raised outside them:
   * unknown paths, policy refusals, a body without content-type, lookups that escape a handler.
   */
  readonly returned: boolean;
  /**
   * The body as webob's template for this error writes it (markup: `<br />` between the parts),
   * for the few errors with templates of their own (405, 406, 415); `esc` escapes what the request
   * sent. Without it, the explanation, `<br /><br />` and the detail.
   */
  readonly markup?: (esc: (s: string) => string, req: RequestFacts) => string;

  constructor(
    readonly status: number,
    /** The message part only; the explanation is added when rendered. */
    readonly detail: string,
    opts: HttpErrorOptions = {},
  ) {
    super(detail);
    this.code = opts.code ?? ErrorCodes.DEFAULT;
    this.headers = opts.headers ?? {};
    this.extra = opts.extra ?? {};
    this.rawDetail = opts.rawDetail ?? false;
    this.returned = opts.returned ?? true;
    if (opts.markup) this.markup = opts.markup;
  }
}

/** A 404 the reference raises outside its handlers (a lookup that escapes one): answered without vary. */
export function escapedNotFound(detail: string): HttpError {
  return new HttpError(404, detail, { returned: false });
}

/** What webob's templates may show of the request. */
export interface RequestFacts {
  /** The Accept header the handlers saw (accept.ts effectiveAccept). */
  accept: string;
  method: string;
}

const NO_FACTS: RequestFacts = { accept: "application/json", method: "GET" };

export const badRequest = (detail: string, code?: ErrorCode) => new HttpError(400, detail, { code });
export const notFound = (detail: string, code?: ErrorCode) => new HttpError(404, detail, { code });
export const conflict = (detail: string, code?: ErrorCode) => new HttpError(409, detail, { code });
export const forbidden = (detail: string) => new HttpError(403, detail);
export const serviceUnavailable = (detail: string) => new HttpError(503, detail);

/** A body above [api] max_request_body_size (Berth's own limit: the reference has none). */
export function payloadTooLarge(limit: number): HttpError {
  // NOTE: the rest of the body is still coming: close the connection after the answer, or its bytes
  // would be read as the next request.
  return new HttpError(413, `The request body is larger than ${limit} bytes ([api] max_request_body_size).`, { headers: { connection: "close" } });
}

/** 405; `detail` is empty for a method that exists from a later microversion. */
export function methodNotAllowed(method: string, allow?: string[], detail = "The method specified is not allowed for this resource."): HttpError {
  return new HttpError(405, `The method ${method} is not allowed for this resource. \n\n ${detail}`, {
    headers: allow ? { allow: allow.join(", ") } : {},
    rawDetail: true,
    markup: (esc, req) => `The method ${esc(req.method)} is not allowed for this resource. <br /><br />\n${esc(detail)}`,
  });
}

/** 406 from a handler that serves only JSON, or (with extra) for a microversion out of range. */
export function notAcceptable(detail: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(406, `The resource could not be generated that was acceptable to your browser (content of type application/json. \n\n ${detail}`, {
    extra,
    rawDetail: true,
    markup: (esc, req) =>
      `The resource could not be generated that was acceptable to your browser\n(content of type ${esc(req.accept)}. <br /><br />\n${esc(detail)}`,
  });
}

/** 415: the template shows the Content-Type header as sent, the detail its media type. */
export function unsupportedMediaType(mediaType: string, header: string = mediaType): HttpError {
  const detail = `The media type ${mediaType} is not supported, use application/json`;
  return new HttpError(415, "", {
    rawDetail: true,
    markup: (esc) => `The request media type ${esc(header)} is not supported by this server.\n<br /><br />\n${esc(detail)}`,
  });
}

/** The text the reference shows in `detail` (and under the status line of a plain-text error). */
export function renderDetail(e: HttpError, req: RequestFacts = NO_FACTS): string {
  if (e.markup) return stripTags(e.markup((s) => s, req));
  if (e.rawDetail) return e.detail;
  return stripTags(defaultMarkup(e, (s) => s));
}

export function errorBody(e: HttpError, requestId: string, withCode: boolean, req: RequestFacts = NO_FACTS): unknown {
  const err: Record<string, unknown> = { status: e.status, title: REASONS[e.status] ?? "Error", detail: renderDetail(e, req) };
  if (withCode) err.code = e.code;
  err.request_id = requestId;
  Object.assign(err, e.extra);
  return { errors: [err] };
}

/** webob's reduction of its markup to text: line breaks become spaces, `<br>` a line break, tags go. */
export function stripTags(markup: string): string {
  return markup
    .replace(/\n/g, " ")
    .replace(/\r/g, "")
    .replace(/<br.*?>/gis, "\n")
    .replace(/<!--|-->/g, "")
    .replace(/<.*?>/gs, "");
}

/** Python's html.escape with quotes, then non-ASCII as decimal character references (webob's html_escape). */
export function htmlEscape(s: string): string {
  const escaped = s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  return escaped.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);
}

/** webob's usual body: the explanation of the status, a break, the detail (and an empty comment line). */
function defaultMarkup(e: HttpError, esc: (s: string) => string): string {
  return `${esc(EXPLANATIONS[e.status] ?? "")}<br /><br />\n${esc(e.detail)}\n\n`;
}

/** webob's HTML error page around the markup of an error. */
export function htmlPage(e: HttpError, req: RequestFacts): string {
  const status = `${e.status} ${REASONS[e.status] ?? "Error"}`;
  const body = e.markup ? e.markup(htmlEscape, req) : defaultMarkup(e, htmlEscape);
  return `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${body}\n </body>\n</html>`;
}

/** webob's plain-text error: the status line, a blank line, the detail. */
export function plainText(e: HttpError, req: RequestFacts): string {
  return `${e.status} ${REASONS[e.status] ?? "Error"}\n\n${renderDetail(e, req)}`;
}

/**
 * The error as the client's Accept asks (webob's choice: HTML, JSON, else plain text); `json` is the
 * JSON body, the API's error body for all but the noauth2 401.
 */
export function errorResponse(e: HttpError, req: RequestFacts, json: () => unknown): Response {
  const format = errorFormat(req.accept);
  const headers = { ...e.headers };
  // NOTE: webob answers an error to HEAD (no route has it) with its empty HTML page, whatever the Accept.
  if (req.method === "HEAD") return new Response(null, { status: e.status, headers: { ...headers, "content-type": "text/html; charset=UTF-8" } });
  if (format === "json") {
    const text = dumps(json());
    return new Response(text, {
      status: e.status,
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
    });
  }
  const body = format === "html" ? htmlPage(e, req) : plainText(e, req);
  return new Response(body, { status: e.status, headers: { ...headers, "content-type": `text/${format}; charset=UTF-8` } });
}
