// Prometheus metrics of one app: a Registry of its own (no module-level state), fed by app.ts after
// each request, by the candidate snapshots after each rebuild and by the database layer on retries.
// Served by metrics-listener.ts on a port of its own, never on the API port.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PoolStats, Store } from "../db/open.js";
import type { ClaimBatch } from "../objects/claim-queue.js";

/** Why the database layer ran a statement or transaction again (a label value: keep the set small). */
export type RetryReason = "deadlock" | "serialization_failure" | "connection_lost" | "generation_conflict" | (string & {});

/** What the database layer calls when it retries inside a request. */
export type OnRetry = (reason: RetryReason) => void;

/** One request as app.ts saw it. */
export interface RequestObservation {
  /**
   * The route template from routes.ts (`/resource_providers/{uuid}`), or "other" when no route
   * matched the path.
   */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly seconds: number;
  /** The error code of an error body (placement.concurrent_update...). */
  readonly errorCode?: string;
}

export interface Metrics {
  readonly registry: Registry;
  observeRequest(o: RequestObservation): void;
  readonly onRetry: OnRetry;
  /** A candidate snapshot was rebuilt; it took this long. */
  onSnapshotBuild(seconds: number): void;
  /** A batch of claims was written (claim-queue.ts): how many, which way, how many checked writes it sent. */
  onClaimBatch(o: ClaimBatch): void;
}

export interface MetricsOptions {
  /** Pool gauges read from this store's drivers when scraped (none for SQLite). */
  store?: Store;
  /** The process metrics of prom-client (CPU, memory, event loop, GC): for `berth serve` only. */
  processMetrics?: boolean;
}

/** The label value for requests that matched no route: unknown paths must not grow the label set. */
export const NO_ROUTE = "other";

const CANDIDATES = "/allocation_candidates";
const CLAIM_ROUTES = new Set(["PUT /allocations/{consumer_uuid}", "POST /allocations"]);

// Seconds. Claims take a millisecond or two; candidate searches from under a millisecond to many
// seconds on wide trees without a limit.
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CLAIM_BUCKETS = [0.00025, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const CANDIDATE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
const SNAPSHOT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "berth_http_requests_total",
    help: "API requests answered, by route template, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "berth_http_request_duration_seconds",
    help: "Time to answer an API request (every route), by route template and method",
    labelNames: ["route", "method"] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const candidates = new Histogram({
    name: "berth_allocation_candidates_duration_seconds",
    help: "Time to answer GET /allocation_candidates, by status",
    labelNames: ["status"] as const,
    buckets: CANDIDATE_BUCKETS,
    registers,
  });
  const claims = new Histogram({
    name: "berth_claim_duration_seconds",
    help: "Time to answer a claim (PUT /allocations/{consumer_uuid}, POST /allocations), by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: CLAIM_BUCKETS,
    registers,
  });
  const conflicts = new Counter({
    name: "berth_generation_conflicts_total",
    help: "409 answers with code placement.concurrent_update (a generation changed under the request), by route template and method",
    labelNames: ["route", "method"] as const,
    registers,
  });
  const retries = new Counter({
    name: "berth_db_retries_total",
    help: "Statements or transactions the database layer ran again inside a request, by reason",
    labelNames: ["reason"] as const,
    registers,
  });
  const snapshots = new Histogram({
    name: "berth_candidate_snapshot_build_seconds",
    help: "Rebuilds of the in-memory candidate snapshot and their duration (_count is the number of rebuilds)",
    buckets: SNAPSHOT_BUCKETS,
    registers,
  });
  const batches = new Histogram({
    name: "berth_claim_batch_claims",
    help: "Claims written together (one transaction or one checked write), by path: checked, transaction or alone",
    labelNames: ["path"] as const,
    buckets: BATCH_BUCKETS,
    registers,
  });
  const checkedWrites = new Counter({
    name: "berth_claim_checked_writes_total",
    help: "Checked claim writes sent (PostgreSQL, MySQL); more than batches of the checked path means generations moved between read and write",
    registers,
  });
  const stats = opts.store?.poolStats;
  if (stats) {
    const poolGauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["pool"] as const,
        registers,
        collect() {
          for (const s of stats()) this.set({ pool: s.pool }, pick(s));
        },
      });
    poolGauge("berth_db_pool_connections_in_use", "Database connections handed out by the pool (main: requests; claims: claims)", (s) => s.inUse);
    poolGauge("berth_db_pool_waiting", "Requests waiting for a database connection from the pool", (s) => s.waiting);
    poolGauge("berth_db_pool_connections", "Database connections open in the pool, busy or idle", (s) => s.total);
  }
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });

  return {
    registry,
    observeRequest({ route, method, status, seconds, errorCode }) {
      const code = String(status);
      requests.inc({ route, method, status: code });
      duration.observe({ route, method }, seconds);
      if (route === CANDIDATES && method === "GET") candidates.observe({ status: code }, seconds);
      else if (CLAIM_ROUTES.has(`${method} ${route}`)) claims.observe({ route, method, status: code }, seconds);
      if (status === 409 && errorCode === "placement.concurrent_update") conflicts.inc({ route, method });
    },
    onRetry: (reason) => retries.inc({ reason }),
    onSnapshotBuild: (seconds) => snapshots.observe(seconds),
    onClaimBatch({ claims, path, writes }) {
      batches.observe({ path }, claims);
      if (writes) checkedWrites.inc(writes);
    },
  };
}
