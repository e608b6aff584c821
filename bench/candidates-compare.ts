// Sends the same GET /allocation_candidates to the reference and to Berth over one shared SQLite
// file and prints every difference (answers compared as multisets, order aside).
// Run: start a private reference (OS_PLACEMENT_CONFIG_DIR=/tmp/cand-ref placement-api --port 8001),
// then `npx vite-node bench/candidates-compare.ts`.
import { testConfig } from "../src/config.js";
import { prepare } from "../src/server.js";
import { seedProviders, type ProviderSpec } from "../test/helpers/seed-candidates.js";
import { SCENARIOS } from "../test/fixtures/candidates/scenarios.js";
import { errorView, normalize, subst } from "../test/fixtures/candidates/normalize.js";

const REF = process.env.REF_URL ?? "http://localhost:8001";
const FILE = process.env.REF_DB ?? "/tmp/cand-ref/db.sqlite";

const config = testConfig({ placement_database: { connection: `sqlite:///${FILE}`, sync_on_startup: "true" } });
const { app, store } = await prepare(config);

async function reset(): Promise<void> {
  const db = store.db;
  for (const t of ["allocations", "inventories", "resource_provider_traits", "resource_provider_aggregates", "placement_aggregates"] as const) {
    await db.deleteFrom(t).execute();
  }
  await db.updateTable("resource_providers").set({ parent_provider_id: null, root_provider_id: null }).execute();
  await db.deleteFrom("resource_providers").execute();
}

async function ask(version: string, query: string) {
  const headers = { "x-auth-token": "admin", "openstack-api-version": `placement ${version}` };
  const path = `/allocation_candidates?${query}`;
  const t0 = performance.now();
  const r = await fetch(REF + path, { headers });
  const refMs = performance.now() - t0;
  const ref = { status: r.status, body: await r.json().catch(() => undefined) };
  const t1 = performance.now();
  const o = await app.request(path, { headers });
  const oursMs = performance.now() - t1;
  const ours = { status: o.status, body: await o.json().catch(() => undefined) };
  return { ref, ours, refMs, oursMs };
}

const only = process.argv[2];
const record: Record<string, unknown> = {};
let failures = 0;
let total = 0;
for (const sc of SCENARIOS) {
  if (only && !sc.name.includes(only)) continue;
  await reset();
  const seeded = await seedProviders(store.db, sc.providers as ProviderSpec[]);
  for (const [version, raw, limitOnly] of sc.queries) {
    total++;
    const q = subst(raw, seeded);
    const { ref, ours, refMs, oursMs } = await ask(version, q);
    let a: unknown, b: unknown;
    if (ref.status !== 200 || ours.status !== 200) {
      a = { s: ref.status, e: errorView(ref.body) };
      b = { s: ours.status, e: errorView(ours.body) };
    } else if (limitOnly) {
      // With a limit, ours must be a subset of the unlimited answer of the same size.
      const full = await ask(version, q.replace(/&?limit=\d+/, ""));
      const all = new Set((normalize(full.ref.body, seeded) as any).reqs);
      const mine = (normalize(ours.body, seeded) as any).reqs as string[];
      a = { n: ref.body.allocation_requests.length };
      b = { n: mine.length, outside: mine.filter((x) => !all.has(x)) };
      (b as any).outside.length === 0 ? ((b as any).outside = undefined) : 0;
    } else {
      a = normalize(ref.body, seeded);
      b = normalize(ours.body, seeded);
    }
    const same = JSON.stringify(a) === JSON.stringify(b);
    if (!limitOnly) record[`${sc.name} @${version} ${raw}`] = a;
    if (!same) {
      failures++;
      console.log(`DIFF ${sc.name} @${version} ${raw}\n  ref:  ${JSON.stringify(a).slice(0, 1500)}\n  ours: ${JSON.stringify(b).slice(0, 1500)}`);
    } else if (process.env.VERBOSE) {
      console.log(`ok   ${sc.name} @${version} ${raw} (${ref.status}, ref ${refMs.toFixed(1)} ms, ours ${oursMs.toFixed(1)} ms)`);
    }
  }
}
console.log(`${total - failures}/${total} queries agree`);
if (process.env.RECORD) (await import("node:fs")).writeFileSync(process.env.RECORD, JSON.stringify(record, null, 1) + "\n");
await store.close();
process.exit(failures ? 1 : 0);
