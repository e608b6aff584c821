// Loading a deployment the way the reference's perfload job does, from concurrent clients: for each
// of N providers, PUT /traits/CUSTOM_x for its custom traits, POST /resource_providers, PUT its
// inventories, PUT its aggregates (drawn from a few new aggregate uuids that many providers share,
// so their creators race) and PUT its traits. Total time, requests per second, latency and every
// unexpected answer, for `berth serve` and the reference (gunicorn, 2 workers), each on a fresh
// database on the machine's PostgreSQL or MariaDB, in alternation; then the loaded state is checked
// (providers, aggregate memberships, traits).
// Run: npx vite-node bench/load.ts   (builds dist/ first)
// Env: BENCH_DBS (postgres,mysql), BENCH_PROVIDERS (1000), BENCH_CLIENTS (8), BENCH_ROUNDS (2),
// BENCH_WORKERS (Berth's --workers values, default 1), BENCH_NO_REF=1, BENCH_NODE_ARGS.
import { dropServerDatabase, randomName, serverDatabase } from "./databases.js";
import { buildDist, pct, request, startBerth, startReference, type Server } from "./servers.js";
import { at } from "@berth/client/common";

const DBS = (process.env.BENCH_DBS ?? "postgres,mysql").split(",");
const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 1000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WORKERS = (process.env.BENCH_WORKERS ?? "1").split(",").map(Number);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const LABEL = { postgres: "PostgreSQL", mysql: "MariaDB" } as Record<string, string>;
const AGGREGATES = 10;
const CUSTOM = Array.from({ length: 10 }, (_, i) => `CUSTOM_LOAD_${i}`);

/** What each provider gets: deterministic, so every server loads the same deployment. */
function plan(aggs: string[]) {
  return Array.from({ length: PROVIDERS }, (_, i) => ({
    name: `load-cn${i}`,
    uuid: crypto.randomUUID(),
    aggregates: [at(aggs, i % AGGREGATES), at(aggs, (i * 7 + 3) % AGGREGATES)].filter((a, j, xs) => xs.indexOf(a) === j),
    traits: [at(CUSTOM, i % CUSTOM.length), at(CUSTOM, (i * 3 + 1) % CUSTOM.length), "HW_CPU_X86_AVX2"].filter((t, j, xs) => xs.indexOf(t) === j),
  }));
}

async function load(server: Server) {
  const aggs = Array.from({ length: AGGREGATES }, () => crypto.randomUUID());
  const providers = plan(aggs);
  const latencies: number[] = [];
  let slowest = { ms: 0, what: "" };
  const unexpected = new Map<string, number>();
  const step = async (what: string, expected: number[], method: string, path: string, body?: unknown) => {
    const t0 = performance.now();
    const r = await request(server.base, method, path, { body, read: true });
    const ms = performance.now() - t0;
    latencies.push(ms);
    if (ms > slowest.ms) slowest = { ms, what };
    if (!expected.includes(r.status)) {
      const key = `${what} ${r.status || "no answer"}`;
      unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
      return undefined;
    }
    return r.body ? (JSON.parse(r.body) as { resource_provider_generation?: number }) : {};
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < providers.length; i = next++) {
        const p = at(providers, i);
        for (const t of p.traits) if (t.startsWith("CUSTOM_")) await step("PUT /traits/{name}", [201, 204], "PUT", `/traits/${t}`);
        if (!(await step("POST /resource_providers", [200], "POST", "/resource_providers", { name: p.name, uuid: p.uuid }))) continue;
        const inv = await step("PUT inventories", [200], "PUT", `/resource_providers/${p.uuid}/inventories`, {
          resource_provider_generation: 0,
          inventories: { VCPU: { total: 32 }, MEMORY_MB: { total: 8192 }, DISK_GB: { total: 8192 } },
        });
        if (!inv) continue;
        const agg = await step("PUT aggregates", [200], "PUT", `/resource_providers/${p.uuid}/aggregates`, {
          aggregates: p.aggregates,
          resource_provider_generation: inv.resource_provider_generation,
        });
        if (!agg) continue;
        await step("PUT traits", [200], "PUT", `/resource_providers/${p.uuid}/traits`, {
          traits: p.traits,
          resource_provider_generation: agg.resource_provider_generation,
        });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    requests: latencies.length,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    slowest,
    unexpected,
    check: await check(server, providers, aggs),
  };
}

/** Whether the deployment loaded is the one planned: providers, aggregate memberships, traits. */
async function check(server: Server, providers: ReturnType<typeof plan>, aggs: string[]): Promise<string> {
  const count = async (query: string) => {
    const r = await request(server.base, "GET", `/resource_providers?${query}`, { read: true });
    return r.status === 200 ? (JSON.parse(r.body!) as { resource_providers: unknown[] }).resource_providers.length : -1;
  };
  const problems: string[] = [];
  const all = await count("");
  if (all !== providers.length) problems.push(`${all} providers`);
  for (const a of aggs) {
    const want = providers.filter((p) => p.aggregates.includes(a)).length;
    const got = await count(`member_of=${a}`);
    if (got !== want) problems.push(`aggregate ${a.slice(0, 8)}: ${got} members, ${want} planned`);
  }
  for (const t of CUSTOM) {
    const want = providers.filter((p) => p.traits.includes(t)).length;
    const got = await count(`required=${t}`);
    if (got !== want) problems.push(`${t}: ${got} providers, ${want} planned`);
  }
  return problems.length ? `WRONG: ${problems.join("; ")}` : "ok";
}

buildDist();
const rows: string[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of DBS) {
    const starters: [string, (url: { berth: string; ref: string }) => Promise<Server>][] = [
      ...WORKERS.map(
        (w) =>
          [`Berth --workers ${w}`, (u: { berth: string }) => startBerth(u.berth, { workers: w, nodeArgs: NODE_ARGS })] as [
            string,
            (url: { berth: string; ref: string }) => Promise<Server>,
          ],
      ),
      ...(process.env.BENCH_NO_REF
        ? []
        : [
            ["reference (gunicorn -w 2)", (u: { ref: string }) => startReference(u.ref, 2)] as [
              string,
              (url: { berth: string; ref: string }) => Promise<Server>,
            ],
          ]),
    ];
    for (const [label, start] of starters) {
      const name = randomName("berth_load");
      const urls = await serverDatabase(kind, name, true);
      try {
        const server = await start(urls);
        try {
          const r = await load(server);
          const errors = r.unexpected.size ? [...r.unexpected].map(([k, n]) => `${n} x ${k}`).join(", ") : "0";
          const row = `| ${LABEL[kind] ?? kind} | ${label} | ${round} | ${PROVIDERS} | ${CLIENTS} | ${r.seconds.toFixed(1)} | ${(r.requests / r.seconds).toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.slowest.ms.toFixed(0)} (${r.slowest.what}) | ${errors} | ${r.check} |`;
          rows.push(row);
          console.error(row);
        } finally {
          await server.stop();
        }
      } finally {
        await dropServerDatabase(kind, name);
      }
    }
  }
}
console.log(`Loading ${PROVIDERS} providers (custom traits, provider, inventories, aggregates, traits) from ${CLIENTS} clients @1.39`);
console.log("| database | server | round | providers | clients | total s | requests/s | p50 ms | p95 ms | slowest ms (request) | unexpected answers | state |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
for (const r of rows) console.log(r);
process.exit(0);
