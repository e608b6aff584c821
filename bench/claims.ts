// Claim latency and throughput over real HTTP: PUT /allocations/{new consumer} (1.28) at 1, 16
// and 64 concurrent clients, against `berth serve` on SQLite, PostgreSQL and MariaDB, and the
// reference on the same database kinds; after every level the providers' usage is checked against
// their capacity and against the number of claims answered 204 (no over-allocation, no lost claim).
// Run: `npx vite-node bench/claims.ts` (builds dist/ first with `npx tsc -b tsconfig.build.json`).
// Env: BENCH_SECONDS (per level, default 5), BENCH_LEVELS (concurrency levels, default 1,16,64),
// BENCH_CLIENT (wrk where installed, else node: node:http loops in this process), BENCH_PROVIDERS (providers claims rotate over, default 1), BENCH_CAPACITY (VCPU of each provider,
// default 100,000,000; small values make the claims run out: refusals are then expected, and the
// check shows whether a server gave more than there was), BENCH_NODE_ARGS (node flags for
// `berth serve`, e.g. --cpu-prof), BENCH_WORKERS (`berth serve --workers` values, e.g. 1,2; default
// 1), BENCH_ROUNDS (the whole target list again, default 1: alternate runs on a shared machine),
// BENCH_TARGETS (comma list, in the order run, of sqlite, pg, mysql (Berth), ref (the reference at
// REF_URL, default http://localhost:8000, its own database), refpg and refmysql (the reference at
// REF_PG_URL / REF_MYSQL_URL when set, else a private reference under gunicorn with 2 workers on a
// fresh database on the same server as Berth's); default sqlite,pg,ref,refpg),
// BERTH_BENCH_PG (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres), BERTH_BENCH_MYSQL.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropServerDatabase, randomName } from "./databases.js";
import { buildDist, closedLoop, errorText, hasWrk, metric, request, startBerth, startReference, wrkLoop, type LoopResult, type Server } from "./servers.js";
import { at } from "@berth/client/common";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 1);
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 100_000_000);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16,64").split(",").map(Number);
const WORKERS = (process.env.BENCH_WORKERS ?? "1").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const PG_ADMIN = process.env.BERTH_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN = process.env.BERTH_BENCH_MYSQL ?? "mysql://root@127.0.0.1:3306/";
const REF = process.env.REF_URL ?? "http://localhost:8000";
const TARGETS = (process.env.BENCH_TARGETS ?? "sqlite,pg,ref,refpg").split(",");
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
const V = { version: "1.28" };
// NOTE: wrk where installed (a client in C), else node:http loops in this process.
const CLIENT = process.env.BENCH_CLIENT ?? (hasWrk() ? "wrk" : "node");

async function seed(base: string): Promise<string[]> {
  const rps: string[] = [];
  for (let i = 0; i < PROVIDERS; i++) {
    const rp = crypto.randomUUID();
    await request(base, "POST", "/resource_providers", { ...V, body: { name: `bench-${rp}`, uuid: rp } });
    const s = await request(base, "PUT", `/resource_providers/${rp}/inventories`, {
      ...V,
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: CAPACITY }, MEMORY_MB: { total: Math.min(64 * CAPACITY, 2 ** 31 - 1) } } },
    });
    if (s.status !== 200) throw new Error(`seeding ${base} failed: ${s.status}`);
    rps.push(rp);
  }
  return rps;
}

/**
 * The VCPU used on the providers, which must equal the claims answered 204 and stay within capacity.
 * `unseen`: claims whose answers were never counted (wrk stops with a request in flight on each
 * connection): the usage may exceed the 204s by at most that many.
 */
async function check(base: string, rps: string[], accepted: number, unseen = 0): Promise<string> {
  let used = 0;
  let over = 0;
  for (const rp of rps) {
    const r = await request(base, "GET", `/resource_providers/${rp}/usages`, { ...V, read: true });
    const vcpu = (JSON.parse(r.body!) as { usages: Record<string, number> }).usages.VCPU ?? 0;
    used += vcpu;
    if (vcpu > CAPACITY) over += vcpu - CAPACITY;
  }
  const ok = used >= accepted && used <= accepted + unseen && over === 0;
  return `${ok ? "ok" : "WRONG"}: usage ${used}, 204s ${accepted}${unseen ? ` (+ up to ${unseen} in flight at the end)` : ""}${over ? `, ${over} over capacity` : ""}`;
}

