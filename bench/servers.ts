// Servers and a client for the benchmarks that put Berth and the reference side by side on the
// same database kind: `berth serve` (from dist/), the reference under gunicorn, a keep-alive
// node:http client and a closed-loop driver.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { at } from "@berth/client/common";

export interface Server {
  name: string;
  base: string;
  /** The server's process and its children (workers): for their CPU time. */
  pids(): number[];
  stop(): Promise<void>;
  /** Berth's Prometheus metrics listener, when it has one. */
  metrics?: string;
}

/** The sum of the samples of `name` (any labels) in a Prometheus scrape of the server, or NaN. */
export async function metric(server: Server, name: string): Promise<number> {
  if (!server.metrics) return NaN;
  const r = await request(server.metrics, "GET", "/metrics", { read: true });
  if (r.status !== 200) return NaN;
  let sum = 0;
  for (const line of r.body!.split("\n")) if (line.startsWith(name + " ") || line.startsWith(name + "{")) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitUp(child: ChildProcess, what: string, base: string, log?: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})${log ? `; see ${log}` : ""}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(`${base}/`, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.on("timeout", () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`${what} did not come up at ${base}`);
}

function childrenOf(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...kids.flatMap(childrenOf)];
  } catch {
    return [pid];
  }
}

function stopper(child: ChildProcess, after: () => Promise<void> = async () => {}): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await after();
  };
}

/** CPU time (ms) the processes have used so far, from /proc (10 ms ticks). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = at(readFileSync(`/proc/${pid}/stat`, "utf8").split(") "), 1).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return ticks * 10;
}

/** `berth serve` from dist/ on `connection`; `dist/` must be built (see buildDist). */
export async function startBerth(connection: string, opts: { workers?: number; nodeArgs?: string[]; name?: string } = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const conf = join(dir, "placement.conf");
  writeFileSync(conf, `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\nsync_on_startup = True\n`);
  const port = await freePort();
  const metricsPort = await freePort();
  const args = [
    ...(opts.nodeArgs ?? []),
    "bin/berth.js",
    "serve",
    "--config-file",
    conf,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--workers",
    String(opts.workers ?? 1),
    "--metrics-port",
    String(metricsPort),
  ];
  const log = join(dir, "berth.log");
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, { stdio: ["ignore", fd, fd] });
  const base = `http://127.0.0.1:${port}`;
  await waitUp(child, "berth serve", base, log);
  return {
    name: opts.name ?? `Berth --workers ${opts.workers ?? 1}`,
    base,
    pids: () => childrenOf(child.pid!),
    stop: stopper(child),
    metrics: `http://127.0.0.1:${metricsPort}`,
  };
}

/** Makes (or upgrades) the schema with the reference's `placement-manage db sync`; its config directory. */
export function referenceSchema(connection: string): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-ref-"));
  writeFileSync(join(dir, "placement.conf"), `[api]\nauth_strategy = noauth2\n[placement_database]\nconnection = ${connection}\n`);
  const synced = spawnSync("placement-manage", ["--config-file", join(dir, "placement.conf"), "db", "sync"], { stdio: "ignore" });
  if (synced.status !== 0) throw new Error(`placement-manage db sync failed (${synced.status})`);
  return dir;
}

/**
 * The reference (Placement 8.0.0) under gunicorn with `workers` sync workers on `connection` (an
 * SQLAlchemy URL); the schema is made first with `placement-manage db sync`, so the workers do
 * not race to make it.
 */
