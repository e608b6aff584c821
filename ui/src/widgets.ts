// Small pieces every view uses: usage bars, a virtualised list, polling with conditional requests,
// and the uPlot charts.
import { html } from "htm/preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { ApiError, get } from "./api";

export const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 1 }));
export const pct = (used: number, capacity: number) => (capacity > 0 ? Math.round((used / capacity) * 1000) / 10 : 0);

/** How often views re-read their data (ms); `?refresh=MS` in the page's URL overrides it. */
export const REFRESH_MS = Number(new URLSearchParams(location.search).get("refresh")) || 5000;

export function UsageBar(props: { used: number; capacity: number; label?: string }) {
  const p = pct(props.used, props.capacity);
  const level = p >= 90 ? "full" : p >= 70 ? "high" : "ok";
  return html`<div class="usage" title=${`${fmt(props.used)} of ${fmt(props.capacity)} (${p}%)`}>
    ${props.label ? html`<span class="usage-label">${props.label}</span>` : null}
    <span class="bar"><span class=${`fill ${level}`} style=${`width:${Math.min(100, p)}%`}></span></span>
    <span class="usage-num">${fmt(props.used)} / ${fmt(props.capacity)}</span>
  </div>`;
}

export function ErrorNote(props: { error: unknown }) {
  const e = props.error;
  const text = e instanceof ApiError ? `${e.status}: ${e.message}` : e instanceof Error ? e.message : String(e);
  return html`<p class="error" role="alert">${text}</p>`;
}

/**
 * Reads `path` now and every REFRESH_MS while the tab is visible, revalidating with If-None-Match:
 * an unchanged answer (304) keeps the data as it is, so nothing re-renders.
 */
export function usePolled<T>(path: string | null): { data?: T; error?: unknown; loading: boolean } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  useEffect(() => {
    if (path === null) return;
    let etag: string | undefined;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true }));
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) {
        try {
          const r = await get<T>(path, etag);
          if (stopped) return;
          if (r !== "unchanged") {
            etag = r.etag;
            setState({ data: r.body, loading: false });
          }
        } catch (error) {
          if (!stopped) setState((s) => ({ ...s, error, loading: false }));
        }
      }
      if (!stopped) timer = setTimeout(tick, REFRESH_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path]);
  return state;
}

/**
 * A list that renders only the rows in view (fixed row height), asking `load(offset)` for the
 * pages it needs: 10,000 rows cost the DOM of about 30.
 */
export function VirtualList<T>(props: {
  total: number;
  rowHeight: number;
  height: number;
  row: (index: number) => T | undefined;
  render: (item: T | undefined, index: number) => unknown;
  need: (first: number, last: number) => void;
  label: string;
}) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / props.rowHeight) - 5);
  const last = Math.min(props.total, Math.ceil((top + props.height) / props.rowHeight) + 5);
  useEffect(() => props.need(first, last), [first, last, props.total]);
  const rows = [];
  for (let i = first; i < last; i++)
    rows.push(html`<div class="vrow" key=${i} style=${`top:${i * props.rowHeight}px;height:${props.rowHeight}px`}>${props.render(props.row(i), i)}</div>`);
  return html`<div class="vlist" role="list" aria-label=${props.label} style=${`height:${props.height}px`} onScroll=${(e: Event) => setTop((e.currentTarget as HTMLElement).scrollTop)}>
    <div style=${`height:${props.total * props.rowHeight}px;position:relative`}>${rows}</div>
  </div>`;
}

/** Pages of a paged read, fetched as a VirtualList needs them and dropped when `key` changes. */
export function usePages<T>(fetchPage: (offset: number, limit: number) => Promise<{ total: number; items: T[] }>, key: string, pageSize = 200) {
  const [version, setVersion] = useState(0);
  const store = useRef<{ key: string; total: number; pages: Map<number, T[] | "loading">; error?: unknown }>({ key, total: 0, pages: new Map() });
  if (store.current.key !== key) store.current = { key, total: 0, pages: new Map() };
  const s = store.current;
  const load = (page: number) => {
    if (s.pages.has(page)) return;
    s.pages.set(page, "loading");
    fetchPage(page * pageSize, pageSize).then(
      (r) => {
        if (store.current !== s) return;
        s.total = r.total;
        s.pages.set(page, r.items);
        setVersion((v) => v + 1);
      },
      (error) => {
        s.error = error;
        s.pages.delete(page);
        setVersion((v) => v + 1);
      },
    );
  };
  useEffect(() => load(0), [key]);
  return {
    version,
    total: s.total,
    loaded: s.pages.get(0) !== undefined && s.pages.get(0) !== "loading",
    error: s.error,
    row: (i: number) => {
      const p = s.pages.get(Math.floor(i / pageSize));
      return p === undefined || p === "loading" ? undefined : p[i % pageSize];
    },
    need: (first: number, last: number) => {
      for (let p = Math.floor(first / pageSize); p <= Math.floor(Math.max(first, last - 1) / pageSize); p++) load(p);
    },
    /** Drop every page (after a change): the rows in view are read again. */
    reset: () => {
      s.pages.clear();
      load(0);
    },
  };
}

