// Consumers and usage: grouped by project, user and consumer type, a virtualised list of consumers,
// and one consumer's allocations across providers (migration consumers marked).
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { query, read } from "./api";
import { MIGRATION, type ConsumerAllocations, type Consumers, type ConsumerSummary, type UsageGroup } from "./types";
import { ErrorNote, fmt, usePages, usePolled, VirtualList } from "./widgets";

export interface ConsumerFilter {
  project_id?: string;
  user_id?: string;
  consumer_type?: string;
}

export function ConsumersView(props: { filter: ConsumerFilter; setFilter: (f: ConsumerFilter) => void; selected?: string }) {
  const f = props.filter;
  const { data, error } = usePolled<Consumers>(`api/consumers${query({ ...f, limit: 1 })}`);
  const pages = usePages<ConsumerSummary>(
    (offset, limit) => read<Consumers>(`api/consumers${query({ ...f, offset, limit })}`).then((r) => ({ total: r.total, items: r.consumers })),
    JSON.stringify(f),
  );
  const pick = (k: keyof ConsumerFilter, v: string | undefined) => props.setFilter({ ...f, [k]: v, ...(k === "project_id" ? { user_id: undefined } : {}) });
  return html`<section class="view consumers" data-view="consumers">
    <div class="consumer-list">
      <h2>Consumers and usage</h2>
      <p class="filter-line">
        ${Object.entries(f)
          .filter(([, v]) => v)
          .map(
            ([k, v]) =>
              html`<span class="chip">${k}=${v} <button type="button" aria-label=${`clear ${k}`} onClick=${() => pick(k as keyof ConsumerFilter, undefined)}>×</button></span>`,
          )}
      </p>
      ${error ? html`<${ErrorNote} error=${error} />` : null}
      ${
        data
          ? html`<div class="groups" data-ready="consumers">
            <${Groups} title="By project" groups=${data.by_project} onPick=${(k: string) => pick("project_id", k)} />
            ${f.project_id ? html`<${Groups} title="By user" groups=${data.by_user} onPick=${(k: string) => pick("user_id", k)} />` : null}
            <${Groups} title="By consumer type" groups=${data.by_type} onPick=${(k: string) => pick("consumer_type", k)} />
          </div>`
          : null
      }
      <h3>${fmt(pages.total)} consumers</h3>
      <${VirtualList}
        label="consumers"
        total=${pages.total}
        rowHeight=${30}
        height=${360}
        row=${pages.row}
        need=${pages.need}
        render=${(c: ConsumerSummary | undefined) =>
          c
            ? html`<a class=${`consumer-row${c.uuid === props.selected ? " selected" : ""}`} href=${`#/consumers/${c.uuid}`}>
                <code>${c.uuid.slice(0, 8)}</code> <span>${c.project_id}</span> <${TypeBadge} type=${c.consumer_type} />
                <span class="dim">${Object.entries(c.usages)
                  .map(([rc, n]) => `${rc} ${fmt(n)}`)
                  .join(", ")}</span></a>`
            : html`<span class="dim">…</span>`}
      />
    </div>
    <div class="consumer-detail">${props.selected ? html`<${ConsumerDetail} uuid=${props.selected} />` : html`<p class="dim">Choose a consumer.</p>`}</div>
  </section>`;
}

function TypeBadge(props: { type: string }) {
  return html`<span class=${`badge${props.type === MIGRATION ? " migration" : ""}`}>${props.type === MIGRATION ? "migration" : props.type}</span>`;
}

function Groups(props: { title: string; groups: UsageGroup[]; onPick: (key: string) => void }) {
  return html`<div class="group"><h3>${props.title}</h3><table><tbody>${props.groups.map(
    (
      g,
    ) => html`<tr><td><button type="button" class="link" onClick=${() => props.onPick(g.key)}>${g.key}</button></td><td>${fmt(g.consumers)} consumer${g.consumers === 1 ? "" : "s"}</td>
      <td class="dim">${Object.entries(g.usages)
        .map(([rc, n]) => `${rc} ${fmt(n)}`)
        .join(", ")}</td></tr>`,
  )}</tbody></table></div>`;
}

function ConsumerDetail(props: { uuid: string }) {
  const { data, error } = usePolled<ConsumerAllocations>(`../allocations/${encodeURIComponent(props.uuid)}`);
  const [names, setNames] = useState<Record<string, { name: string | null; root_uuid: string | null }>>({});
  const uuids = Object.keys(data?.allocations ?? {})
    .sort()
    .join(",");
  useEffect(() => {
    if (uuids)
      read<{ providers: typeof names }>(`api/names${query({ uuid: uuids })}`).then(
        (r) => setNames(r.providers),
        () => {},
      );
  }, [uuids]);
  if (error && !data) return html`<${ErrorNote} error=${error} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const migration = data.consumer_type === MIGRATION;
  return html`<div data-ready="consumer" data-consumer=${props.uuid}>
    <h2>Consumer <code>${props.uuid}</code></h2>
    ${migration ? html`<p class="migration-note"><span class="badge migration">migration</span> This consumer holds allocations for a move in progress.</p>` : null}
    <dl class="facts">
      <dt>Project</dt><dd>${data.project_id ?? "—"}</dd><dt>User</dt><dd>${data.user_id ?? "—"}</dd>
      <dt>Type</dt><dd><${TypeBadge} type=${data.consumer_type ?? "unknown"} /></dd><dt>Generation</dt><dd>${data.consumer_generation ?? "—"}</dd>
    </dl>
    ${Object.keys(data.allocations).length === 0 ? html`<p class="dim">No allocations.</p>` : null}
    <table class="allocations"><thead><tr><th>Provider</th><th>Resources</th></tr></thead><tbody>
      ${Object.entries(data.allocations).map(([rp, a]) => {
        const n = names[rp];
        return html`<tr><td><a href=${`#/trees/${n?.root_uuid ?? rp}`}>${n?.name ?? rp}</a></td><td>${Object.entries(a.resources)
          .map(([rc, v]) => `${rc} ${fmt(v)}`)
          .join(", ")}</td></tr>`;
      })}
    </tbody></table>
  </div>`;
}

/** For a caller who may read only their own project's usage (a project reader): GET /usages. */
export function OwnUsageView(props: { project: string }) {
  const { data, error } = usePolled<{ usages: Record<string, Record<string, number> & { consumer_count: number }> }>(
    `../usages${query({ project_id: props.project })}`,
  );
  return html`<section class="view" data-view="usage">
    <h2>Usage of project ${props.project}</h2>
    ${error ? html`<${ErrorNote} error=${error} />` : null}
    ${
      data
        ? html`<table data-ready="usage"><thead><tr><th>Consumer type</th><th>Consumers</th><th>Usage</th></tr></thead><tbody>
          ${Object.entries(data.usages).map(([type, u]) => {
            const { consumer_count, ...rest } = u;
            return html`<tr><td>${type}</td><td>${consumer_count}</td><td>${Object.entries(rest)
              .map(([rc, n]) => `${rc} ${fmt(n)}`)
              .join(", ")}</td></tr>`;
          })}
        </tbody></table>`
        : null
    }
  </section>`;
}
