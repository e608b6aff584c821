// What the metrics cost: one request's observation (the work app.ts adds to every request), and one
// scrape of a registry holding every route, method and a few statuses, with process metrics.
// Run: `npx vite-node bench/metrics.ts`. Env: BENCH_N (observations, default 1,000,000).
import { createMetrics } from "../src/http/metrics.js";
import { ROUTES } from "../src/routes.js";
import { at } from "@berth/client/common";

const N = Number(process.env.BENCH_N ?? 1_000_000);
const metrics = createMetrics({ processMetrics: true });
const kinds = ROUTES.flatMap((r) => Object.keys(r.methods).map((method) => ({ route: r.path, method })));
const statuses = [200, 204, 400, 404, 409];

function observe(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const k = at(kinds, i % kinds.length);
    const status = at(statuses, i % statuses.length);
    metrics.observeRequest({ ...k, status, seconds: 0.0015, errorCode: status === 409 ? "placement.concurrent_update" : undefined });
  }
  return performance.now() - t0;
}

observe(Math.min(N, 100_000)); // warm-up
const ms = observe(N);
console.log(
  `observeRequest: ${((ms * 1e6) / N).toFixed(0)} ns per request (${N} requests over ${kinds.length} route/method pairs x ${statuses.length} statuses)`,
);

const scrapes = 50;
await metrics.registry.metrics();
const t0 = performance.now();
let bytes = 0;
for (let i = 0; i < scrapes; i++) bytes = (await metrics.registry.metrics()).length;
console.log(`scrape: ${((performance.now() - t0) / scrapes).toFixed(2)} ms per scrape, ${(bytes / 1024).toFixed(0)} KiB of text`);
process.exit(0);