const COLORS = {
  used: "#d9534f",
  reserved: "#f0ad4e",
  capacity: "#cfe3f6",
  line: ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"],
};

/**
 * Used and reserved per resource class as a share of each class's capacity (classes differ by
 * orders of magnitude, so shares are what compare): a uPlot bar chart.
 */
export function ClassChart(props: { classes: { name: string; capacity: number; used: number; total: number; reserved: number }[] }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const names = props.classes.map((c) => c.name);
  const data: uPlot.AlignedData = [
    names.map((_, i) => i),
    props.classes.map(() => 100),
    props.classes.map((c) => pct(c.used, c.capacity)),
    props.classes.map((c) => pct(c.reserved, c.total)),
  ];
  useLayoutEffect(() => {
    if (!el.current) return;
    const bars = uPlot.paths.bars!({ size: [0.6, 60] });
    const thin = uPlot.paths.bars!({ size: [0.2, 16] });
    const opts: uPlot.Options = {
      width: Math.max(320, el.current.clientWidth || 600),
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, names.length - 0.5)] }, y: { range: [0, 100] } },
      axes: [
        { values: (_u, splits) => splits.map((s) => names[s] ?? ""), splits: () => names.map((_, i) => i), grid: { show: false } },
        { values: (_u, splits) => splits.map((s) => `${s}%`), size: 50 },
      ],
      series: [
        {},
        { label: "capacity", fill: COLORS.capacity, stroke: COLORS.capacity, paths: bars, points: { show: false } },
        { label: "used %", fill: COLORS.used, stroke: COLORS.used, paths: bars, points: { show: false } },
        { label: "reserved % of total", fill: COLORS.reserved, stroke: COLORS.reserved, paths: thin, points: { show: false } },
      ],
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [names.join(",")]);
  useEffect(() => plot.current?.setData(data, false), [JSON.stringify(data)]);
  return html`<div class="chart" ref=${el} aria-label="usage per resource class"></div>
    <p class="legend"><span class="key capacity"></span> capacity <span class="key used"></span> used <span class="key reserved"></span> reserved (share of total)</p>`;
}

/** Used share per class over the time this page has been open (one point per change seen). */
export function HistoryChart(props: { history: { t: number; shares: Record<string, number> }[]; classes: string[] }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [props.history.map((h) => h.t), ...props.classes.map((c) => props.history.map((h) => h.shares[c] ?? null))];
  useLayoutEffect(() => {
    if (!el.current) return;
    const opts: uPlot.Options = {
      width: Math.max(320, el.current.clientWidth || 600),
      height: 180,
      legend: { live: false },
      scales: { y: { range: [0, 100] } },
      axes: [{}, { values: (_u, splits) => splits.map((s) => `${s}%`), size: 50 }],
      series: [{}, ...props.classes.map((c, i) => ({ label: c, stroke: COLORS.line[i % COLORS.line.length], width: 2 }))],
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.classes.join(",")]);
  useEffect(() => {
    const p = plot.current;
    if (!p) return;
    p.setData(data);
    // NOTE: at least a minute shown: uPlot would spread one point over years.
    const ts = data[0] as number[];
    const last = ts[ts.length - 1];
    if (last !== undefined && last - ts[0]! < 60) p.setScale("x", { min: last - 60, max: last + 1 });
  }, [props.history.length]);
  return html`<div class="chart" ref=${el} aria-label="used share over time"></div>`;
}

/** A provider's name, or its uuid's start when it has none. */
export const providerLabel = (p: { name: string | null; uuid: string }) => p.name ?? p.uuid.slice(0, 8);