async function run(t: Server) {
  const rps = await seed(t.base);
  let n = 0;
  let accepted = 0;
  let unseen = 0;
  const claim = async () => {
    const rp = at(rps, n++ % rps.length);
    const body = { allocations: { [rp]: { resources: { VCPU: 1, MEMORY_MB: 64 } } }, project_id: "bench", user_id: "bench", consumer_generation: null };
    const s = (await request(t.base, "PUT", `/allocations/${crypto.randomUUID()}`, { ...V, body })).status;
    if (s === 204) accepted++;
    // NOTE: once the capacity is used up, 409 is the right answer.
    return { status: s, ok: s === 204 || (s === 409 && CAPACITY < 100_000_000) };
  };
  /** Berth's claims per checked-path batch and checked writes per batch (its metrics), over the run. */
  const batching = async () => ({
    claims: await metric(t, 'berth_claim_batch_claims_sum{path="checked"}'),
    batches: await metric(t, 'berth_claim_batch_claims_count{path="checked"}'),
    writes: await metric(t, "berth_claim_checked_writes_total"),
    // NOTE: where checked writes are off (a Galera node), batches go through transactions.
    txClaims: await metric(t, 'berth_claim_batch_claims_sum{path="transaction"}'),
    txBatches: await metric(t, 'berth_claim_batch_claims_count{path="transaction"}'),
  });
  for (const c of LEVELS) {
    // Warm up connections and caches.
    await Promise.all(Array.from({ length: c }, () => claim()));
    const b0 = await batching();
    let r: LoopResult;
    if (CLIENT === "wrk") {
      r = await wrkLoop(t, c, SECONDS, "/", { version: V.version, lua: claimLua(rps) });
      // NOTE: wrk counts answers outside 2xx and 3xx; every other answer was a 204.
      const failed = [...r.errors.values()].reduce((a, b) => a + b, 0);
      accepted += r.requests - failed;
      unseen += c;
    } else r = await closedLoop(t, c, SECONDS, claim);
    const b1 = await batching();
    const batches = b1.batches - b0.batches;
    const txBatches = b1.txBatches - b0.txBatches;
    const batchText =
      Number.isFinite(batches) && batches > 0
        ? `  ${((b1.claims - b0.claims) / batches).toFixed(1)} claims/batch, ${((b1.writes - b0.writes) / batches).toFixed(2)} writes/batch`
        : Number.isFinite(txBatches) && txBatches > 0
          ? `  ${((b1.txClaims - b0.txClaims) / txBatches).toFixed(1)} claims/batch (transactions)`
          : "";
    console.log(
      `${t.name.padEnd(44)} ${String(c).padStart(3)} clients  ${String(r.requests).padStart(6)} claims  errors ${errorText(r.errors).padStart(4)}  ` +
        `p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  ${r.perSecond.toFixed(0).padStart(6)} claims/s  ` +
        `CPU ${r.cpuPerRequest.toFixed(2)} ms/claim  ${await check(t.base, rps, accepted, unseen)}${batchText}`,
    );
  }
}

/**
 * wrk's request(): PUT /allocations/{a new uuid} on the providers in turn. The uuids are unique
 * per run (a random prefix), per wrk thread and per request.
 */
function claimLua(rps: readonly string[]): string {
  const prefix = Math.floor(Math.random() * 0xffffffff);
  return `local rps = {${rps.map((p) => `"${p}"`).join(",")}}
local n = 0
local threads = 0
-- setup runs in wrk's main Lua state; thread:set makes tid a global of that thread's state.
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  n = n + 1
  local rp = rps[(n % #rps) + 1]
  local uuid = string.format("%08x-%04x-4000-8000-%012x", ${prefix}, tid or 0, n)
  local body = '{"allocations": {"' .. rp .. '": {"resources": {"VCPU": 1, "MEMORY_MB": 64}}}, "project_id": "bench", "user_id": "bench", "consumer_generation": null}'
  -- NOTE: headers given to wrk.format replace wrk.headers (the token and the version).
  local headers = {["content-type"] = "application/json"}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  return wrk.format("PUT", "/allocations/" .. uuid, headers, body)
end
`;
}

