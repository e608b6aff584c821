// berth allocation candidate list|explain, with granular groups: options after --group <suffix>
// belong to that group; explain (Berth's own) takes the same flags and says why the request fits or not.
import type { Command } from "commander";
import type { CandidateExplanation, CandidateRequest, ExplainStep, GroupSpec } from "@berth/client";
import { int, keyInt, leaf, type CliIo } from "./command.js";
import { UsageError } from "./errors.js";
import { printList, printRaw, table } from "./output.js";

/** Collects group options in argv order (commander calls option parsers in that order). */
export class GroupCollector {
  private current = "";
  readonly groups: Record<string, GroupSpec> = { "": {} };
  private get g(): GroupSpec {
    return (this.groups[this.current] ??= {});
  }
  group = (suffix: string) => {
    this.current = suffix;
    this.groups[suffix] ??= {};
    return suffix;
  };
  resource = (v: string) => {
    const [rc, n] = keyInt(v, "--resource");
    this.g.resources = { ...this.g.resources, [rc]: n };
    return v;
  };
  required = (v: string) => {
    // "A,B" is any-of (1.39); a single trait is plain.
    const parts = v.split(",");
    if (parts.length > 1) this.g.anyOf = [...(this.g.anyOf ?? []), parts];
    else this.g.required = [...(this.g.required ?? []), v];
    return v;
  };
  forbidden = (v: string) => {
    this.g.required = [...(this.g.required ?? []), `!${v}`];
    return v;
  };
  memberOf = (v: string) => {
    if (v.startsWith("!")) this.g.notMemberOf = [...(this.g.notMemberOf ?? []), ...v.slice(1).split(",")];
    else this.g.memberOf = [...(this.g.memberOf ?? []), v.split(",")];
    return v;
  };
  inTree = (v: string) => {
    this.g.inTree = v;
    return v;
  };

  request(extra: Omit<CandidateRequest, keyof GroupSpec | "groups">): CandidateRequest {
    const { "": main = {}, ...groups } = this.groups;
    return { ...main, ...extra, ...(Object.keys(groups).length ? { groups } : {}) };
  }
}

type CandidateFlags = { limit?: string; groupPolicy?: string; rootRequired?: string[]; sameSubtree?: string[] };

/** The request the flags describe (the same for list and explain). */
function requestOf(groups: GroupCollector, o: CandidateFlags): CandidateRequest {
  if (o.groupPolicy && !["none", "isolate"].includes(o.groupPolicy)) throw new UsageError("--group-policy must be none or isolate");
  return groups.request({
    limit: int(o.limit, "--limit"),
    groupPolicy: o.groupPolicy as "none" | "isolate" | undefined,
    rootRequired: o.rootRequired,
    sameSubtree: o.sameSubtree?.map((s) => s.split(",")),
  });
}

/** The flags of a candidates request, collected into `groups`. */
function candidateFlags(groups: GroupCollector) {
  return (c: Command) =>
    c
      .option("--group <suffix>", "start a granular group (1, 2, ... or _NAME); the options after it belong to it", groups.group)
      .option("--resource <class=amount>", "resources to allocate (repeat)", groups.resource)
      .option("--required <trait>", "required trait; A,B means any of them (1.39) (repeat)", groups.required)
      .option("--forbidden <trait>", "forbidden trait (repeat)", groups.forbidden)
      .option("--member-of <aggregates>", "in one of these comma-separated aggregates; !A,B: in none of them (repeat)", groups.memberOf)
      .option("--in-tree <uuid>", "only in this provider's tree (1.31)", groups.inTree)
      .option("--limit <n>", "at most this many candidates")
      .option("--group-policy <policy>", "none or isolate: may granular groups share a provider")
      .option("--root-required <trait>", "trait the root must have; !T: must not (repeat) (1.35)", (v: string, p?: string[]) => [...(p ?? []), v])
      .option("--same-subtree <suffixes>", "comma-separated group suffixes from one subtree (repeat) (1.36)", (v: string, p?: string[]) => [...(p ?? []), v]);
}

