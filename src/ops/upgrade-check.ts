// `berth status upgrade check`: the checks placement-status upgrade check runs in Placement 8.0.0,
// in its order, with its table (or --json) and exit status (the worst result: 0, 1 or 2).
import { readFileSync } from "node:fs";
import type { Config } from "../config.js";
import type { Store } from "../db/open.js";
import { allocationConsumersMissing, providersWithoutRoot } from "../db/migrations.js";
import { resolvePolicyPath } from "../policy/index.js";
import { prettyTable, wrap } from "../python/prettytable.js";

export enum Code {
  SUCCESS = 0,
  WARNING = 1,
  FAILURE = 2,
}
const WORD: Record<Code, string> = { [Code.SUCCESS]: "Success", [Code.WARNING]: "Warning", [Code.FAILURE]: "Failure" };

export interface Result {
  code: Code;
  details: string | null;
}
export interface Check {
  name: string;
  run(store: Store, config: Config): Promise<Result>;
}

const ok: Result = { code: Code.SUCCESS, details: null };

export const CHECKS: readonly Check[] = [
  {
    name: "Missing Root Provider IDs",
    async run(store) {
      if (!(await providersWithoutRoot(store.db))) return ok;
      return {
        code: Code.FAILURE,
        details: 'There is at least one resource provider table record which misses its root provider id. Run the "berth db online_data_migrations" command.',
      };
    },
  },
  {
    name: "Incomplete Consumers",
    async run(store) {
      const n = await allocationConsumersMissing(store.db);
      if (!n) return ok;
      return {
        code: Code.WARNING,
        details: `There are ${n} incomplete consumers table records for existing allocations. Run the "berth db online_data_migrations" command.`,
      };
    },
  },
  {
    name: "Policy File JSON to YAML Migration",
    async run(_store, config) {
      let text: string;
      try {
        text = readFileSync(resolvePolicyPath(config.policy.policyFile, config.configDir), "utf8");
      } catch {
        return ok;
      }
      try {
        JSON.parse(text);
      } catch {
        return ok;
      }
      return {
        code: Code.FAILURE,
        details:
          "Your policy file is JSON-formatted which is deprecated. You need to switch to YAML-formatted file. Use the ``oslopolicy-convert-json-to-yaml`` tool to convert the existing JSON-formatted files to YAML in a backwards-compatible manner: https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html.",
      };
    },
  },
];

export async function runChecks(store: Store, config: Config): Promise<{ name: string; result: Result }[]> {
  const out: { name: string; result: Result }[] = [];
  for (const c of CHECKS) out.push({ name: c.name, result: await c.run(store, config) });
  return out;
}

export function worst(results: readonly { result: Result }[]): Code {
  return results.reduce((w, r) => Math.max(w, r.result.code), Code.SUCCESS);
}

const TITLE = "Upgrade Check Results";

/** The table placement-status prints (details wrapped at 60 characters). */
export function renderTable(results: readonly { name: string; result: Result }[]): string {
  const rows = results.map(({ name, result }) => [
    `Check: ${name}\nResult: ${WORD[result.code]}\nDetails: ${result.details === null ? "None" : wrap(result.details, 60, "  ").join("\n")}`,
  ]);
  return prettyTable([TITLE], rows, { align: "l", hrules: true });
}

/** What --json prints: Python's json.dumps of the same results. */
export function renderJson(results: readonly { name: string; result: Result }[]): string {
  return pyDumps({ name: TITLE, checks: results.map(({ name, result }) => ({ check: name, result: result.code, details: result.details })) });
}

/** json.dumps with its default separators and ensure_ascii. */
export function pyDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(", ")}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${pyDumps(k)}: ${pyDumps(x)}`)
    .join(", ")}}`;
}
