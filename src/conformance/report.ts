// The conformance report: the rules' verdicts over one run, as JSON and as a readable summary.
import { describeFaults, type FaultSpec } from "./faults.js";
import type { Exchange } from "./recorder.js";
import { RULES, type RuleResult, type Verdict } from "./rules.js";

/** Version of the report's format (not a Placement microversion). */
export const REPORT_VERSION = "1.0";

export interface Report {
  kit: "berth-conformance";
  report_version: string;
  verdict: "pass" | "fail";
  server: { min_version: string; max_version: string; faults: string };
  client: {
    /** The command run with --run, and how it ended. */
    command?: string[];
    exit_code?: number | null;
    user_agents: string[];
    requests: number;
    /** Requests per microversion sent ("none" without a header). */
    versions: Record<string, number>;
  };
  faults_injected: Record<string, number>;
  rules: RuleResult[];
}

export interface ReportInput {
  exchanges: readonly Exchange[];
  maxVersion: string;
  faults: FaultSpec;
  command?: string[];
  exitCode?: number | null;
}

export function buildReport(input: ReportInput): Report {
  const run = { exchanges: input.exchanges, maxVersion: input.maxVersion, oldNode: input.exchanges.some((e) => e.fault === "old-node") };
  const rules = RULES.map((r) => r.judge(run));
  const versions: Record<string, number> = {};
  const injected: Record<string, number> = {};
  for (const e of input.exchanges) {
    const v = e.versionHeader ?? "none";
    versions[v] = (versions[v] ?? 0) + 1;
    if (e.fault) injected[e.fault] = (injected[e.fault] ?? 0) + 1;
  }
  return {
    kit: "berth-conformance",
    report_version: REPORT_VERSION,
    verdict: rules.some((r) => r.verdict === "fail") ? "fail" : "pass",
    server: { min_version: "1.0", max_version: input.maxVersion, faults: describeFaults(input.faults) || "none" },
    client: {
      ...(input.command ? { command: input.command, exit_code: input.exitCode ?? null } : {}),
      user_agents: [...new Set(input.exchanges.map((e) => e.userAgent ?? "(none)"))].sort(),
      requests: input.exchanges.length,
      versions: Object.fromEntries(Object.entries(versions).sort(([a], [b]) => order(a) - order(b))),
    },
    faults_injected: injected,
    rules,
  };
}

const order = (v: string) => (/^1\.\d+$/.test(v) ? Number(v.slice(2)) : 1000);

const MARK: Record<Verdict, string> = { pass: "pass", fail: "**FAIL**", not_exercised: "not exercised" };

/** The readable summary (Markdown, which reads as plain text too). */
export function renderSummary(r: Report): string {
  const out: string[] = [];
  out.push(`# Conformance report: ${r.verdict === "pass" ? "pass" : "FAIL"}`, "");
  if (r.client.command) out.push(`Client: \`${r.client.command.join(" ")}\` (exit ${r.client.exit_code ?? "by signal"})`);
  out.push(`User agents: ${r.client.user_agents.map((u) => `\`${u}\``).join(", ")}`);
  out.push(`Server: microversions ${r.server.min_version} to ${r.server.max_version}; faults: \`${r.server.faults}\``);
  const inj = Object.entries(r.faults_injected);
  out.push(`Requests: ${r.client.requests}; faults injected: ${inj.length ? inj.map(([k, n]) => `${k} ${n}`).join(", ") : "none"}`);
  out.push(
    `Microversions sent: ${Object.entries(r.client.versions)
      .map(([v, n]) => `${v} x${n}`)
      .join(", ")}`,
    "",
  );
  out.push("| rule | verdict | checked | summary |", "|---|---|---:|---|");
  for (const rule of r.rules) out.push(`| \`${rule.id}\` | ${MARK[rule.verdict]} | ${rule.checked} | ${rule.summary.replace(/\|/g, "\\|")} |`);
  for (const rule of r.rules) {
    if (!rule.evidence.length) continue;
    out.push("", `## ${rule.id}: ${rule.title} (${rule.verdict === "fail" ? "offending requests" : "how it was exercised"})`, "");
    for (const e of rule.evidence)
      out.push(`- #${e.seq} \`${e.request}\`${e.version !== undefined ? ` at ${e.version}` : ""} -> ${e.status || "dropped"}: ${e.why}`);
  }
  return `${out.join("\n")}\n`;
}
