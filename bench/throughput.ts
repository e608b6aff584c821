// Throughput of the reference's perfload gate query (the "flat" workload: 1,010 providers,
// GET /allocation_candidates?resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=<agg>&required=HW_CPU_X86_AVX2
// at 1.39) with concurrent clients, Berth (`berth serve --workers N`) and the reference (gunicorn,
// 2 workers) reading one seeded database on the machine's PostgreSQL or MariaDB, in alternation.
// Run: npx vite-node bench/throughput.ts   (builds dist/ first)
// Env: BENCH_DBS (postgres,mysql), BENCH_CLIENTS (10), BENCH_SECONDS (10 per run), BENCH_ROUNDS (2),
// BENCH_WORKERS (Berth's --workers values, 1,2), BENCH_NO_REF=1 (Berth alone), BENCH_NODE_ARGS,
// BENCH_SIDE_WRITES (commits a second into another database on the same server during each timed
// run, as another application would make; default 0), BENCH_CLIENT (wrk where installed, else node:
// node:http loops in this process, which on 2 cores take CPU from the servers). The token columns say how often the
// server-wide change token Berth's snapshots read moved during a run (polled 20 times a second)
// and how many times Berth rebuilt its snapshot.
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders } from "../test/helpers/seed-candidates.js";
import { flat } from "../test/fixtures/candidates/seed.js";
import { analyze, dropServerDatabase, randomName, serverDatabase, sideWriter, watchToken } from "./databases.js";
import { buildDist, closedLoop, errorText, hasWrk, metric, referenceSchema, request, startBerth, startReference, wrkLoop, type Server } from "./servers.js";

const DBS = (process.env.BENCH_DBS ?? "postgres,mysql").split(",");
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORKERS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const SIDE_WRITES = Number(process.env.BENCH_SIDE_WRITES ?? 0);
// NOTE: wrk where installed (a client in C), else node:http loops in this process.
const CLIENT = process.env.BENCH_CLIENT ?? (hasWrk() ? "wrk" : "node");
const LABEL = { postgres: "PostgreSQL", mysql: "MariaDB" } as Record<string, string>;

buildDist();
const rows: string[] = [];
for (const kind of DBS) {
  const name = randomName("berth_tput");
  const urls = await serverDatabase(kind, name, true);
  try {
    // NOTE: the reference makes the schema: its resource class ids are the ones it expects.
    referenceSchema(urls.ref);
    const { store } = await prepare(testConfig({ placement_database: { connection: urls.berth, sync_on_startup: "true" } }));
    const seeded = await seedProviders(store.db, flat(1010));
    await analyze(store);
    await store.close();
    const path = `/allocation_candidates?resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=${seeded.agg.get("agg0")}&required=HW_CPU_X86_AVX2`;
    const starters: (() => Promise<Server>)[] = [
      ...WORKERS.map((w) => () => startBerth(urls.berth, { workers: w, nodeArgs: NODE_ARGS })),
      ...(process.env.BENCH_NO_REF ? [] : [() => startReference(urls.ref, 2)]),
    ];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const start of starters) {
        const server = await start();
        try {
          const first = await request(server.base, "GET", path, { read: true });
          const count = first.status === 200 ? (JSON.parse(first.body!) as { allocation_requests: unknown[] }).allocation_requests.length : -1;
          const once = async () => {
            const r = await request(server.base, "GET", path);
            return { status: r.status, ok: r.status === 200 };
          };
          // Warm-up: connections, V8's compiled hot paths and (Berth) the snapshot.
          await closedLoop(server, CLIENTS, server.name.startsWith("Berth") ? 3 : 1, once);
          const builds0 = await metric(server, "berth_candidate_snapshot_build_seconds_count");
          const stopWatch = await watchToken(kind);
          const stopWrites = SIDE_WRITES > 0 ? await sideWriter(kind, SIDE_WRITES) : undefined;
          const r = CLIENT === "wrk" ? await wrkLoop(server, CLIENTS, SECONDS, path) : await closedLoop(server, CLIENTS, SECONDS, once);
          await stopWrites?.();
          const token = await stopWatch();
          const builds = (await metric(server, "berth_candidate_snapshot_build_seconds_count")) - builds0;
          const row = `| ${LABEL[kind] ?? kind} | ${server.name} | ${round} | ${CLIENTS} | ${r.requests} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.cpuPerRequest.toFixed(1)} | ${errorText(r.errors)} | ${count} | ${token.moves}/${token.polls} | ${Number.isNaN(builds) ? "-" : builds} |`;
          rows.push(row);
          console.error(row);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await dropServerDatabase(kind, name);
  }
}
console.log(
  `GET /allocation_candidates (flat 1,010, the perfload query) @1.39, ${CLIENTS} clients (${CLIENT === "wrk" ? "wrk" : "node:http"}), ${SECONDS} s per run${SIDE_WRITES ? `, ${SIDE_WRITES} commits/s into another database meanwhile` : ""}`,
);
console.log(
  "| database | server | round | clients | requests | req/s | p50 ms | p95 ms | server CPU ms/req | errors | candidates | token moved (of polls) | snapshot rebuilds |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
for (const r of rows) console.log(r);
process.exit(0);
