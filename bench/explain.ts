// GET /allocation_candidates/explain next to GET /allocation_candidates for the same query, in
// process, on the candidate workloads of bench/candidates.ts: with the snapshot (the default, once
// warm) and reading the database on every request (snapshots "never"), on SQLite, PostgreSQL and
// MariaDB. Prints p50 wall and CPU per request and the ratio explain / list.
// Run: npx vite-node bench/explain.ts [workload...]   (BENCH_DBS=sqlite,postgres,mysql; BENCH_RUNS)
import { createApp } from "../src/app.js";
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders, type ProviderSpec } from "../test/helpers/seed-candidates.js";
import { flat, nested } from "../test/fixtures/candidates/seed.js";
import { analyze, dropServerDatabase, serverDatabase } from "./databases.js";
import type { Hono } from "hono";
import { at } from "@berth/client/common";

interface Workload {
  name: string;
  providers: () => ProviderSpec[];
  queries: { label: string; query: (agg: (l: string) => string) => string }[];
}

const WORKLOADS: Workload[] = [
  {
    name: "flat10k",
    providers: () => flat(10_000, 2),
    queries: [
      { label: "10,000 flat, limit=1000", query: () => "resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&limit=1000" },
      { label: "10,000 flat, flat query", query: (agg) => `resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=${agg("agg0")}&required=HW_CPU_X86_AVX2` },
      { label: "10,000 flat, nothing fits", query: () => "resources=VCPU:64,MEMORY_MB:256&required=HW_CPU_X86_AVX2" },
    ],
  },
  {
    name: "nested",
    providers: () => nested(1000),
    queries: [
      {
        label: "nested 1,000 trees (granular + same_subtree)",
        query: () =>
          "resources=DISK_GB:10&resources_C=VCPU:2,MEMORY_MB:512&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&same_subtree=_C,_N&group_policy=isolate",
      },
      {
        label: "nested 1,000 trees, nothing fits",
        query: () => "resources_C=VCPU:20&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&same_subtree=_C,_N&group_policy=isolate",
      },
    ],
  },
];

const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const p50 = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor((xs.length - 1) / 2),
  );
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** p50 wall and CPU (ms) of `runs` requests after 3 untimed ones, and the last body. */
async function time(app: Hono, path: string, runs: number): Promise<{ ms: number; cpu: number; body: any }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  let body: any;
  for (let i = 0; i < runs + 3; i++) {
    const t = performance.now();
    const c = cpuMs();
    const r = await app.request(path, { headers: HEADERS });
    const text = await r.text();
    if (i >= 3) {
      walls.push(performance.now() - t);
      cpus.push(cpuMs() - c);
    }
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text.slice(0, 200)}`);
    body = text;
  }
  return { ms: p50(walls), cpu: p50(cpus), body: JSON.parse(body) };
}

const only = process.argv.slice(2);
const dbs = (process.env.BENCH_DBS ?? "sqlite,postgres,mysql").split(",");
const rows: string[] = [];
for (const db of dbs) {
  for (const w of WORKLOADS) {
    if (only.length && !only.includes(w.name)) continue;
    const name = `berth_explain_${w.name}`;
    const url = db === "sqlite" ? "sqlite://" : (await serverDatabase(db, name, true)).berth;
    const config = testConfig({ placement_database: { connection: url, sync_on_startup: "true" } });
    const { app, store } = await prepare(config);
    const never = createApp({ store, config, candidateSnapshot: "never" });
    try {
      const t0 = performance.now();
      const seeded = await seedProviders(store.db, w.providers());
      await analyze(store);
      console.error(`${db} ${w.name}: seeded ${seeded.id.size} providers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      for (const q of w.queries) {
        const query = q.query((l) => seeded.agg.get(l)!);
        for (const [mode, a, runs] of [
          ["snapshot", app, RUNS],
          ["database", never, Math.max(3, Math.round(RUNS / 3))],
        ] as const) {
          const list = await time(a, `/allocation_candidates?${query}`, runs);
          const explain = await time(a, `/allocation_candidates/explain?${query}`, runs);
          if (explain.body.candidates !== list.body.allocation_requests.length)
            throw new Error(`${q.label}: explain counts ${explain.body.candidates}, the list ${list.body.allocation_requests.length}`);
          const row = `| ${db} | ${q.label} | ${mode} | ${list.ms.toFixed(1)} / ${list.cpu.toFixed(1)} | ${explain.ms.toFixed(1)} / ${explain.cpu.toFixed(1)} | ${(explain.ms / list.ms).toFixed(1)}x / ${(explain.cpu / Math.max(list.cpu, 0.1)).toFixed(1)}x | ${list.body.allocation_requests.length} | ${explain.body.trees_with_candidates} |`;
          rows.push(row);
          console.error(row);
        }
      }
    } finally {
      await store.close();
      if (db !== "sqlite") await dropServerDatabase(db, name);
    }
  }
}
console.log("In process, p50 of wall / CPU ms per request; explain / list ratios.");
console.log("| database | workload | world | list wall / CPU | explain wall / CPU | ratio wall / CPU | candidates | trees that fit |");
console.log("|---|---|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
process.exit(0);
