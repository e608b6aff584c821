// createApp({ store, config, logger, clock }) -> the HTTP app. Middleware runs in the reference's
// order: request id, CORS, auth, microversion, routing (404/405), handler; one onError at the end.
import type { ServerResponse } from "node:http";
import { Hono } from "hono/tiny";
import pino, { type Logger } from "pino";
import type { Config } from "./config.js";
import type { Store } from "./db/open.js";
import { createEnforcer, type Enforcer, type Credentials } from "./policy/index.js";
import type { Ctx, Deps } from "./http/context.js";
import { rawPathOf } from "./http/raw-path.js";
import {
  badRequest,
  conflict,
  errorBody,
  ErrorCodes,
  errorResponse,
  escapedNotFound,
  HttpError,
  methodNotAllowed,
  notAcceptable,
  payloadTooLarge,
  serviceUnavailable,
} from "./http/errors.js";
import { acceptsJson, effectiveAccept } from "./http/accept.js";
import { isBusy, isUnavailable, RetriesExhausted } from "./db/tx.js";
import { declaredLength } from "./http/body.js";
import { parseVersionHeader, type Version } from "./http/microversion.js";
import { globalRequestId, newRequestId, REQUEST_ID_HEADER } from "./http/request-id.js";
import { AUTH_BYPASS, noauth, type Authenticator } from "./http/auth.js";
import { keystoneAuthenticator } from "./http/keystone.js";
import { corsPreflight, corsHeaders } from "./http/cors.js";
import { matchRoute } from "./routes.js";
import { NotFound } from "./objects/errors.js";
import { Snapshots, type SnapshotMode } from "./objects/candidates/snapshot.js";
import { databaseProbe } from "./objects/health.js";
import { createMetrics, NO_ROUTE, type Metrics } from "./http/metrics.js";
import { copyReader } from "./objects/candidates/snapshot-read.js";
import { BodyBuffers } from "./http/candidate-body.js";
import { ClaimQueue, type Claims } from "./objects/claim-queue.js";
import { ClaimOwnerLost, ClaimRouter, type ClaimRoute } from "./claim-routing.js";

export interface AppOptions {
  store: Store;
  config: Config;
  logger?: Logger;
  clock?: () => Date;
  enforcer?: Enforcer;
  /** How the candidate search uses snapshots (snapshot.ts); "auto" by default. */
  candidateSnapshot?: SnapshotMode;
  /** This app's metrics; a fresh set (without process metrics) by default. */
  metrics?: Metrics;
  /** How long GET /healthcheck waits for the database (objects/health.ts). */
  healthTimeoutMs?: number;
  /** Who is calling; by default from [api] auth_strategy (noauth2, or keystone with [keystone_authtoken]). */
  authenticate?: Authenticator;
  /** `berth serve --workers N`: this worker's place, so that each provider's claims are written by one worker. */
  claimRoute?: ClaimRoute;
}

/** What routing learned about a request, for the metrics. */
interface Seen {
  route?: string;
  errorCode?: string;
}

const VERSION_HEADER = "openstack-api-version";

export function createApp(opts: AppOptions): Hono {
  const { config } = opts;
  const metrics = opts.metrics ?? createMetrics({ store: opts.store });
  const logger = opts.logger ?? pino({ level: "silent" });
  const clock = opts.clock ?? (() => new Date());
  const deps: Deps = {
    store: opts.store,
    config,
    logger,
    clock,
    authenticate: opts.authenticate ?? (config.api.authStrategy === "keystone" ? keystoneAuthenticator({ config: config.keystone, logger, clock }) : noauth),
    enforcer:
      opts.enforcer ??
      createEnforcer({
        policyFile: config.policy.policyFile,
        policyDirs: config.policy.policyDirs,
        enforceNewDefaults: config.policy.enforceNewDefaults,
        enforceScope: config.policy.enforceScope,
        configDir: config.configDir,
      }),
    candidateSnapshots: snapshotsFor(opts.store, opts.candidateSnapshot, metrics.onSnapshotBuild),
    metrics,
    checkDatabase: databaseProbe(opts.store, opts.healthTimeoutMs),
    bodyBuffers: new BodyBuffers(),
    claims: routed(
      new ClaimQueue(opts.store, {
        retries: config.placement.allocationConflictRetryCount,
        onFallback: (claims, err, expected) =>
          expected
            ? logger.debug({ claims, err }, "shared claim transaction lost a race; claims run one by one")
            : logger.warn({ claims, err }, "shared claim transaction failed; claims run one by one"),
        onBatch: metrics.onClaimBatch,
      }),
      opts.claimRoute,
      logger,
    ),
  };
  // NOTE: the database layer reports its in-request retries (src/db/tx.ts) through the store.
  opts.store.onRetry ??= metrics.onRetry;
  const app = new Hono();
  app.all("*", async (c) => {
    const req = c.req.raw;
    const requestId = newRequestId();
    const started = performance.now();
    const seen: Seen = {};
    const path = rawPathOf(c.env) ?? new URL(req.url).pathname;
    const res = await handle(deps, req, path, requestId, afterSentOf(c.env), seen);
    res.headers.set(REQUEST_ID_HEADER, requestId);
    // NOTE: an answer without a body says so with Content-Length: 0, as the reference's WSGI server
    // does (Node would otherwise send a 201 chunked, with an empty last chunk). res.body is read
    // last: reading it turns @hono/node-server's light response into a full web Response, whose
    // body then goes through a stream (about a tenth of the CPU of a candidates request). The
    // common answers (respond.ts, the candidate list, errors) carry their Content-Length already.
    if (res.status !== 304 && !res.headers.has("content-length") && res.body === null) res.headers.set("content-length", "0");
    if (config.cors.allowedOrigin.length) corsHeaders(config, req, res.headers);
    const globalId = globalRequestId(req.headers.get(REQUEST_ID_HEADER));
    const seconds = (performance.now() - started) / 1000;
    metrics.observeRequest({ route: seen.route ?? NO_ROUTE, method: req.method, status: res.status, seconds, errorCode: seen.errorCode });
    deps.logger.info(
      { requestId, globalRequestId: globalId, method: req.method, url: req.url, status: res.status, ms: Math.round(seconds * 1000) },
      `${req.method} ${path} ${res.status}`,
    );
    return res;
  });
  return app;
}

