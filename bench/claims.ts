// Claim latency and throughput over real HTTP: PUT /allocations/{new consumer} (1.28) at 1, 16
// and 64 concurrent clients, against `berth serve` on SQLite and on PostgreSQL, and against the
// reference at REF_URL (default http://localhost:8000) when it answers.
// Run: `npx vite-node bench/claims.ts` (builds dist/ first with `npx tsc -p tsconfig.json`).
// Env: BENCH_SECONDS (per level, default 5), BENCH_LEVELS (concurrency levels, default 1,16,64), BENCH_PROVIDERS (providers claims rotate over, default 1),
// BENCH_NODE_ARGS (node flags for `berth serve`, e.g. --cpu-prof), BENCH_WORKERS (`berth serve --workers`, default 1), BENCH_TARGETS (comma list of sqlite, pg, ref, refpg,
// and mysql, refmysql (not in the default); default sqlite,pg,ref,refpg), BERTH_BENCH_MYSQL, REF_MYSQL_URL,
// BERTH_BENCH_PG (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres), REF_URL, and REF_PG_URL
// (a reference on PostgreSQL, e.g. `gunicorn -w 2 'placement.wsgi:init_application()'`).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 1);
const LEVELS = (process.env.BENCH_LEVELS ?? "1,16,64").split(",").map(Number);
const PG_ADMIN = process.env.BERTH_BENCH_PG ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REF = process.env.REF_URL ?? "http://localhost:8000";
const TARGETS = new Set((process.env.BENCH_TARGETS ?? "sqlite,pg,ref,refpg").split(","));
const MYSQL_ADMIN = process.env.BERTH_BENCH_MYSQL ?? "mysql://root@127.0.0.1:3306/";

interface Target {
  name: string;
  base: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function up(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function startBerth(name: string, connection: string, cleanup: () => Promise<void>): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const conf = join(dir, "placement.conf");
  writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\nsync_on_startup = True\n`);
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port), "--workers", process.env.BENCH_WORKERS ?? "1"], {
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300 && !(await up(base)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    name,
    base,
    stop: async () => {
      child.kill();
      await new Promise((r) => child.once("exit", r));
      await cleanup();
    },
  };
}

// NOTE: node:http with keep-alive, not fetch: the load generator shares the machine's cores with
// the server under test, and fetch costs several times more CPU per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function call(base: string, method: string, path: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": "placement 1.28" };
  const data = body === undefined ? undefined : JSON.stringify(body);
  if (data !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(data));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { method, headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function seed(base: string): Promise<string[]> {
  const rps: string[] = [];
  for (let i = 0; i < PROVIDERS; i++) {
    const rp = crypto.randomUUID();
    await call(base, "POST", "/resource_providers", { name: `bench-${rp}`, uuid: rp });
    const s = await call(base, "PUT", `/resource_providers/${rp}/inventories`, {
      resource_provider_generation: 0,
      inventories: { VCPU: { total: 100_000_000 }, MEMORY_MB: { total: 100_000_000 } },
    });
    if (s !== 200) throw new Error(`seeding ${base} failed: ${s}`);
    rps.push(rp);
  }
  return rps;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function level(t: Target, rps: string[], clients: number) {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const claim = async () => {
    const rp = rps[n++ % rps.length]!;
    const body = { allocations: { [rp]: { resources: { VCPU: 1, MEMORY_MB: 64 } } }, project_id: "bench", user_id: "bench", consumer_generation: null };
    const t0 = performance.now();
    // A refused or reset connection (the reference's single-threaded server at 64 clients) is an error.
    const s = await call(t.base, "PUT", `/allocations/${crypto.randomUUID()}`, body).catch(() => 0);
    return { ms: performance.now() - t0, ok: s === 204 };
  };
  // Warm up connections and caches.
  await Promise.all(Array.from({ length: clients }, () => claim()));
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const r = await claim();
        latencies.push(r.ms);
        if (!r.ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { clients, requests: latencies.length, errors, p50: pct(latencies, 50), p95: pct(latencies, 95), rps: latencies.length / elapsed };
}

async function run(t: Target) {
  const rps = await seed(t.base);
  for (const c of LEVELS) {
    const r = await level(t, rps, c);
    console.log(
      `${t.name.padEnd(34)} ${String(c).padStart(3)} clients  ${String(r.requests).padStart(6)} claims  ${String(r.errors).padStart(4)} errors  ` +
        `p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  ${r.rps.toFixed(0).padStart(6)} claims/s`,
    );
  }
}

// BENCH_NO_BUILD=1 uses dist/ as it is.
if (!process.env.BENCH_NO_BUILD) execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "ignore" });
console.log(`claims: PUT /allocations/{new uuid} @1.28, ${PROVIDERS} provider(s), ${SECONDS}s per level\n`);

if (TARGETS.has("sqlite")) {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-sqlite-"));
  const sqlite = await startBerth("berth sqlite (file, WAL)", `sqlite:///${join(dir, "bench.sqlite")}`, async () => {});
  await run(sqlite);
  await sqlite.stop();
}

const name = `berth_bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: PG_ADMIN });
let pgReady = false;
if (TARGETS.has("pg")) {
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    pgReady = true;
  } catch (e) {
    console.log(`berth postgresql: skipped (${(e as Error).message})`);
  }
}
if (pgReady) {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  const target = await startBerth("berth postgresql", u.toString(), async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  await run(target);
  await target.stop();
}
await admin.end().catch(() => {});

// Berth on MariaDB/MySQL (BERTH_BENCH_MYSQL, the server's root URL), and a reference on the same
// server at REF_MYSQL_URL (for example under gunicorn with 2 workers).
if (TARGETS.has("mysql")) {
  const mysql = await import("mysql2/promise");
  const admin = new URL(MYSQL_ADMIN);
  const name = `berth_bench_${Date.now()}`;
  let c: Awaited<ReturnType<typeof mysql.createConnection>> | undefined;
  try {
    c = await mysql.createConnection({ host: admin.hostname, port: Number(admin.port || 3306), user: decodeURIComponent(admin.username) || "root", password: decodeURIComponent(admin.password) });
    await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  } catch (e) {
    console.log(`berth mysql: skipped (${(e as Error).message})`);
    c = undefined;
  }
  if (c) {
    const u = new URL(MYSQL_ADMIN);
    u.pathname = `/${name}`;
    const target = await startBerth("berth mysql", u.toString(), async () => {
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
    });
    await run(target);
    await target.stop();
    await c.end();
  }
}
const REF_MYSQL = process.env.REF_MYSQL_URL;
if (TARGETS.has("refmysql") && REF_MYSQL && (await up(REF_MYSQL))) await run({ name: "reference (mysql)", base: REF_MYSQL, stop: async () => {} });

if (!TARGETS.has("ref")) {
  // not asked for
} else if (await up(REF)) await run({ name: "reference (its sqlite, as deployed)", base: REF, stop: async () => {} });
else console.log(`reference: not reachable at ${REF}`);
// A reference on PostgreSQL (for example under gunicorn with 2 workers), for the same-database comparison.
const REF_PG = process.env.REF_PG_URL;
if (TARGETS.has("refpg") && REF_PG && (await up(REF_PG))) await run({ name: "reference (postgresql)", base: REF_PG, stop: async () => {} });
