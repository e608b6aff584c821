// Provider trees: a searchable, virtualised list of every root (paged reads), and one tree in full:
// nested providers with inventories as usage bars, traits, aggregates, and the sharing providers
// that serve it.
import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { query, read } from "./api";
import type { ProviderView, Tree, TreeSummary } from "./types";
import { ErrorNote, fmt, providerLabel, UsageBar, usePages, usePolled, VirtualList } from "./widgets";

export function TreesView(props: { selected?: string }) {
  const [search, setSearch] = useState("");
  const pages = usePages<TreeSummary>(
    (offset, limit) =>
      read<{ total: number; trees: TreeSummary[] }>(`api/trees${query({ q: search, offset, limit })}`).then((r) => ({ total: r.total, items: r.trees })),
    search,
  );
  return html`<section class="view trees" data-view="trees">
    <div class="tree-list">
      <h2>Provider trees</h2>
      <input type="search" name="search" placeholder="Search roots by name or uuid" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} />
      <p class="counts" data-ready=${pages.loaded ? "trees" : undefined}>${pages.loaded ? `${fmt(pages.total)} trees` : "Loading…"}</p>
      ${pages.error ? html`<${ErrorNote} error=${pages.error} />` : null}
      <${VirtualList}
        label="trees"
        total=${pages.total}
        rowHeight=${44}
        height=${560}
        row=${pages.row}
        need=${pages.need}
        render=${(t: TreeSummary | undefined) =>
          t
            ? html`<a class=${`tree-row${t.uuid === props.selected ? " selected" : ""}`} href=${`#/trees/${t.uuid}`}>
                <span class="name">${providerLabel(t)}</span><span class="dim"> ${t.providers} provider${t.providers === 1 ? "" : "s"}</span>
                <span class="mini">${Object.entries(t.resources)
                  .slice(0, 3)
                  .map(
                    ([rc, r]) =>
                      html`<span class="mini-bar" title=${`${rc} ${fmt(r.used)} / ${fmt(r.capacity)}`}><span style=${`width:${r.capacity ? Math.min(100, (100 * r.used) / r.capacity) : 0}%`}></span></span>`,
                  )}</span>
              </a>`
            : html`<span class="dim">…</span>`}
      />
    </div>
    <div class="tree-detail">${props.selected ? html`<${TreeDetail} uuid=${props.selected} />` : html`<p class="dim">Choose a tree.</p>`}</div>
  </section>`;
}

function TreeDetail(props: { uuid: string }) {
  const { data, error } = usePolled<Tree>(`api/trees/${encodeURIComponent(props.uuid)}`);
  if (error && !data) return html`<${ErrorNote} error=${error} />`;
  if (!data) return html`<p class="loading">Loading…</p>`;
  const root = data.providers.find((p) => p.parent_provider_uuid === null) ?? data.providers[0]!;
  const children = new Map<string | null, ProviderView[]>();
  for (const p of data.providers) {
    const list = children.get(p.parent_provider_uuid) ?? [];
    list.push(p);
    children.set(p.parent_provider_uuid, list);
  }
  const rows: unknown[] = [];
  const walk = (p: ProviderView, depth: number) => {
    rows.push(html`<${ProviderCard} p=${p} depth=${depth} />`);
    for (const c of children.get(p.uuid) ?? []) walk(c, depth + 1);
  };
  walk(root, 0);
  return html`<div data-ready="tree" data-tree=${root.uuid}>
    <h2>${providerLabel(root)}</h2>
    <p class="dim">${root.uuid} · ${data.providers.length} provider${data.providers.length === 1 ? "" : "s"}</p>
    <div class="providers">${rows}</div>
    <h3>Sharing providers</h3>
    ${
      data.sharing.length
        ? html`<div class="providers sharing">${data.sharing.map((p) => html`<${ProviderCard} p=${p} depth=${0} />`)}</div>`
        : html`<p class="dim">No sharing provider serves this tree.</p>`
    }
  </div>`;
}

function ProviderCard(props: { p: ProviderView; depth: number }) {
  const p = props.p;
  return html`<div class="provider" data-provider=${p.uuid} data-depth=${props.depth} style=${`margin-left:${props.depth * 24}px`}>
    <div class="provider-head"><strong>${providerLabel(p)}</strong> <span class="dim">${p.uuid} · generation ${p.generation}</span></div>
    ${Object.entries(p.inventories).map(
      ([rc, inv]) => html`<${UsageBar} label=${rc} used=${inv.used} capacity=${inv.capacity} />
        ${inv.reserved || inv.allocation_ratio !== 1 ? html`<div class="inv-note dim">total ${fmt(inv.total)}, reserved ${fmt(inv.reserved)}, ratio ${inv.allocation_ratio}</div>` : null}`,
    )}
    ${p.traits.length ? html`<div class="chips">${p.traits.map((t) => html`<span class="chip trait">${t}</span>`)}</div>` : null}
    ${p.aggregates.length ? html`<div class="chips">${p.aggregates.map((a) => html`<span class="chip agg" title="aggregate">${a}</span>`)}</div>` : null}
  </div>`;
}
