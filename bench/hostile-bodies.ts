// The worst bodies that fit under [api] max_request_body_size: how long one takes to be answered,
// in process (app.request, SQLite in memory), so no single request can hold the event loop for long.
// Run: `npx vite-node bench/hostile-bodies.ts` (BENCH_BODY_MB to change the size, default: the limit).
import { prepare } from "../src/server.js";
import { testConfig } from "../src/config.js";

const { app, store } = await prepare(testConfig());
const limit = testConfig().api.maxRequestBodySize;
const size = process.env.BENCH_BODY_MB ? Number(process.env.BENCH_BODY_MB) * 1024 * 1024 : limit;
const fill = (unit: string, prefix: string, suffix: string) => prefix + unit.repeat(Math.floor((size - prefix.length - suffix.length) / unit.length)) + suffix;
const nest = "[".repeat(100) + "]".repeat(100);
const nest95 = "[".repeat(95) + "]".repeat(95);

const cases: [string, string, string][] = [
  ["POST", "/resource_providers", fill("0,", '{"name": "x", "junk": [', "0]}")],
  ["POST", "/resource_providers", fill("0,", "[", "0,]")],
  ["POST", "/resource_providers", fill("0,", '{"name": [', "0]}")],
  ["POST", "/resource_providers", fill("a", '{"name": "', '"}')],
  ["POST", "/resource_providers", fill('"a",', '{"name": "x", "junk": [', '"a"]}')],
  ["POST", "/resource_providers", fill(`${nest},`, '{"name": "x", "junk": [', "0]}")],
  ["POST", "/resource_providers", fill(`${nest},`, '{"name": [', "0]}")],
  ["POST", "/resource_providers", fill("\\u0041", '{"name": "', '"')],
  ["POST", "/resource_providers", fill(`${nest95},`, '{"name": "x", "junk": [', "0]}")],
  ["POST", "/resource_providers", fill(`${nest95},`, '{"name": [', "0]}")],
  ["POST", "/resource_providers", fill(`{"${"k".repeat(20)}": 1},`, '{"name": [', "0]}")],
  ["PUT", "/traits/CUSTOM_X", ""],
  ["PUT", "/resource_providers/7b8a6d2a-6f0c-4c8b-9c43-2b1f1d6b8f3e/traits", fill("1,", '{"resource_provider_generation": 0, "traits": [', "1]}")],
  ["PUT", "/resource_providers/7b8a6d2a-6f0c-4c8b-9c43-2b1f1d6b8f3e/aggregates", fill("1,", '{"resource_provider_generation": 0, "aggregates": [', "1]}")],
  ["PUT", "/resource_providers/7b8a6d2a-6f0c-4c8b-9c43-2b1f1d6b8f3e/aggregates", aggregates()],
  ["POST", "/allocations", fill('"c": {"allocations": 1},', "{", '"d": {}}')],
  ["POST", "/allocations", fill("0,", '{"x": {"allocations": {}, "junk": [', "0]}}")],
  [
    "PUT",
    "/resource_providers/7b8a6d2a-6f0c-4c8b-9c43-2b1f1d6b8f3e/inventories",
    fill("0,", '{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": [', "0]}}}"),
  ],
  ["POST", "/reshaper", fill("0,", '{"inventories": {}, "allocations": {}, "junk": [', "0]}")],
];

/** Distinct uuids, then one that is not: ajv stops at it, the explanation checks uniqueness of all. */
function aggregates(): string {
  const ids: string[] = [];
  for (let i = 0; ids.length * 40 < size - 200; i++) ids.push(`"${i.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000"`);
  return `{"resource_provider_generation": 0, "aggregates": [${ids.join(",")},"x"]}`;
}

console.log(`body size ${(size / 1024 / 1024).toFixed(1)} MiB (limit ${limit}); node ${process.version}`);
for (const [method, path, body] of cases) {
  const t0 = performance.now();
  const res = await app.request(path, {
    method,
    body,
    headers: { "content-type": "application/json", "x-auth-token": "admin", "openstack-api-version": "placement latest" },
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  const heap = process.memoryUsage().heapUsed / 1024 / 1024;
  console.log(
    `${ms.toFixed(0).padStart(6)} ms  ${String(res.status)}  detail ${String(text.length).padStart(9)} chars  heap ${heap.toFixed(0)} MiB  ${method} ${path} ${JSON.stringify(body.slice(0, 40))}...`,
  );
}
await store.close();
