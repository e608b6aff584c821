// GET /allocation_candidates timings, Berth next to the reference on the same data: each workload
// is seeded into one SQLite file that Berth (in process) and a private reference process read.
// Run: npx vite-node bench/candidates.ts [workload...]   (BENCH_NO_REF=1 to time Berth alone;
// BENCH_DIR for the data files, BENCH_REF_PORT for the private reference's port; BENCH_DB=mysql or
// postgres seeds a fresh database on the local MariaDB or PostgreSQL server instead of a SQLite
// file, and both read that; BENCH_HTTP=1 times Berth as a `berth serve` child process over HTTP,
// exactly as the reference is timed, instead of in process; BENCH_BERTH_PORT is its port;
// BENCH_JSON=file appends the chart series' points for bench/charts.ts)
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import http from "node:http";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders, type ProviderSpec } from "../test/helpers/seed-candidates.js";
import { eightOneUnitGroups, flat, nested, wide } from "../test/fixtures/candidates/seed.js";
import { analyze, serverDatabase } from "./databases.js";
import { at } from "@berth/client/common";

interface Workload {
  name: string;
  providers: () => ProviderSpec[];
  queries: {
    label: string;
    query: (agg: (l: string) => string) => string;
    refRuns?: number;
    refTimeoutMs?: number;
    /** The chart line this query is a point of, and its x (providers). */
    series?: string;
    scale?: number;
  }[];
}

const FLAT_Q = (agg: (l: string) => string) => `resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&member_of=${agg("agg0")}&required=HW_CPU_X86_AVX2`;
const LIMITED = () => "resources=VCPU:1,DISK_GB:10,MEMORY_MB:256&limit=1000";
const NESTED_Q = () =>
  "resources=DISK_GB:10&resources_C=VCPU:2,MEMORY_MB:512&resources_N=SRIOV_NET_VF:1&required_N=CUSTOM_PHYSNET_A&same_subtree=_C,_N&group_policy=isolate";
// NOTE: `series` names a line of the charts (bench/charts.ts) across scales; `providers` its x.
const SERIES = { limited: "flat, limit=1000", perfload: "flat, perfload gate query", nested: "nested trees, granular + same_subtree" } as const;
const WORKLOADS: Workload[] = [
  { name: "flat", providers: () => flat(1010), queries: [{ label: "flat 1,010", query: FLAT_Q, refRuns: 7 }] },
  {
    name: "nested",
    providers: () => nested(1000),
    queries: [{ label: "nested 1,000 trees (granular + same_subtree)", query: NESTED_Q, refRuns: 3 }],
  },
  {
    name: "flat10k",
    providers: () => flat(10_000, 2),
    queries: [
      { label: "10,000 flat, limit=1000", query: LIMITED, refRuns: 3, series: SERIES.limited, scale: 10_000 },
      { label: "10,000 flat, flat query", query: FLAT_Q, refRuns: 3, series: SERIES.perfload, scale: 10_000 },
    ],
  },
  {
    name: "flat100k",
    providers: () => flat(100_000, 3),
    queries: [
      { label: "100,000 flat, limit=1000", query: LIMITED, refRuns: 1, refTimeoutMs: 180_000, series: SERIES.limited, scale: 100_000 },
      { label: "100,000 flat, flat query", query: FLAT_Q, refRuns: 1, refTimeoutMs: 180_000, series: SERIES.perfload, scale: 100_000 },
    ],
  },
  // The scale series for the charts: the same queries at 1k, 10k and 100k providers (flat10k and
  // flat100k above are its larger flat points).
  {
    name: "flat1k",
    providers: () => flat(1000, 4),
    queries: [
      { label: "1,000 flat, limit=1000", query: LIMITED, refRuns: 5, series: SERIES.limited, scale: 1000 },
      { label: "1,000 flat, flat query", query: FLAT_Q, refRuns: 5, series: SERIES.perfload, scale: 1000 },
    ],
  },
  // NOTE: a nested tree is 7 providers (a compute node, two NUMA nodes, four devices).
  ...([1000, 10_000, 100_000] as const).map((providers) => {
    const trees = Math.round(providers / 7);
    return {
      name: `nested${providers / 1000}k`,
      providers: () => nested(trees),
      queries: [
        {
          label: `nested ${trees.toLocaleString("en")} trees (${(trees * 7).toLocaleString("en")} providers)`,
          query: NESTED_Q,
          refRuns: providers > 10_000 ? 1 : 3,
          refTimeoutMs: 180_000,
          series: SERIES.nested,
          scale: providers,
        },
      ],
    };
  }),
  ...[8, 21].map((n) => ({
    name: `wide${n}`,
    providers: () => wide(n),
    queries: [
      { label: `wide ${n} devices, 8 groups, limit=1000`, query: () => `${eightOneUnitGroups}&limit=1000`, refRuns: 1, refTimeoutMs: 30_000 },
      { label: `wide ${n} devices, 8 groups, no limit`, query: () => eightOneUnitGroups, refRuns: 1, refTimeoutMs: 30_000 },
    ],
  })),
];