/** The queue, in front of it the router to the claims' owner workers where there are several (claim-routing.ts). */
function routed(queue: ClaimQueue, route: ClaimRoute | undefined, logger: Logger): Claims {
  if (!route) return queue;
  const router = new ClaimRouter(queue, route, logger);
  // NOTE: until it listens, the other workers write this worker's claims themselves.
  router.listen().catch((err: unknown) => logger.warn({ err }, "cannot listen for the other workers' claims; they write them themselves"));
  return router;
}

function snapshotsFor(store: Store, mode: SnapshotMode | undefined, onBuild: (seconds: number) => void): Snapshots | undefined {
  const reader = copyReader(store);
  return reader && new Snapshots(reader, mode, onBuild);
}

/** With @hono/node-server the env holds the Node response: `finish` is when it was all written. */
function afterSentOf(env: unknown): Ctx["afterSent"] {
  const outgoing = (env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing || typeof outgoing.once !== "function") return undefined;
  return (fn) => void outgoing.once("finish", fn);
}

async function handle(deps: Deps, req: Request, path: string, requestId: string, afterSent: Ctx["afterSent"], seen: Seen): Promise<Response> {
  const url = new URL(req.url);
  // Matched first so that the metrics name the route of any answer (a 401 too); a miss is a 404 in dispatch.
  const hit = matchRoute(routingPath(path));
  seen.route = hit?.route.path;
  let version: Version | undefined;
  try {
    if (deps.config.cors.allowedOrigin.length) {
      const pre = corsPreflight(deps.config, req);
      if (pre) return pre;
    }
    let creds: Credentials = { userId: null, projectId: null, roles: [] };
    // NOTE: the route's flag is read from the decoded path that routing matched, never the raw one.
    if (!AUTH_BYPASS.has(path) && !hit?.route.public) {
      const who = await deps.authenticate(req);
      if (who instanceof Response) return who;
      creds = who;
    }
    version = parseVersionHeader(req.headers.get(VERSION_HEADER));
    const res = await dispatch(deps, req, url, version, requestId, creds, afterSent, hit);
    res.headers.set(VERSION_HEADER, `placement ${version}`);
    // NOTE: a handler's own Vary (the capabilities documents vary by caller) is kept after ours.
    const vary = res.headers.get("vary");
    res.headers.set("vary", vary ? `${VERSION_HEADER}, ${vary}` : VERSION_HEADER);
    return res;
  } catch (e) {
    const err =
      e instanceof HttpError
        ? e
        : e instanceof NotFound
          ? escapedNotFound(e.message)
          : isRefusedValue(e)
            ? badRequest(`Invalid value in request: ${(e as Error).message}`)
            : isBusy(e)
              ? databaseUnavailable(deps, e, requestId, "the database is too busy: lock waits timed out")
              : e instanceof RetriesExhausted
                ? retriesExhausted(deps, e, requestId)
                : e instanceof ClaimOwnerLost
                  ? ownerLost(deps, e, requestId)
                  : isUnavailable(e)
                    ? databaseUnavailable(deps, e, requestId, "the connection was refused or lost")
                    : internalError(deps, e, requestId, globalRequestId(req.headers.get(REQUEST_ID_HEADER)));
    seen.errorCode = err.code;
    const res = renderError(err, req, requestId, version);
    if (version) res.headers.set(VERSION_HEADER, `placement ${version}`);
    // NOTE: see HttpError.returned for which errors carry vary in the reference.
    if (version && err.returned) res.headers.set("vary", VERSION_HEADER);
    return res;
  }
}

