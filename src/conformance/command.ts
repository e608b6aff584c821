// `berth conformance serve|run`: the known-good server for a client's own tests, until a signal
// (serve) or until the client's command exits (run); then the report, as JSON and a summary.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { Logger } from "pino";
import { startConformance, type ConformanceServer } from "./serve.js";
import { renderSummary, type Report } from "./report.js";

export interface CommandOptions {
  host?: string;
  port?: number;
  faults?: string;
  maxVersion?: string;
  /** Where to write the JSON report; the summary goes next to it (.md). */
  report?: string;
  /** With `run`: the client's command. */
  command?: string[];
  env: NodeJS.ProcessEnv;
  /** The report's summary goes here (stdout). */
  out: (s: string) => void;
  /** Notes on the way (stderr): where the server listens, a command that cannot start. */
  note: (s: string) => void;
  logger?: Logger;
}

/** The summary's file beside the JSON report's: x.json -> x.md, x -> x.md. */
export const summaryFile = (report: string): string => report.replace(/(\.json)?$/, ".md");

function finish(server: ConformanceServer, o: CommandOptions, run: { command?: string[]; exitCode?: number | null }): Report {
  const r = server.report(run);
  const summary = renderSummary(r);
  if (o.report) {
    writeFileSync(o.report, `${JSON.stringify(r, null, 2)}\n`);
    writeFileSync(summaryFile(o.report), summary);
  }
  o.out(summary);
  return r;
}

/**
 * Serves until SIGINT or SIGTERM (without a command) or until the command exits, with
 * OS_ENDPOINT, OS_PLACEMENT_ENDPOINT and BERTH_CONFORMANCE_URL in its environment. Resolves to
 * the exit code: 1 when a rule fails, else the command's own (0 when serving until a signal).
 */
export async function conformanceCommand(o: CommandOptions): Promise<number> {
  const server = await startConformance({ host: o.host, port: o.port, faults: o.faults, maxVersion: o.maxVersion, logger: o.logger });
  o.note(`conformance server on ${server.url} (report: GET ${server.url}/_conformance/report)`);
  if (!o.command?.length) {
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    const r = finish(server, o, {});
    await server.close();
    return r.verdict === "pass" ? 0 : 1;
  }
  const [cmd, ...args] = o.command;
  const child = spawn(cmd!, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...o.env, OS_ENDPOINT: server.url, OS_PLACEMENT_ENDPOINT: server.url, BERTH_CONFORMANCE_URL: server.url },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once("error", (e) => {
      o.note(`cannot run ${cmd}: ${e.message}`);
      resolve(127);
    });
    child.once("exit", (code) => resolve(code));
  });
  process.off("SIGINT", forward);
  process.off("SIGTERM", forward);
  const r = finish(server, o, { command: o.command, exitCode });
  await server.close();
  return r.verdict === "fail" ? 1 : (exitCode ?? 1);
}
