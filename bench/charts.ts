// Draws the side-by-side candidate benchmark (bench/candidates.ts with BENCH_JSON) as SVG charts:
// one per query series, Berth and the reference over scale (1k, 10k, 100k providers), a panel per
// database, and one of the speed-ups. Vega-Lite renders them (no hand-drawn SVG).
// Run: npx vite-node bench/charts.ts [results dir, default bench/results] [out dir, default docs/bench]
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";

interface Point {
  at: string;
  database: string;
  berth: string;
  series: string;
  providers: number;
  label: string;
  berthMs: number;
  referenceMs?: number | null;
  referenceTimeoutMs?: number;
}

const DATABASES: Record<string, string> = { sqlite: "SQLite", postgres: "PostgreSQL", mysql: "MariaDB" };
const [resultsDir = "bench/results", outDir = "docs/bench"] = process.argv.slice(2);

/** The latest point per database, series and scale, from every results file. */
function readPoints(): Point[] {
  const latest = new Map<string, Point>();
  for (const file of readdirSync(resultsDir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()) {
    for (const line of readFileSync(join(resultsDir, file), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const p = JSON.parse(line) as Point;
      // NOTE: the charts say both servers were timed over HTTP: in-process points are left out.
      if (p.berth !== "berth serve over HTTP") continue;
      const key = `${p.database}|${p.series}|${p.providers}`;
      const seen = latest.get(key);
      if (!seen || seen.at <= p.at) latest.set(key, p);
    }
  }
  return [...latest.values()];
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** NOTE: the specs are plain JSON (as Vega-Lite's docs write them); vl.compile validates them. */
async function svgOf(spec: object): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec as vl.TopLevelSpec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const order = Object.values(DATABASES);
/** When the points were measured (their dates), for the subtitle. */
const measuredOn = (points: Point[]) =>
  `measured ${[...new Set(points.map((p) => p.at.slice(0, 10)))].sort().join(", ")} on the 2-core development VM (bench/README.md)`;
const LOOK = { font: "sans-serif", legend: { orient: "bottom", direction: "vertical", labelLimit: 400 } } as const;

/** The x of every chart: providers, on a log scale. */
const PROVIDERS_X = {
  field: "providers",
  type: "quantitative",
  scale: { type: "log" },
  title: "providers",
  axis: { values: [1000, 10000, 100000], format: "~s" },
} as const;

/**
 * A chart over scale, a panel per database: a line per `color` value and a point per row, its shape
 * saying how it was measured (`outcomes`: the names, then the shapes).
 */
function overScale(opts: {
  title: { text: string; subtitle: string[] };
  rows: Record<string, unknown>[];
  y: object;
  color: object;
  outcomes: [string[], string[]];
  tooltip?: object[];
}): object {
  const x = PROVIDERS_X;
  const { y, color } = opts;
  const shape = { field: "outcome", type: "nominal", title: null, scale: { domain: opts.outcomes[0], range: opts.outcomes[1] } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    data: { values: opts.rows },
    facet: { column: { field: "database", type: "nominal", sort: order, title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        { mark: { type: "line" }, encoding: { x, y, color } },
        { mark: { type: "point", filled: true, size: 70 }, encoding: { x, y, color, shape, ...(opts.tooltip ? { tooltip: opts.tooltip } : {}) } },
      ],
    },
    config: LOOK,
  };
}

/** Wall time p50 of both servers over scale, log-log; a reference that timed out is drawn at its limit as a cross. */
function timesSpec(series: string, points: Point[]): object {
  const rows = points.flatMap((p) => {
    const db = DATABASES[p.database] ?? p.database;
    const out: Record<string, unknown>[] = [{ database: db, server: "Berth", providers: p.providers, ms: p.berthMs, outcome: "answered" }];
    if (p.referenceMs != null)
      out.push({ database: db, server: "reference (Placement 8.0.0)", providers: p.providers, ms: p.referenceMs, outcome: "answered" });
    else if (p.referenceTimeoutMs)
      out.push({
        database: db,
        server: "reference (Placement 8.0.0)",
        providers: p.providers,
        ms: p.referenceTimeoutMs,
        outcome: "timed out (drawn at the limit)",
      });
    return out;
  });
  return overScale({
    title: { text: `GET /allocation_candidates: ${series}`, subtitle: ["lower is better; both servers over HTTP on the same database", measuredOn(points)] },
    rows,
    y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "wall time p50 (ms)" },
    color: { field: "server", type: "nominal", title: null, scale: { range: ["#1f77b4", "#d62728"] } },
    outcomes: [
      ["answered", "timed out (drawn at the limit)"],
      ["circle", "cross"],
    ],
    tooltip: [{ field: "server" }, { field: "providers" }, { field: "ms", format: ".1f" }, { field: "outcome" }],
  });
}

/** Speed-up (reference p50 / Berth p50) per series over scale; at least that much where the reference timed out. */
function speedupSpec(points: Point[]): object {
  const rows = points
    .map((p) => ({
      database: DATABASES[p.database] ?? p.database,
      series: p.series,
      providers: p.providers,
      speedup: Math.round((p.referenceMs ?? p.referenceTimeoutMs ?? Number.NaN) / p.berthMs),
      outcome: p.referenceMs == null ? "at least (the reference timed out)" : "measured",
    }))
    .filter((r) => Number.isFinite(r.speedup));
  return overScale({
    title: { text: "Berth's speed-up over the reference (wall time p50)", subtitle: ["higher is better", measuredOn(points)] },
    rows,
    y: { field: "speedup", type: "quantitative", scale: { type: "log" }, title: "times faster" },
    color: { field: "series", type: "nominal", title: null },
    outcomes: [
      ["measured", "at least (the reference timed out)"],
      ["circle", "triangle-up"],
    ],
  });
}

const points = readPoints();
if (!points.length) throw new Error(`no results in ${resultsDir}: run bench/candidates.ts with BENCH_JSON first (see bench/README.md)`);
mkdirSync(outDir, { recursive: true });
const written: string[] = [];
for (const series of [...new Set(points.map((p) => p.series))].sort()) {
  const file = join(outDir, `candidates-${slug(series)}.svg`);
  writeFileSync(
    file,
    await svgOf(
      timesSpec(
        series,
        points.filter((p) => p.series === series),
      ),
    ),
  );
  written.push(file);
}
const speedups = join(outDir, "candidates-speedup.svg");
writeFileSync(speedups, await svgOf(speedupSpec(points)));
written.push(speedups);
console.log(`${points.length} points from ${resultsDir}; wrote ${written.join(", ")}`);
