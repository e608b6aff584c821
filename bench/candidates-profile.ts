// In-process GET /allocation_candidates timings for profiling: each workload is seeded once into a
// SQLite file under $BENCH_DIR (default /tmp/berth-cand-profile) and reused by later runs, and each
// query is timed in wall and CPU time (process.cpuUsage), next to a trivial GET through the same app.
// BENCH_DB=mysql or postgres seeds a database berth_prof_<workload> on the local server instead
// (reused too, while its $BENCH_DIR/<db>-<workload>.aggs.json is there).
// Run: npx vite-node bench/candidates-profile.ts [workload...]
//      node --cpu-prof --cpu-prof-dir=/tmp/prof node_modules/vite-node/vite-node.mjs bench/candidates-profile.ts flat
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders } from "../test/helpers/seed-candidates.js";
import { eightOneUnitGroups, flat, nested, wide } from "../test/fixtures/candidates/seed.js";
import { analyze, serverDatabase } from "./databases.js";
import { at } from "@berth/client/common";

const DIR = process.env.BENCH_DIR ?? "/tmp/berth-cand-profile";
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };
const FLAT_Q = (agg: Record<string, string>) => `resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=${agg.agg0}&required=HW_CPU_X86_AVX2`;
const LIMIT_Q = () => "resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&limit=1000";
const NESTED_Q = () =>
  "resources=DISK_GB:10&resources_C=VCPU:2,MEMORY_MB:512&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&same_subtree=_C,_N&group_policy=isolate";

const WORKLOADS = {
  flat: { seed: () => flat(1010), queries: { "flat 1,010": FLAT_Q } },
  nested: { seed: () => nested(1000), queries: { "nested 1,000": NESTED_Q } },
  flat10k: { seed: () => flat(10_000, 2), queries: { "10,000 limit=1000": LIMIT_Q, "10,000 flat query": FLAT_Q } },
  flat100k: { seed: () => flat(100_000, 3), queries: { "100,000 limit=1000": LIMIT_Q } },
  wide8: { seed: () => wide(8), queries: { "wide 8, limit=1000": () => `${eightOneUnitGroups}&limit=1000`, "wide 8, no limit": () => eightOneUnitGroups } },
} as const;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const p50 = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor((xs.length - 1) / 2),
  );

const BENCH_DB = process.env.BENCH_DB ?? "sqlite";

const only = process.argv.slice(2);
mkdirSync(DIR, { recursive: true });
for (const [name, w] of Object.entries(WORKLOADS)) {
  if (only.length && !only.includes(name)) continue;
  const file = `${DIR}/${name}.sqlite`;
  const meta = BENCH_DB === "sqlite" ? `${file}.aggs.json` : `${DIR}/${BENCH_DB}-${name}.aggs.json`;
  const fresh = !existsSync(meta);
  const connection = BENCH_DB === "sqlite" ? `sqlite:///${file}` : (await serverDatabase(BENCH_DB, `berth_prof_${name}`, fresh)).berth;
  const { app, store } = await prepare(testConfig({ placement_database: { connection, sync_on_startup: "true" } }));
  if (fresh) {
    const seeded = await seedProviders(store.db, w.seed());
    await analyze(store);
    writeFileSync(meta, JSON.stringify(Object.fromEntries(seeded.agg)));
  }
  const agg = JSON.parse(readFileSync(meta, "utf8")) as Record<string, string>;
  const time = async (path: string, runs: number) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let count = 0;
    for (let i = 0; i < runs + 5; i++) {
      const t = performance.now();
      const c = cpuMs();
      const r = await app.request(path, { headers: HEADERS });
      const text = await r.text();
      if (i >= 5) {
        wall.push(performance.now() - t);
        cpu.push(cpuMs() - c);
      }
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text}`);
      count = text.length;
    }
    return { wall: p50(wall), cpu: p50(cpu), bytes: count };
  };
  const trivial = await time("/traits?name=in:HW_CPU_X86_AVX2", RUNS);
  console.log(`${name}: trivial GET /traits?name=in:X wall ${trivial.wall.toFixed(2)} ms, CPU ${trivial.cpu.toFixed(2)} ms`);
  for (const [label, q] of Object.entries(w.queries)) {
    const r = await time(`/allocation_candidates?${q(agg)}`, RUNS);
    console.log(`${label}: wall p50 ${r.wall.toFixed(1)} ms, CPU p50 ${r.cpu.toFixed(1)} ms, ${r.bytes} bytes`);
  }
  await store.close();
}
process.exit(0);