async function dispatch(
  deps: Deps,
  req: Request,
  url: URL,
  version: Version,
  requestId: string,
  creds: Credentials,
  afterSent: Ctx["afterSent"],
  hit: ReturnType<typeof matchRoute>,
) {
  const length = req.headers.get("content-length");
  // NOTE: a body declared too large is refused before anything reads it (body.ts bounds the rest).
  if ((declaredLength(req) ?? 0) > deps.config.api.maxRequestBodySize) throw payloadTooLarge(deps.config.api.maxRequestBodySize);
  if (length && !req.headers.get("content-type")) {
    if (!/^\s*[+-]?\d+\s*$/.test(length)) throw new HttpError(400, "content-length header must be an integer", RAISED);
    if (Number(length) > 0) throw new HttpError(400, "content-type header required when content-length > 0", RAISED);
  }
  if (!hit) throw new HttpError(404, "", RAISED);
  const { route, params } = hit;
  // NOTE: the reference checks the method before the version: GET /reshaper at 1.29 is a 405.
  const entry = route.methods[req.method];
  if (!entry) throw methodNotAllowed(req.method, Object.keys(route.methods));
  if (route.since && version.lessThan(route.since.major, route.since.minor)) throw new HttpError(404, "");
  if (entry.since && version.lessThan(entry.since.major, entry.since.minor)) {
    throw methodNotAllowed(req.method, undefined, "");
  }
  // NOTE: only the handlers that render JSON check Accept, after the route's microversion and before
  // anything they read (policy, body, lookups); the others answer whatever the client accepts.
  if (entry.json && !acceptsJson(effectiveAccept(req.headers.get("accept")))) throw notAcceptable("Only application/json is provided");
  const ctx: Ctx = { deps, req, url, method: req.method, params, version, requestId, creds, afterSent };
  return entry.handler(ctx);
}

/**
 * The path as the reference routes it: percent-decoded first, so `%2F` separates segments and
 * `/resource_providers%2F{uuid}` is the provider. Escapes `%` again because matchRoute decodes
 * each parameter itself.
 */
function routingPath(raw: string): string {
  try {
    return decodeURIComponent(raw).replace(/%/g, "%25");
  } catch {
    return raw;
  }
}

/** Errors the reference raises before its handlers (answered without vary); the others are returned. */
const RAISED = { returned: false } as const;

/**
 * A value the database cannot hold that no schema rules out (a NUL character on PostgreSQL, a
 * number beyond a column's range): the request is at fault, and its transaction rolled back.
 */
function isRefusedValue(e: unknown): boolean {
  const err = e as { code?: unknown; errno?: unknown } | null;
  if (!err || typeof err !== "object") return false;
  const pgCodes = ["22021", "22P05", "22001", "22003", "22P02"]; // bad character, too long, out of range, bad text
  const mysqlErrnos = [1366, 1406, 1264, 1292]; // wrong value, too long, out of range, truncated
  return (typeof err.code === "string" && pgCodes.includes(err.code)) || (typeof err.errno === "number" && mysqlErrnos.includes(err.errno));
}

/** Deadlocks on every attempt: the reference's answer to a write that lost its races is a 409. */
function retriesExhausted(deps: Deps, e: RetriesExhausted, requestId: string): HttpError {
  deps.logger.warn({ err: e.last, requestId, reason: e.reason }, "transaction gave up after its retries");
  return conflict("Another thread concurrently updated the data. Please retry your update", ErrorCodes.CONCURRENT_UPDATE);
}

/** The database went away under the request, or cannot be reached: 503, and the next request retries. */
function databaseUnavailable(deps: Deps, e: unknown, requestId: string, why: string): HttpError {
  deps.logger.warn({ err: e, requestId }, "database unavailable");
  return serviceUnavailable(`The database is unavailable (${why}). Please try again.`);
}

/** The worker that writes the claim's providers died before it answered: the claim may have landed. */
function ownerLost(deps: Deps, e: ClaimOwnerLost, requestId: string): HttpError {
  deps.logger.warn({ err: e, requestId }, "claim owner lost");
  return serviceUnavailable(
    `${e.message[0]!.toUpperCase()}${e.message.slice(1)}; the claim may or may not have been written. Read the consumer's allocations before retrying.`,
  );
}

function internalError(deps: Deps, e: unknown, requestId: string, globalId: string | undefined): HttpError {
  deps.logger.error({ err: e, requestId, globalRequestId: globalId }, "unexpected error");
  return new HttpError(500, "An unexpected error occurred; the log has the details under this request id.");
}

function renderError(err: HttpError, req: Request, requestId: string, version: Version | undefined): Response {
  const withCode = !!version && version.atLeast(1, 23);
  const facts = { accept: effectiveAccept(req.headers.get("accept")), method: req.method };
  return errorResponse(err, facts, () => errorBody(err, requestId, withCode, facts));
}