// NOTE: a port of its own; other engineers run services on the 800x ports.
const PORT = Number(process.env.BENCH_REF_PORT ?? 18702);
const BERTH_PORT = Number(process.env.BENCH_BERTH_PORT ?? 18703);
/** Node options for `berth serve` (BENCH_BERTH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const NODE_ARGS = (process.env.BENCH_BERTH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const HTTP = Boolean(process.env.BENCH_HTTP);
const DIR = process.env.BENCH_DIR ?? "/tmp/berth-bench";
const HEADERS = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };

/** CPU time (ms) a process has used, from /proc: comparable under a loaded machine, unlike wall time. */
function cpuMsOf(pid: number): number {
  const f = at(readFileSync(`/proc/${pid}/stat`, "utf8").split(") "), 1).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const p50 = (xs: number[]) =>
  at(
    [...xs].sort((a, b) => a - b),
    Math.floor((xs.length - 1) / 2),
  );

const BENCH_DB = process.env.BENCH_DB ?? "sqlite";
/** BENCH_JSON: a file to which each timed query of a chart series is appended as one JSON line. */
const JSON_OUT = process.env.BENCH_JSON;

/** A fresh database for a workload (left in place afterwards): Berth's connection URL and the reference's. */
async function freshDatabase(workload: string): Promise<{ berth: string; ref: string }> {
  if (BENCH_DB === "sqlite") {
    mkdirSync(DIR, { recursive: true });
    const file = `${DIR}/${workload}.sqlite`;
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    return { berth: `sqlite:///${file}`, ref: `sqlite:///${file}` };
  }
  return serverDatabase(BENCH_DB, `berth_cand_${workload}`, true);
}

async function startReference(connection: string): Promise<ChildProcess> {
  const dir = `${DIR}/ref`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/placement.conf`, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\nsync_on_startup = True\n`);
  const child = spawn("placement-api", ["--port", String(PORT)], { env: { ...process.env, OS_PLACEMENT_CONFIG_DIR: dir }, stdio: "ignore" });
  return waitUp(child, "the reference", PORT);
}

/** `berth serve` from dist/ (built first) on the workload's database, as an operator runs it. */
async function startBerth(connection: string): Promise<ChildProcess> {
  const file = `${DIR}/berth.conf`;
  mkdirSync(DIR, { recursive: true });
  writeFileSync(file, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\n`);
  const child = spawn("node", [...NODE_ARGS, "bin/berth.js", "serve", "--config-file", file, "--host", "127.0.0.1", "--port", String(BERTH_PORT)], {
    stdio: "ignore",
  });
  return waitUp(child, "berth serve", BERTH_PORT);
}

async function waitUp(child: ChildProcess, what: string, port: number): Promise<ChildProcess> {
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}); is port ${port} free?`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return child;
    } catch {
      /* not up yet */
    }
  }
  child.kill();
  throw new Error(`${what} did not start on port ${port}`);
}

