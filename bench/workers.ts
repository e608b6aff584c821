// `berth serve --workers N` on reads: GET /allocation_candidates over HTTP against one SQLite file
// (WAL) holding BENCH_PROVIDERS providers, for each N in BENCH_WORKERS, with BENCH_CLIENTS concurrent
// keep-alive clients for BENCH_SECONDS. Claims with workers: `BENCH_WORKERS=2 npx vite-node bench/claims.ts`.
// Run: `npx vite-node bench/workers.ts` (builds dist/ first with `npx tsc -b tsconfig.build.json`).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { at } from "@berth/client/common";

const WORKERS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 500);
const PATH = "/allocation_candidates?resources=VCPU:1,MEMORY_MB:512&limit=100";

execFileSync("npx", ["tsc", "-b", "tsconfig.build.json"], { stdio: "ignore" });
const dir = mkdtempSync(join(tmpdir(), "berth-bench-workers-"));
const conf = join(dir, "placement.conf");
writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = sqlite:///${join(dir, "p.sqlite")}\nsync_on_startup = True\n`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function call(port: number, method: string, path: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };
  const data = body === undefined ? undefined : JSON.stringify(body);
  if (data !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": String(Buffer.byteLength(data)) });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(data);
  });
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

async function start(workers: number): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["bin/berth.js", "serve", "--config-file", conf, "--host", "127.0.0.1", "--port", String(port), "--workers", String(workers)],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 300; i++) {
    if ((await call(port, "GET", "/").catch(() => 0)) === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // NOTE: the first answer comes from one worker; give the others time to listen too.
  await new Promise((r) => setTimeout(r, 1000));
  return { port, stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGTERM"))) };
}

const seeding = await start(1);
for (let i = 0; i < PROVIDERS; i++) {
  const rp = crypto.randomUUID();
  await call(seeding.port, "POST", "/resource_providers", { name: `bench-${rp}`, uuid: rp });
  await call(seeding.port, "PUT", `/resource_providers/${rp}/inventories`, {
    resource_provider_generation: 0,
    inventories: { VCPU: { total: 64 }, MEMORY_MB: { total: 262144 } },
  });
}
await seeding.stop();

console.log(`GET ${PATH}: ${PROVIDERS} providers, SQLite file, ${CLIENTS} clients, ${SECONDS} s per run`);
for (const workers of WORKERS) {
  const server = await start(workers);
  const latencies: number[] = [];
  let errors = 0;
  const one = async () => {
    const t0 = performance.now();
    const s = await call(server.port, "GET", PATH).catch(() => 0);
    return { ms: performance.now() - t0, ok: s === 200 };
  };
  for (let i = 0; i < 200; i++) await Promise.all(Array.from({ length: CLIENTS }, one));
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const r = await one();
        latencies.push(r.ms);
        if (!r.ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => at(latencies, Math.min(latencies.length - 1, Math.floor(q * latencies.length))).toFixed(2);
  console.log(
    `--workers ${workers}  ${latencies.length} requests  ${errors} errors  p50 ${p(0.5)} ms  p95 ${p(0.95)} ms  ${(latencies.length / elapsed).toFixed(0)} requests/s`,
  );
  await server.stop();
}
