// A known-good Berth for client conformance runs: SQLite in a temporary directory, noauth2, the
// recording and fault layer in front, the report at GET /_conformance/report. main.ts's
// `berth conformance serve` and the tests start it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { loadConfig } from "../config.js";
import { prepare } from "../server.js";
import { createListener, DEFAULT_LIMITS } from "../listener.js";
import { MAX_VERSION } from "../http/microversion.js";
import { createLayer, type Layer } from "./layer.js";
import { parseFaults, type FaultSpec } from "./faults.js";
import { buildReport, renderSummary, type Report } from "./report.js";
import { compare } from "./needs.js";

export interface ConformanceOptions {
  host?: string;
  /** 0 (the default): any free port. */
  port?: number;
  /** A fault spec (faults.ts) or a parsed one. */
  faults?: string | FaultSpec;
  /** The maximum microversion to announce and accept (default 1.39). */
  maxVersion?: string;
  logger?: Logger;
}

export interface ConformanceServer {
  url: string;
  layer: Layer;
  /** The report over everything recorded so far. */
  report(run?: { command?: string[]; exitCode?: number | null }): Report;
  close(): Promise<void>;
}

export class ConformanceOptionError extends Error {}

export async function startConformance(opts: ConformanceOptions = {}): Promise<ConformanceServer> {
  const faults = typeof opts.faults === "object" ? opts.faults : parseFaults(opts.faults);
  const maxVersion = opts.maxVersion ?? MAX_VERSION;
  if (!/^1\.\d+$/.test(maxVersion) || compare(maxVersion, MAX_VERSION) > 0)
    throw new ConformanceOptionError(`--max-version must be 1.0 to ${MAX_VERSION}, not ${JSON.stringify(maxVersion)}`);
  const dir = mkdtempSync(join(tmpdir(), "berth-conformance-"));
  const config = loadConfig({
    overrides: {
      api: { auth_strategy: "noauth2" },
      placement_database: { connection: `sqlite:///${join(dir, "berth.sqlite")}`, sync_on_startup: "true" },
    },
  });
  const { app, store } = await prepare(config, opts.logger);
  let layer: Layer;
  const report = (run: { command?: string[]; exitCode?: number | null } = {}) =>
    buildReport({ exchanges: layer.recorder.exchanges, maxVersion, faults, command: run.command, exitCode: run.exitCode });
  layer = createLayer({
    app,
    faults,
    maxVersion,
    control: (req, url) => {
      if (url.pathname !== "/_conformance/report" || req.method !== "GET") return undefined;
      const r = report();
      const format = url.searchParams.get("format");
      if (format === "markdown" || format === "text") return new Response(renderSummary(r), { headers: { "content-type": "text/markdown; charset=utf-8" } });
      return new Response(`${JSON.stringify(r, null, 2)}\n`, { headers: { "content-type": "application/json" } });
    },
  });
  const server = createListener(layer, { ...DEFAULT_LIMITS, maxBodyBytes: config.api.maxRequestBodySize }, opts.logger);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
    });
  } catch (e) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    layer,
    report,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
