// Fleet: capacity, reserved and used per resource class, the fullest and emptiest providers,
// narrowed by aggregate, trait or tree. One read (api/fleet), polled.
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { query, read } from "./api";
import type { FilterChoices, Fleet, RankedProvider } from "./types";
import { ClassChart, ErrorNote, fmt, HistoryChart, pct, providerLabel, UsageBar, usePolled } from "./widgets";

export interface FleetFilter {
  aggregate?: string;
  trait?: string;
  tree?: string;
  resource_class?: string;
}

export function FleetView(props: { filter: FleetFilter; setFilter: (f: FleetFilter) => void }) {
  const f = props.filter;
  const { data, error } = usePolled<Fleet>(`api/fleet${query({ ...f, limit: 10 })}`);
  const [choices, setChoices] = useState<FilterChoices>();
  useEffect(() => {
    read<FilterChoices>("api/filters").then(setChoices, () => {});
  }, []);
  // NOTE: a new answer is a new object (an unchanged one is a 304 that keeps the old): a point each.
  const [points, setPoints] = useState<{ t: number; shares: Record<string, number> }[]>([]);
  const key = JSON.stringify(f);
  useEffect(() => setPoints([]), [key]);
  useEffect(() => {
    if (data)
      setPoints((p) => [...p.slice(-299), { t: Date.now() / 1000, shares: Object.fromEntries(data.classes.map((c) => [c.name, pct(c.used, c.capacity)])) }]);
  }, [data]);
  const set = (k: keyof FleetFilter, v: string) => props.setFilter({ ...f, [k]: v || undefined });
  return html`<section class="view" data-view="fleet" data-ready=${data ? "fleet" : undefined}>
    <h2>Fleet</h2>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Aggregate <select name="aggregate" value=${f.aggregate ?? ""} onChange=${(e: Event) => set("aggregate", (e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${choices?.aggregates.map((a) => html`<option value=${a.uuid}>${a.uuid} (${a.providers})</option>`)}
      </select></label>
      <label>Trait <select name="trait" value=${f.trait ?? ""} onChange=${(e: Event) => set("trait", (e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${choices?.traits.map((t) => html`<option value=${t.name}>${t.name} (${t.providers})</option>`)}
      </select></label>
      <label>Tree <input name="tree" placeholder="provider uuid" value=${f.tree ?? ""} onChange=${(e: Event) => set("tree", (e.target as HTMLInputElement).value.trim())} /></label>
      <label>Rank by <select name="resource_class" value=${f.resource_class ?? data?.resource_class ?? ""} onChange=${(e: Event) => set("resource_class", (e.target as HTMLSelectElement).value)}>
        ${data?.classes.map((c) => html`<option value=${c.name}>${c.name}</option>`)}
      </select></label>
    </form>
    ${error ? html`<${ErrorNote} error=${error} />` : null}
    ${
      data
        ? html`<p class="counts"><strong>${fmt(data.providers)}</strong> providers in <strong>${fmt(data.trees)}</strong> trees</p>
          <table class="classes">
            <thead><tr><th>Resource class</th><th>Providers</th><th>Total</th><th>Reserved</th><th>Capacity</th><th>Used</th><th>Usage</th></tr></thead>
            <tbody>${data.classes.map(
              (
                c,
              ) => html`<tr data-class=${c.name}><td>${c.name}</td><td>${fmt(c.providers)}</td><td>${fmt(c.total)}</td><td>${fmt(c.reserved)}</td><td>${fmt(c.capacity)}</td><td>${fmt(c.used)}</td>
                <td><${UsageBar} used=${c.used} capacity=${c.capacity} /></td></tr>`,
            )}</tbody>
          </table>
          <div class="charts">
            <figure><figcaption>Used share of capacity per class</figcaption><${ClassChart} classes=${data.classes} /></figure>
            <figure><figcaption>Used share while this page is open</figcaption><${HistoryChart} history=${points} classes=${data.classes.map((c) => c.name)} /></figure>
          </div>
          <div class="ranked">
            <${Ranked} title=${`Fullest by ${data.resource_class ?? ""}`} rows=${data.fullest} />
            <${Ranked} title=${`Emptiest by ${data.resource_class ?? ""}`} rows=${data.emptiest} />
          </div>`
        : error
          ? null
          : html`<p class="loading">Loading…</p>`
    }
  </section>`;
}

function Ranked(props: { title: string; rows: RankedProvider[] }) {
  return html`<div class="ranked-list"><h3>${props.title}</h3>
    <table><tbody>${props.rows.map(
      (
        r,
      ) => html`<tr><td><a href=${`#/trees/${r.root_uuid}`}>${providerLabel(r)}</a>${r.uuid !== r.root_uuid ? html` <span class="dim">in ${r.root_name ?? r.root_uuid.slice(0, 8)}</span>` : null}</td>
        <td><${UsageBar} used=${r.used} capacity=${r.capacity} /></td></tr>`,
    )}</tbody></table></div>`;
}
