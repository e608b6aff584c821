// Metrics of a node:cluster fleet (`berth serve --workers N`): each worker answers the primary's
// requests with its app's registry; the primary serves their aggregate through metrics-listener.ts
// (prom-client's AggregatorRegistry, over the cluster's IPC channel).
import { AggregatorRegistry, Registry } from "prom-client";
import type { MetricsSource } from "./metrics-listener.js";

/** In a worker: answer the primary's requests for metrics with this app's registry. */
export function answerPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // NOTE: constructing an AggregatorRegistry is what makes prom-client listen for the primary's
  // requests in a worker; the object itself is not used.
  new AggregatorRegistry();
}

/**
 * In a worker that is still starting (waiting for its database, say): answer the primary with no
 * metrics, so that its scrape of the other workers does not wait for this one and fail.
 */
export function answerPrimaryEmpty(): void {
  answerPrimary(new Registry());
}

/**
 * In the primary: every worker's metrics, aggregated as prom-client does (counters, histograms and
 * the pool gauges summed; event-loop lag averaged; process start time omitted).
 */
export function clusterSource(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
}
