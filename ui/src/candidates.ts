// Candidate explorer: every GET /allocation_candidates parameter (1.39) as a form, the candidates
// as a table. When nothing fits, NoCandidatesExplanation shows why (GET /allocation_candidates/explain).
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, query, read } from "./api";
import type { Candidates } from "./types";
import { ErrorNote, fmt, providerLabel } from "./widgets";

interface Group {
  suffix: string;
  resources: string;
  required: string;
  member_of: string;
  in_tree: string;
}

const emptyGroup = (suffix = ""): Group => ({ suffix, resources: "", required: "", member_of: "", in_tree: "" });

/** The query string the form stands for: one set of parameters per group, suffixed. */
export function candidateQuery(groups: Group[], rest: { group_policy: string; same_subtree: string; root_required: string; limit: string }): string {
  const q = new URLSearchParams();
  for (const g of groups) {
    for (const k of ["resources", "required", "member_of", "in_tree"] as const) {
      // NOTE: required and member_of may repeat (each repetition is ANDed); one per line.
      for (const v of g[k]
        .split("\n")
        .map((s) => s.trim())
        .filter(Boolean))
        q.append(`${k}${g.suffix}`, v);
    }
  }
  for (const s of rest.same_subtree
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean))
    q.append("same_subtree", s);
  if (rest.group_policy) q.set("group_policy", rest.group_policy);
  if (rest.root_required.trim()) q.set("root_required", rest.root_required.trim());
  if (rest.limit.trim()) q.set("limit", rest.limit.trim());
  return q.toString();
}

export function CandidatesView() {
  const [groups, setGroups] = useState<Group[]>([emptyGroup()]);
  const [rest, setRest] = useState({ group_policy: "", same_subtree: "", root_required: "", limit: "20" });
  const [result, setResult] = useState<{ q: string; body?: Candidates; names: Record<string, { name: string | null }>; error?: unknown }>();
  const [busy, setBusy] = useState(false);
  const edit = (i: number, k: keyof Group, v: string) => setGroups(groups.map((g, j) => (j === i ? { ...g, [k]: v } : g)));
  const submit = async (e: Event) => {
    e.preventDefault();
    const q = candidateQuery(groups, rest);
    setBusy(true);
    try {
      const body = await read<Candidates>(`../allocation_candidates?${q}`);
      const uuids = Object.keys(body.provider_summaries);
      let names: Record<string, { name: string | null }> = {};
      if (uuids.length)
        names = (await read<{ providers: typeof names }>(`api/names${query({ uuid: uuids.slice(0, 500).join(",") })}`).catch(() => ({ providers: {} })))
          .providers;
      setResult({ q, body, names });
    } catch (error) {
      setResult({ q, names: {}, error });
    } finally {
      setBusy(false);
    }
  };
  const area = (label: string, value: string, onInput: (v: string) => void, name: string, placeholder = "") =>
    html`<label>${label}<textarea name=${name} rows="1" placeholder=${placeholder} value=${value} onInput=${(e: Event) => onInput((e.target as HTMLTextAreaElement).value)}></textarea></label>`;
  return html`<section class="view" data-view="candidates">
    <h2>Candidate explorer</h2>
    <form class="candidate-form" onSubmit=${submit}>
      ${groups.map(
        (g, i) => html`<fieldset class="group-form" data-group=${i}>
          <legend>${g.suffix ? html`Group <input class="suffix" name=${`suffix${i}`} value=${g.suffix} size="8" onInput=${(e: Event) => edit(i, "suffix", (e.target as HTMLInputElement).value)} />` : "Unsuffixed group"}
            ${i > 0 ? html` <button type="button" onClick=${() => setGroups(groups.filter((_, j) => j !== i))}>remove</button>` : null}</legend>
          ${area("resources", g.resources, (v) => edit(i, "resources", v), `resources${i}`, "VCPU:2,MEMORY_MB:2048")}
          ${area("required (one per line)", g.required, (v) => edit(i, "required", v), `required${i}`, "HW_CPU_X86_AVX2,!CUSTOM_X or in:A,B")}
          ${area("member_of (one per line)", g.member_of, (v) => edit(i, "member_of", v), `member_of${i}`, "in:agg1,agg2")}
          ${area("in_tree", g.in_tree, (v) => edit(i, "in_tree", v), `in_tree${i}`, "provider uuid")}
        </fieldset>`,
      )}
      <p><button type="button" name="add-group" onClick=${() => setGroups([...groups, emptyGroup(`_G${groups.length}`)])}>Add a request group</button></p>
      <fieldset><legend>Whole request</legend>
        <label>group_policy <select name="group_policy" value=${rest.group_policy} onChange=${(e: Event) => setRest({ ...rest, group_policy: (e.target as HTMLSelectElement).value })}>
          <option value="">(none)</option><option value="none">none</option><option value="isolate">isolate</option></select></label>
        ${area("same_subtree (one per line)", rest.same_subtree, (v) => setRest({ ...rest, same_subtree: v }), "same_subtree", "_G1,_G2")}
        ${area("root_required", rest.root_required, (v) => setRest({ ...rest, root_required: v }), "root_required", "!CUSTOM_EXCLUDED")}
        <label>limit <input name="limit" type="number" min="1" value=${rest.limit} onInput=${(e: Event) => setRest({ ...rest, limit: (e.target as HTMLInputElement).value })} /></label>
      </fieldset>
      <p><button type="submit" name="search" disabled=${busy}>Find candidates</button> <code class="dim">GET /allocation_candidates?${candidateQuery(groups, rest)}</code></p>
    </form>
    ${result ? html`<${Results} r=${result} />` : null}
  </section>`;
}

