// The operator commands' work, as text and an exit status (main.ts prints and exits): `db
// online_data_migrations` as placement-manage, `upgrade check` as placement-status.
import type { Config } from "../config.js";
import type { Store } from "../db/open.js";
import { onlineExitCode, runOnlineMigrations } from "../db/online-migrations.js";
import { prettyTable } from "../python/prettytable.js";
import { renderJson, renderTable, runChecks, worst } from "./upgrade-check.js";

export interface Outcome {
  code: number;
  stdout: string;
  /** Details for the log or stderr (the errors behind "Some migrations failed"). */
  stderr: string;
}

/** placement-manage's batch when --max-count is not given. */
const DEFAULT_BATCH = 50;

export async function onlineDataMigrations(store: Store, config: Config, maxCountRaw: string | undefined): Promise<Outcome> {
  const limited = maxCountRaw !== undefined;
  let maxCount = DEFAULT_BATCH;
  const out: string[] = [];
  if (limited) {
    // NOTE: as the reference: anything not a positive whole number is refused with 127.
    maxCount = /^\s*[+-]?\d+\s*$/.test(maxCountRaw) ? Number(maxCountRaw) : -1;
    if (maxCount < 1) return { code: 127, stdout: "Must supply a positive value for max_count\n", stderr: "" };
  } else out.push(`Running batches of ${maxCount} until complete`);
  const ids = { projectId: config.placement.incompleteConsumerProjectId, userId: config.placement.incompleteConsumerUserId };
  const r = await runOnlineMigrations(store, maxCount, limited, ids);
  out.push(...r.lines);
  out.push(
    prettyTable(
      ["Migration", "Total Found", "Completed"],
      r.totals.map((t) => [t.name, t.found, t.done]),
    ),
  );
  const code = onlineExitCode(r, limited);
  if (code === 2) out.push("Some migrations failed unexpectedly. Check log for details.");
  const stderr = r.errors.map((e) => `${e.name}: ${(e.error as Error)?.message ?? String(e.error)}\n`).join("");
  return { code, stdout: `${out.join("\n")}\n`, stderr };
}

export async function upgradeCheck(store: Store, config: Config, json: boolean): Promise<Outcome> {
  const results = await runChecks(store, config);
  return { code: worst(results), stdout: `${json ? renderJson(results) : renderTable(results)}\n`, stderr: "" };
}
