// GET /allocation_candidates on every database against the reference's recorded answers: each
// scenario (test/fixtures/candidates/scenarios.ts) is seeded, and every query's answer must equal what the
// reference gave for the same data (candidates as multisets, summaries, or status, detail and code).
// The fixtures are written by `RECORD=... npx vite-node bench/candidates-compare.ts`.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { lastModified, toSecond, useApi, type TestApi } from "../helpers/api.js";
import { seedProviders, type Seeded } from "../helpers/seed-candidates.js";
import { SCENARIOS } from "../fixtures/candidates/scenarios.js";
import { errorView, normalize, subst } from "../fixtures/candidates/normalize.js";

const expected: Record<string, unknown> = JSON.parse(readFileSync(new URL("./allocation-candidate.fixtures.json", import.meta.url), "utf8"));

async function reset(api: TestApi): Promise<void> {
  const db = api.store.db;
  for (const t of ["allocations", "inventories", "resource_provider_traits", "resource_provider_aggregates", "placement_aggregates"] as const) {
    await db.deleteFrom(t).execute();
  }
  await db.updateTable("resource_providers").set({ parent_provider_id: null, root_provider_id: null }).execute();
  await db.deleteFrom("resource_providers").execute();
}

async function answer(api: TestApi, version: string, query: string, s: Seeded) {
  const r = await api.get(`/allocation_candidates?${query}`, { version });
  if (r.status !== 200) return { status: r.status, view: { s: r.status, e: errorView(r.body) }, body: r.body };
  return { status: 200, view: normalize(r.body, s), body: r.body };
}

describeEachDb("allocation candidates match the reference", (dialect) => {
  const api = useApi(dialect);

  for (const sc of SCENARIOS) {
    it(`${sc.name}`, async () => {
      await reset(api());
      const seeded = await seedProviders(api().store.db, sc.providers);
      for (const [version, raw, limitOnly] of sc.queries) {
        const label = `${sc.name} @${version} ${raw}`;
        const q = subst(raw, seeded);
        const got = await answer(api(), version, q, seeded);
        if (limitOnly) {
          // A limited answer: the right size, and a subset of the unlimited one.
          const full = await answer(api(), version, q.replace(/&?limit=\d+/, ""), seeded);
          const limit = Number(/limit=(\d+)/.exec(q)![1]);
          const all = new Set((full.view as any).reqs);
          const mine = (got.view as any).reqs as string[];
          expect({ label, n: mine.length }).toEqual({ label, n: Math.min(limit, (full.view as any).reqs.length) });
          expect({ label, outside: mine.filter((x) => !all.has(x)) }).toEqual({ label, outside: [] });
          continue;
        }
        expect({ label, got: got.view }).toEqual({ label, got: expected[label] });
      }
    });
  }

  it("answers with no-cache and last-modified from 1.15", async () => {
    const before = toSecond(Date.now());
    const r = await api().get("/allocation_candidates?resources=VCPU:1", { version: "1.15" });
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-cache");
    // The time of the request, as the reference's.
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    const old = await api().get("/allocation_candidates?resources=VCPU:1", { version: "1.14" });
    expect(old.headers.get("cache-control")).toBeNull();
  });
});