export async function startReference(connection: string, workers = 2): Promise<Server> {
  const dir = referenceSchema(connection);
  const port = await freePort();
  const log = join(dir, "gunicorn.log");
  const fd = openSync(log, "a");
  // NOTE: /usr/bin/python3 (Debian's, where python3-placement and python3-gunicorn live), not a
  // python3 that happens to come first on PATH.
  const child = spawn(
    "/usr/bin/python3",
    ["-m", "gunicorn", "-w", String(workers), "-b", `127.0.0.1:${port}`, "--timeout", "300", "placement.wsgi:init_application()"],
    {
      env: { ...process.env, OS_PLACEMENT_CONFIG_DIR: dir },
      stdio: ["ignore", fd, fd],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUp(child, "the reference (gunicorn)", base, log);
  return { name: `reference (gunicorn -w ${workers})`, base, pids: () => childrenOf(child.pid!), stop: stopper(child) };
}

/** Builds dist/ for `berth serve` unless BENCH_NO_BUILD is set. */
export function buildDist(): void {
  if (process.env.BENCH_NO_BUILD) return;
  const built = spawnSync("npx", ["tsc", "-b", "tsconfig.build.json"], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("the build failed: fix the type errors above, then run again");
}

// NOTE: node:http with keep-alive, not fetch: the load generator shares the machine's cores with
// the servers under test, and fetch costs several times more CPU per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Answer {
  status: number;
  /** The body as text, when asked for. */
  body?: string;
}

/** One request; a refused or reset connection answers status 0. */
export function request(
  base: string,
  method: string,
  path: string,
  opts: { version?: string; body?: unknown; read?: boolean; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": `placement ${opts.version ?? "1.39"}` };
  const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (data !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(data));
  }
  return new Promise((resolve) => {
    const req = http.request(base + path, { method, headers, agent, timeout: opts.timeoutMs ?? 120_000 }, (res) => {
      const parts: Buffer[] = [];
      if (opts.read) res.on("data", (d: Buffer) => parts.push(d));
      else res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: opts.read ? Buffer.concat(parts).toString("utf8") : undefined }));
      res.on("error", () => resolve({ status: 0 }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", () => resolve({ status: 0 }));
    req.end(data);
  });
}

export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export interface LoopResult {
  clients: number;
  requests: number;
  /** Answers that were not the expected status, by status (0: no answer). */
  errors: Map<number, number>;
  p50: number;
  p95: number;
  perSecond: number;
  /** Server CPU (all its processes) per request, ms. */
  cpuPerRequest: number;
}

/**
 * `clients` concurrent loops of `once` for `seconds`; `once` answers the status it got and
 * whether that was the expected one.
 */
export async function closedLoop(server: Server, clients: number, seconds: number, once: () => Promise<{ status: number; ok: boolean }>): Promise<LoopResult> {
  const latencies: number[] = [];
  const errors = new Map<number, number>();
  const pids = server.pids();
  const cpu0 = cpuMs(pids);
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await once();
        latencies.push(performance.now() - t0);
        if (!r.ok) errors.set(r.status, (errors.get(r.status) ?? 0) + 1);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(pids) - cpu0;
  latencies.sort((a, b) => a - b);
  return {
    clients,
    requests: latencies.length,
    errors,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    perSecond: latencies.length / elapsed,
    cpuPerRequest: cpu / Math.max(1, latencies.length),
  };
}

/** wrk (Debian's `wrk`), if installed: a load generator in C, far lighter on the CPU than node:http. */
export function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
}

/**
 * The same closed loop as closedLoop, by wrk: `clients` connections, each sending the next GET
 * when the last was answered, for `seconds`. NOTE: on the 2-core VM a node:http client of ten
 * loops spent about as much CPU as the server it measured (54% of a core against Berth's 62%),
 * leaving the servers less of the machine; wrk spends a fraction of that. Expected: 200.
 */
export async function wrkLoop(
  server: Server,
  clients: number,
  seconds: number,
  path: string,
  opts: { version?: string /** Lua defining request() (wrk's per-request hook), e.g. a new consumer per claim. */; lua?: string } = {},
): Promise<LoopResult> {
  const dir = mkdtempSync(join(tmpdir(), "berth-wrk-"));
  const script = join(dir, "report.lua");
  // Latencies in microseconds; the summary as one JSON line on stderr.
  writeFileSync(
    script,
    `wrk.headers["x-auth-token"] = "admin"
wrk.headers["openstack-api-version"] = "placement ${opts.version ?? "1.39"}"
${opts.lua ?? ""}
done = function(summary, latency, requests)
  local e = summary.errors
  io.stderr:write(string.format('{"requests":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p95":%d}\\n',
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(95)))
end
`,
  );
  const pids = server.pids();
  const cpu0 = cpuMs(pids);
  const started = performance.now();
  const child = spawn("wrk", ["-t", "2", "-c", String(clients), "-d", `${seconds}s`, "--timeout", "30s", "-s", script, server.base + path], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise((r) => child.on("close", r));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(pids) - cpu0;
  const line = err.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`wrk gave no summary: ${err.slice(0, 500)}`);
  const w = JSON.parse(line) as { requests: number; non2xx: number; connect: number; read: number; write: number; timeout: number; p50: number; p95: number };
  const errors = new Map<number, number>();
  if (w.non2xx) errors.set(-1, w.non2xx);
  const failed = w.connect + w.read + w.write + w.timeout;
  if (failed) errors.set(0, failed);
  return {
    clients,
    requests: w.requests,
    errors,
    p50: w.p50 / 1000,
    p95: w.p95 / 1000,
    perSecond: w.requests / elapsed,
    cpuPerRequest: cpu / Math.max(1, w.requests),
  };
}

export function errorText(errors: Map<number, number>): string {
  if (errors.size === 0) return "0";
  return [...errors].map(([s, n]) => `${n} x ${s === -1 ? "not 2xx" : s || "no answer"}`).join(", ");
}
