// What every handler receives: the request, its microversion, credentials and the app's dependencies.
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Store } from "../db/open.js";
import type { Enforcer, Credentials } from "../policy/index.js";
import type { Version } from "./microversion.js";
import type { Authenticator } from "./auth.js";
import type { Snapshots } from "../objects/candidates/snapshot.js";
import type { Health } from "../objects/health.js";
import type { Metrics } from "./metrics.js";
import type { BodyBuffers } from "./candidate-body.js";
import type { Claims } from "../objects/claim-queue.js";

export interface Deps {
  readonly store: Store;
  readonly config: Config;
  readonly enforcer: Enforcer;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Who is calling (http/auth.ts): credentials, or the response that refuses the request. */
  readonly authenticate: Authenticator;
  /** The in-memory copy the candidate search answers from while the database is unchanged. */
  readonly candidateSnapshots?: Snapshots;
  /** This app's Prometheus metrics (served by metrics-listener.ts, never on the API port). */
  readonly metrics: Metrics;
  /** Output buffers of candidate bodies, reused once each response is written (this app's own). */
  readonly bodyBuffers: BodyBuffers;
  /** This app's group commit for claims (objects/claim-queue.ts), maybe routed (claim-routing.ts): never shared between apps. */
  readonly claims: Claims;
  /** SELECT 1 within a short timeout (GET /healthcheck). */
  readonly checkDatabase: () => Promise<Health>;
}

export interface Ctx {
  readonly deps: Deps;
  readonly req: Request;
  readonly url: URL;
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly version: Version;
  readonly requestId: string;
  readonly creds: Credentials;
  /**
   * Served by a Node HTTP server: calls `fn` once the response has been handed to the operating
   * system in full (not when the connection broke first). Absent in process (app.request).
   */
  readonly afterSent?: (fn: () => void) => void;
}

export type Handler = (ctx: Ctx) => Promise<Response> | Response;