/**
 * p50 wall time (at this client) and mean server CPU time of `runs` requests after `warm` untimed
 * ones, each reading the whole body. NOTE: node:http with a kept-alive connection, the lightest
 * client Node has (fetch adds its own cost to every request); the body is parsed once, at the end,
 * so the client's join and JSON.parse and their garbage stay out of the timed part.
 */
async function timeOverHttp(
  pid: number,
  port: number,
  path: string,
  runs: number,
  warm: number,
  timeoutMs: number,
): Promise<{ ms?: number; cpu?: number; count?: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let parts: Buffer[] = [];
  let cpu0 = 0;
  try {
    for (let i = 0; i < warm + runs; i++) {
      if (i === warm) cpu0 = cpuMsOf(pid);
      const t = performance.now();
      parts = await httpGet(agent, port, path, timeoutMs);
      if (i >= warm) times.push(performance.now() - t);
    }
  } catch {
    return { ms: undefined };
  } finally {
    agent.destroy();
  }
  // NOTE: /proc counts CPU in 10 ms ticks: the mean over all timed runs, not a per-request p50.
  const cpu = (cpuMsOf(pid) - cpu0) / runs;
  const count = (JSON.parse(Buffer.concat(parts).toString("utf8")) as any).allocation_requests?.length;
  return { ms: p50(times), cpu, count };
}