function Results(props: { r: { q: string; body?: Candidates; names: Record<string, { name: string | null }>; error?: unknown } }) {
  const { body, names, error, q } = props.r;
  if (error) return html`<div data-ready="candidates"><${ErrorNote} error=${error} />${error instanceof ApiError && error.status === 400 ? null : null}</div>`;
  if (!body) return null;
  if (body.allocation_requests.length === 0) return html`<div data-ready="candidates"><${NoCandidatesExplanation} query=${q} asked=${props.r} /></div>`;
  const label = (uuid: string) => providerLabel({ name: names[uuid]?.name ?? null, uuid });
  return html`<div data-ready="candidates">
    <p><strong>${fmt(body.allocation_requests.length)}</strong> candidates</p>
    <table class="candidates"><thead><tr><th>#</th><th>Root</th><th>Allocations</th><th>Groups</th></tr></thead><tbody>
      ${body.allocation_requests.map((a, i) => {
        const rps = Object.keys(a.allocations);
        const roots = [...new Set(rps.map((u) => body.provider_summaries[u]?.root_provider_uuid ?? u))];
        return html`<tr><td>${i + 1}</td><td>${roots.map((r) => html`<a href=${`#/trees/${r}`}>${label(r)}</a> `)}</td>
          <td>${rps.map(
            (u) =>
              html`<div><strong>${label(u)}</strong>: ${Object.entries(a.allocations[u]!.resources)
                .map(([rc, n]) => `${rc} ${fmt(n)}`)
                .join(", ")}</div>`,
          )}</td>
          <td class="dim">${Object.entries(a.mappings ?? {}).map(([g, us]) => html`<div>${g || "(unsuffixed)"} → ${us.map(label).join(", ")}</div>`)}</td></tr>`;
      })}
    </tbody></table>
  </div>`;
}

/**
 * Why nothing fits: GET /allocation_candidates/explain with the same query (docs/explain.md), its
 * summary, each group's constraints with the providers and trees left after each, and the near
 * misses. A server that does not explain (a 403 for the caller, or the reference's 404) leaves the
 * plain "no candidates".
 */
export function NoCandidatesExplanation(props: { query: string; asked?: object }) {
  const [why, setWhy] = useState<Explanation | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setWhy(undefined);
    read<Explanation>(`../allocation_candidates/explain?${props.query}`).then(
      (e) => live && setWhy(e),
      () => live && setWhy(null),
    );
    return () => {
      live = false;
    };
    // NOTE: asked again for every search (`asked` is the search's result), not only a new query.
  }, [props.query, props.asked]);
  return html`<div class="no-candidates" data-explain-query=${props.query} data-explained=${why === undefined ? "pending" : why ? "yes" : "no"}>
    <p><strong>No candidates</strong>: ${why ? why.summary.replace(/^no candidates: /, "") : "no provider (or tree) fits this request."}</p>
    ${
      why
        ? html`${why.groups.map(
            (g) => html`<h4>Group ${g.suffix || "(unsuffixed)"}</h4>
            <table class="explain-steps"><thead><tr><th>After</th><th>Providers</th><th>Trees</th></tr></thead><tbody>
              ${g.steps.map((st) => html`<tr><td>${stepLabel(st)}</td><td>${st.providers === undefined ? "–" : fmt(st.providers)}</td><td>${fmt(st.trees)}</td></tr>`)}
            </tbody></table>`,
          )}
        ${why.together.length ? html`<h4>All groups together</h4><ul>${why.together.map((st) => html`<li>${stepLabel(st)}: ${fmt(st.trees)} trees</li>`)}</ul>` : null}
        ${
          why.near_misses.length
            ? html`<h4>Near misses</h4><ul class="near-misses">${why.near_misses.map((m) => html`<li><a href=${`#/trees/${m.root.uuid}`}>${providerLabel(m.root)}</a>: ${m.message}</li>`)}</ul>`
            : null
        }`
        : null
    }
  </div>`;
}

/** One step of the explanation in words: the constraint and what it was about. */
function stepLabel(st: ExplainStep): string {
  const about = [st.resource_class, st.amount === undefined ? undefined : `asks ${fmt(st.amount)}`, st.groups?.join(", ")].filter(Boolean).join(" ");
  return about ? `${st.constraint.replaceAll("_", " ")} (${about})` : st.constraint.replaceAll("_", " ");
}

interface ExplainStep {
  constraint: string;
  resource_class?: string;
  amount?: number;
  groups?: string[];
  providers?: number;
  trees: number;
}

/** The parts of GET /allocation_candidates/explain's document the page shows (docs/explain.schema.json). */
interface Explanation {
  summary: string;
  groups: { suffix: string; steps: ExplainStep[] }[];
  together: ExplainStep[];
  near_misses: { root: { uuid: string; name: string | null }; message: string }[];
}