async function up(base: string): Promise<boolean> {
  return (await request(base, "GET", "/", { timeoutMs: 2000 })).status === 200;
}

/** A fresh database on the PostgreSQL or MariaDB server: Berth's URL, the reference's, and its drop. */
async function fresh(kind: "postgres" | "mysql") {
  const name = randomName("berth_claims");
  const admin = new URL(kind === "postgres" ? PG_ADMIN : MYSQL_ADMIN);
  if (kind === "postgres") {
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
  } else {
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection({
      host: admin.hostname,
      port: Number(admin.port || 3306),
      user: decodeURIComponent(admin.username) || "root",
      password: decodeURIComponent(admin.password),
    });
    await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    await c.end();
  }
  admin.pathname = `/${name}`;
  const berth = admin.toString();
  const ref =
    kind === "postgres"
      ? berth.replace(/^postgres(ql)?:/, "postgresql+psycopg2:")
      : `mysql+pymysql://${admin.username || "root"}${admin.password ? `:${admin.password}` : ""}@${admin.host}/${name}?charset=utf8mb4`;
  return { berth, ref, drop: () => dropServerDatabase(kind, name) };
}

async function berthOn(label: string, connection: () => Promise<{ berth: string; drop(): Promise<void> }>) {
  for (const w of WORKERS) {
    const db = await connection();
    const t = await startBerth(db.berth, { workers: w, nodeArgs: NODE_ARGS, name: `berth ${label}${w > 1 ? ` --workers ${w}` : ""}` });
    try {
      await run(t);
    } finally {
      await t.stop();
      await db.drop();
    }
  }
}

async function referenceOn(kind: "postgres" | "mysql", url: string | undefined) {
  const label = kind === "postgres" ? "postgresql" : "mysql";
  if (url) {
    if (await up(url)) await run({ name: `reference (${label}, ${url})`, base: url, pids: () => [], stop: async () => {} });
    else console.log(`reference (${label}): not reachable at ${url}`);
    return;
  }
  const db = await fresh(kind);
  const t = await startReference(db.ref, 2);
  t.name = `reference (${label}, gunicorn -w 2)`;
  try {
    await run(t);
  } finally {
    await t.stop();
    await db.drop();
  }
}

buildDist();
console.log(`claims: PUT /allocations/{new uuid} @1.28, ${PROVIDERS} provider(s) of VCPU ${CAPACITY}, ${SECONDS}s per level\n`);
for (let round = 0; round < ROUNDS; round++) {
  for (const target of TARGETS) {
    try {
      if (target === "sqlite") {
        const dir = mkdtempSync(join(tmpdir(), "berth-bench-sqlite-"));
        let i = 0;
        await berthOn("sqlite (file, WAL)", async () => ({ berth: `sqlite:///${join(dir, `bench${i++}.sqlite`)}`, drop: async () => {} }));
      } else if (target === "pg") await berthOn("postgresql", () => fresh("postgres"));
      else if (target === "mysql") await berthOn("mysql", () => fresh("mysql"));
      else if (target === "refpg") await referenceOn("postgres", process.env.REF_PG_URL);
      else if (target === "refmysql") await referenceOn("mysql", process.env.REF_MYSQL_URL);
      else if (target === "ref") {
        if (await up(REF)) await run({ name: "reference (its sqlite, as deployed)", base: REF, pids: () => [], stop: async () => {} });
        else console.log(`reference: not reachable at ${REF}`);
      } else console.log(`unknown target ${target}`);
    } catch (e) {
      console.log(`${target}: skipped (${(e as Error).message})`);
    }
  }
}
process.exit(0);