export function register(program: Command, io: CliIo): void {
  const candidate = program.command("allocation").description("allocations").command("candidate").description("allocation candidates");
  const groups = new GroupCollector();
  leaf<CandidateFlags>(
    "list",
    candidate,
    "list",
    "list allocation candidates",
    io,
    async ({ client, out }, _a, o) => {
      const r = await client.allocationCandidates.list(requestOf(groups, o));
      const rows = r.allocation_requests.flatMap((ar, i) =>
        Object.entries(ar.allocations).map(([rp, { resources }]) => {
          const s = r.provider_summaries[rp];
          return {
            "#": i + 1,
            allocation: Object.entries(resources)
              .map(([rc, n]) => `${rc}=${n}`)
              .join(","),
            "resource provider": rp,
            "inventory used/capacity": Object.entries(s?.resources ?? {})
              .map(([rc, u]) => `${rc}=${u.used}/${u.capacity}`)
              .join(","),
            traits: (s?.traits ?? []).join(","),
          };
        }),
      );
      printList(out, ["#", "allocation", "resource provider", "inventory used/capacity", "traits"], rows);
    },
    candidateFlags(groups),
  );
  const explained = new GroupCollector();
  leaf<CandidateFlags>(
    "raw",
    candidate,
    "explain",
    "why a candidates request fits or not (Berth's own; the same flags as list)",
    io,
    async ({ client, out }, _a, o) => {
      const e = await client.allocationCandidates.explain(requestOf(explained, o));
      printRaw(out, e, explanationText(e));
    },
    candidateFlags(explained),
  );
}

const groupName = (suffix: string) => (suffix === "" ? "(unsuffixed)" : suffix);

/** What a step is about, in a table cell. */
function stepDetail(s: ExplainStep): string {
  if (s.resource_class) return s.amount === undefined ? s.resource_class : `${s.resource_class}=${s.amount}`;
  if (s.constraint === "root_required") return [...(s.traits ?? []), ...(s.forbidden ?? []).map((t) => `!${t}`)].join(",");
  if (s.traits) return s.traits.join(s.constraint === "required_traits" ? " or " : ",");
  if (s.aggregates) return s.aggregates.join(s.constraint === "member_of" ? " or " : ",");
  if (s.tree) return s.tree;
  if (s.groups) return s.groups.map(groupName).join(",");
  if (s.sharing_providers !== undefined) return `${s.sharing_providers} sharing`;
  return "";
}

function stepsTable(steps: readonly ExplainStep[]): string {
  return table(
    ["constraint", "detail", "providers", "trees"],
    steps.map((s) => [s.constraint, stepDetail(s), s.providers ?? "", s.undecided ? `${s.trees} (${s.undecided} undecided)` : s.trees]),
  );
}

/** The explanation for people: the summary, each group's funnel, the request-wide steps, the near misses. */
export function explanationText(e: CandidateExplanation): string {
  const parts = [`${e.summary}\n`, `${e.providers} providers in ${e.trees} trees (${e.source}, microversion ${e.microversion})\n`];
  for (const g of e.groups) {
    const res = Object.entries(g.resources)
      .map(([rc, n]) => `${rc}=${n}`)
      .join(",");
    parts.push(
      `\ngroup ${groupName(g.suffix)}${res ? `: ${res}` : ""}${g.separate_providers ? " (from one or more providers of a tree)" : ""}\n${stepsTable(g.steps)}`,
    );
  }
  parts.push(`\ntogether\n${stepsTable(e.together)}`);
  if (e.near_misses.length) {
    parts.push(
      `\nnear misses\n${table(
        ["tree", "fails", "why"],
        e.near_misses.map((m) => [m.root.name ?? m.root.uuid, m.fails, m.failed.map((f) => f.message).join("\n")]),
      )}`,
    );
  }
  return parts.join("");
}
