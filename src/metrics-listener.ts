// The Prometheus listener: GET /metrics on a port of its own, never the API's, so tenants never see
// it. What it serves is a MetricsSource: one app's registry now; a cluster primary can pass one that
// aggregates its workers' (prom-client's AggregatorRegistry) without changing the listener.
// NOTE: besides main.ts this is the one file that listens; main.ts calls it.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

export function registrySource(registry: Registry): MetricsSource {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

export interface MetricsListenerOptions {
  host: string;
  port: number;
  source: MetricsSource;
  /** Told when a scrape fails (the scraper gets a 500). */
  onError?(err: unknown): void;
}

/** Listens; resolves with the server once it does, rejects when it cannot (port in use...). */
export function listenMetrics(opts: MetricsListenerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: metrics are at GET /metrics\n");
      return;
    }
    opts.source().then(
      ({ contentType, body }) => void res.writeHead(200, { "content-type": contentType }).end(body),
      (err: unknown) => {
        opts.onError?.(err);
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics could not be collected\n");
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      // NOTE: a later failure of the listener (out of file descriptors) is logged, never fatal.
      server.on("error", (err) => opts.onError?.(err));
      resolve(server);
    });
  });
}

export class MetricsListenError extends Error {}

/**
 * `berth serve`'s metrics listener: none when `port` is undefined. Says where it listens; a port
 * that cannot be had stops start-up with a MetricsListenError naming the option.
 */
export async function startMetricsListener(
  opts: Omit<MetricsListenerOptions, "port"> & { port: number | undefined; log(m: string): void },
): Promise<Server | undefined> {
  if (opts.port === undefined) return undefined;
  const where = `${opts.host}:${opts.port}`;
  try {
    const server = await listenMetrics({ ...opts, port: opts.port });
    const port = (server.address() as { port: number }).port;
    opts.log(`Prometheus metrics on http://${opts.host}:${port}/metrics`);
    return server;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EADDRINUSE" ? "it is in use" : err.message;
    throw new MetricsListenError(`cannot serve metrics on ${where} (${why}): choose another port with --metrics-port or [berth] metrics_port`);
  }
}
