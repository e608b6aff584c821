// Claims in process (app.request, no HTTP, no child process) on a fresh database, to see where a
// claim's time goes: BENCH_TRACE=1 prints each statement of one claim with its round-trip time (then of
// a burst of 16 concurrent claims);
// otherwise claim latency and throughput at 1, 16 and 64 concurrent callers. Profile with
// `node --cpu-prof --import tsx bench/claims-inproc.ts` or run `npx vite-node bench/claims-inproc.ts`.
// Env: BENCH_DB (sqlite | postgres | mysql, default postgres), BENCH_SECONDS (per level, default 3), BENCH_LEVELS (default 1,16,64),
// BENCH_PROVIDERS (default 1), BERTH_BENCH_PG, BERTH_BENCH_MYSQL (admin URLs).
import { createRequire } from "node:module";
import pg from "pg";
import mysql from "mysql2/promise";
import { prepare } from "../src/server.js";
import { testConfig } from "../src/config.js";
import { at } from "@berth/client/common";

const DB = process.env.BENCH_DB ?? "postgres";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 1);
const PG_ADMIN = process.env.BERTH_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN = process.env.BERTH_BENCH_MYSQL ?? "mysql://root@127.0.0.1:3306/test";
const name = `berth_bench_${Date.now()}`;

// Every statement the drivers send, with its time, while `tracing`.
const trace: { sql: string; ms: number }[] = [];
let tracing = false;
function timed(proto: any, method: string) {
  const orig = proto[method];
  proto[method] = function (this: unknown, ...args: any[]) {
    if (!tracing) return orig.apply(this, args);
    const text = String(typeof args[0] === "string" ? args[0] : (args[0]?.sql ?? args[0]?.text))
      .replace(/\s+/g, " ")
      .slice(0, 110);
    const t0 = performance.now();
    const cb = typeof args[args.length - 1] === "function" ? args.length - 1 : -1;
    if (cb >= 0) {
      const done = args[cb];
      args[cb] = (...r: unknown[]) => {
        trace.push({ sql: text, ms: performance.now() - t0 });
        return done(...r);
      };
      return orig.apply(this, args);
    }
    const out = orig.apply(this, args);
    if (out && typeof out.then === "function")
      out.then(
        () => trace.push({ sql: text, ms: performance.now() - t0 }),
        () => {},
      );
    return out;
  };
}
timed(pg.Client.prototype, "query");
const require = createRequire(import.meta.url);
{
  const m = require("mysql2");
  timed(Object.getPrototypeOf(m.Connection.prototype) === Object.prototype ? m.Connection.prototype : Object.getPrototypeOf(m.Connection.prototype), "query");
}

let url: string;
let drop = async () => {};
if (DB === "postgres") {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  url = u.toString();
  drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
} else if (DB === "mysql") {
  const admin = await mysql.createConnection({ uri: MYSQL_ADMIN });
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(MYSQL_ADMIN);
  url = `mysql+pymysql://${u.username}@${u.host}/${name}?charset=utf8`;
  drop = async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  };
} else url = `sqlite:////tmp/${name}.sqlite`;

const { app, store } = await prepare(testConfig({ placement_database: { connection: url, sync_on_startup: "true" } }));
const H = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28", "content-type": "application/json" };
const rps: string[] = [];
for (let i = 0; i < PROVIDERS; i++) {
  const rp = crypto.randomUUID();
  await app.request("/resource_providers", { method: "POST", headers: H, body: JSON.stringify({ name: rp, uuid: rp }) });
  const inv = { resource_provider_generation: 0, inventories: { VCPU: { total: 100_000_000 }, MEMORY_MB: { total: 100_000_000 } } };
  const r = await app.request(`/resource_providers/${rp}/inventories`, { method: "PUT", headers: H, body: JSON.stringify(inv) });
  if (r.status !== 200) throw new Error(`seeding failed: ${r.status} ${await r.text()}`);
  rps.push(rp);
}
let n = 0;
async function claim(): Promise<number> {
  const rp = at(rps, n++ % rps.length);
  const body = { allocations: { [rp]: { resources: { VCPU: 1, MEMORY_MB: 64 } } }, project_id: "p", user_id: "u", consumer_generation: null };
  const t = performance.now();
  const r = await app.request(`/allocations/${crypto.randomUUID()}`, { method: "PUT", headers: H, body: JSON.stringify(body) });
  if (r.status !== 204) throw new Error(`claim: ${r.status} ${await r.text()}`);
  return performance.now() - t;
}

for (let i = 0; i < 50; i++) await claim();
if (process.env.BENCH_TRACE) {
  for (let i = 0; i < 3; i++) {
    trace.length = 0;
    tracing = true;
    const ms = await claim();
    tracing = false;
    console.log(`claim ${ms.toFixed(2)} ms, ${trace.length} statements`);
    for (const l of trace) console.log(`  ${l.ms.toFixed(2).padStart(6)}  ${l.sql}`);
  }
  // A burst of 16 at once: the first claim goes alone, the other 15 share the next transaction.
  trace.length = 0;
  tracing = true;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, () => claim()));
  tracing = false;
  console.log(`16 concurrent claims ${(performance.now() - t0).toFixed(2)} ms, ${trace.length} statements`);
  for (const l of trace) console.log(`  ${l.ms.toFixed(2).padStart(6)}  ${l.sql}`);
} else {
  for (const conc of (process.env.BENCH_LEVELS ?? "1,16,64").split(",").map(Number)) {
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (performance.now() - t0 < SECONDS * 1000) lat.push(await claim());
      }),
    );
    const s = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const p = (q: number) => at(lat, Math.min(lat.length - 1, Math.floor(q * lat.length))).toFixed(2);
    console.log(`${DB} ${String(conc).padStart(3)} callers  p50 ${p(0.5)} ms  p95 ${p(0.95)} ms  ${Math.round(lat.length / s)} claims/s`);
  }
}
await store.close();
await drop();
process.exit(0);
