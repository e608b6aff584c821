// What keystone auth costs per request, in process on SQLite: GET /resource_providers (empty) with
// noauth2, with a cached Keystone token, and with token_cache_time = -1 (a question to Keystone
// every request). Starts a real Keystone like the tests (test/helpers/keystone.ts).
import pino from "pino";
import { testConfig } from "../src/config.js";
import { openStore } from "../src/db/open.js";
import { syncSchema, syncStandardNames } from "../src/db/sync.js";
import { createApp } from "../src/app.js";
import { KeystoneAuth } from "../src/http/keystone.js";
import { startKeystone } from "../test/helpers/keystone.js";
import { at } from "@berth/client/common";

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const started = await startKeystone();
if (typeof started === "string") {
  console.log(`no Keystone: ${started}`);
  process.exit(0);
}
const ks = started;
try {
  const token = await ks.token("alice", { project: "alpha" });
  async function server(strategy: "noauth2" | "keystone", cacheTime = "300") {
    const config = testConfig({ api: { auth_strategy: strategy }, keystone_authtoken: { ...ks.authtoken, token_cache_time: cacheTime } });
    const store = openStore(config.database.connection);
    await syncSchema(store);
    await syncStandardNames(store);
    const auth = new KeystoneAuth({ config: config.keystone, logger: pino({ level: "silent" }), clock: () => new Date() });
    const app = createApp({ store, config, ...(strategy === "keystone" ? { authenticate: (req: Request) => auth.authenticate(req) } : {}) });
    return { app, close: async () => (auth.close(), await store.close()) };
  }
  async function time(label: string, app: Awaited<ReturnType<typeof server>>["app"], tok: string, n: number) {
    const one = async () => {
      const r = await app.request("/resource_providers", { headers: { "x-auth-token": tok } });
      if (r.status !== 200) throw new Error(`${label}: ${r.status}`);
      await r.arrayBuffer();
    };
    const first = performance.now();
    await one();
    const firstMs = performance.now() - first;
    for (let i = 0; i < Math.min(200, n); i++) await one(); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await one();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const p = (q: number) => at(ms, Math.floor(q * (ms.length - 1))).toFixed(3);
    console.log(`${label.padEnd(38)} first ${firstMs.toFixed(1).padStart(7)} ms   p50 ${p(0.5)} ms   p95 ${p(0.95)} ms   (${n} requests)`);
  }
  const noauth = await server("noauth2");
  await time("noauth2", noauth.app, "admin", N);
  const cached = await server("keystone");
  await time("keystone, cached (token_cache_time 300)", cached.app, token, N);
  const uncached = await server("keystone", "-1");
  await time("keystone, uncached (token_cache_time -1)", uncached.app, token, Math.min(N, 200));
  for (const s of [noauth, cached, uncached]) await s.close();
} finally {
  await ks.stop();
}