/** The body as the chunks it arrived in (joined only for the last response, outside the timing). */
function httpGet(agent: http.Agent, port: number, path: string, timeoutMs: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers: HEADERS, agent, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => (res.statusCode === 200 ? resolve(parts) : reject(new Error(`status ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

/**
 * Berth over HTTP: one request to see how slow it is, then a warm-up of 3 s (at least 200 and at
 * most 3,000 requests) and 300 timed runs; 3 runs without warm-up for answers over a second.
 * NOTE: the steady state of a server that has been up a while, as the in-process timing has.
 */
async function timeBerthOverHttp(pid: number, path: string): Promise<{ ms: number; cpu: number; count: number }> {
  const first = await timeOverHttp(pid, BERTH_PORT, path, 1, 0, 600_000);
  const slow = (first.ms ?? 0) > 1000;
  const warmUntil = performance.now() + 3000;
  for (let n = 0; !slow && n < 3000 && (n < 200 || performance.now() < warmUntil); n += 50) await timeOverHttp(pid, BERTH_PORT, path, 50, 0, 600_000);
  const r = await timeOverHttp(pid, BERTH_PORT, path, slow ? 3 : 300, 0, 600_000);
  if (r.ms === undefined || r.cpu === undefined) throw new Error(`berth serve did not answer ${path}`);
  return { ms: r.ms, cpu: r.cpu, count: r.count ?? 0 };
}

const only = process.argv.slice(2);
const rows: string[] = [];
if (HTTP) {
  console.error("BENCH_HTTP: building dist/ (npx tsc -b tsconfig.build.json) for berth serve");
  const built = spawnSync("npx", ["tsc", "-b", "tsconfig.build.json"], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("the build failed: fix the type errors above, then run again");
}
for (const w of WORKLOADS) {
  if (only.length && !only.includes(w.name)) continue;
  const target = await freshDatabase(w.name);
  const config = testConfig({ placement_database: { connection: target.berth, sync_on_startup: "true" } });
  // NOTE: the reference creates the schema: its resource class ids are the ones it expects.
  const ref = process.env.BENCH_NO_REF ? undefined : await startReference(target.ref);
  const { app, store } = await prepare(config);
  const t0 = performance.now();
  const seeded = await seedProviders(store.db, w.providers());
  await analyze(store);
  console.error(`${w.name}: seeded ${seeded.id.size} providers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const berth = HTTP ? await startBerth(target.berth) : undefined;
  try {
    for (const q of w.queries) {
      const path = `/allocation_candidates?${q.query((l) => seeded.agg.get(l)!)}`;
      const ours: number[] = [];
      const oursCpu: number[] = [];
      let count = 0;
      // Warm up, then time; slow answers (huge bodies) get fewer runs. NOTE: a server that has been
      // up for a while runs its hot paths compiled: the warm-up is up to 2 s or 200 requests
      // (whichever ends first), so the timed runs see that steady state and not V8's warm-up.
      const warmUntil = performance.now() + 2000;
      if (berth) {
        const r = await timeBerthOverHttp(berth.pid!, path);
        [ours[0], oursCpu[0], count] = [r.ms, r.cpu, r.count];
      }
      for (let i = 0, runs = berth ? 0 : 23, warm = 8; i < runs; i++) {
        if (i === warm - 1 && warm < 200 && performance.now() < warmUntil) {
          warm++;
          runs++;
        }
        const t = performance.now();
        const c = ownCpuMs();
        const r = await app.request(path, { headers: HEADERS });
        const bytes = await r.arrayBuffer();
        const ms = performance.now() - t;
        const cpu = ownCpuMs() - c;
        if (i === 0 && ms > 1000) [runs, warm] = [3, 0];
        if (i >= warm) {
          ours.push(ms);
          oursCpu.push(cpu);
        }
        // NOTE: parsed outside the timed part: the client's JSON.parse is not the server's work.
        count = (JSON.parse(new TextDecoder().decode(bytes)) as any).allocation_requests.length;
      }
      const theirs = ref ? await timeOverHttp(ref.pid!, PORT, path, q.refRuns ?? 3, (q.refRuns ?? 3) >= 3 ? 1 : 0, q.refTimeoutMs ?? 120_000) : {};
      const refText = !ref ? "-" : theirs.ms === undefined ? `> ${((q.refTimeoutMs ?? 120_000) / 1000).toFixed(0)} s` : `${theirs.ms.toFixed(1)} ms`;
      const speedup = theirs.ms ? `${(theirs.ms / p50(ours)).toFixed(0)}x` : theirs.ms === undefined && ref ? "-" : "";
      const cpuText = theirs.cpu === undefined ? "-" : `${theirs.cpu.toFixed(0)} ms`;
      const cpuSpeedup = theirs.cpu ? `${(theirs.cpu / Math.max(p50(oursCpu), 0.1)).toFixed(0)}x` : "-";
      const row = `| ${q.label} | ${p50(ours).toFixed(1)} ms | ${refText} | ${speedup} | ${p50(oursCpu).toFixed(1)} ms | ${cpuText} | ${cpuSpeedup} | ${count} | ${theirs.count ?? "-"} |`;
      rows.push(row);
      console.error(row);
      if (JSON_OUT && q.series)
        appendFileSync(
          JSON_OUT,
          `${JSON.stringify({
            at: new Date().toISOString(),
            database: BENCH_DB,
            berth: HTTP ? "berth serve over HTTP" : "in process",
            series: q.series,
            providers: q.scale,
            label: q.label,
            berthMs: p50(ours),
            berthCpuMs: p50(oursCpu),
            referenceMs: ref ? (theirs.ms ?? null) : undefined,
            referenceTimeoutMs: ref && theirs.ms === undefined ? (q.refTimeoutMs ?? 120_000) : undefined,
            berthCandidates: count,
            referenceCandidates: theirs.count,
          })}\n`,
        );
    }
  } finally {
    ref?.kill();
    berth?.kill();
    await store.close();
  }
}
console.log(`Berth ${HTTP ? "as berth serve over HTTP" : "in process"}; the reference over HTTP.`);
console.log(
  "| workload | Berth wall p50 | reference wall p50 | speed-up | Berth CPU p50 | reference CPU p50 | CPU speed-up | Berth candidates | reference candidates |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
process.exit(0);
