// [placement] options that shape GET /allocation_candidates: max_allocation_candidates,
// allocation_candidates_generation_strategy and randomize_allocation_candidates.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, type TestApi } from "../helpers/api.js";
import { seedProviders } from "../helpers/seed-candidates.js";
import { wide } from "../fixtures/candidates/seed.js";

const FOUR = Array.from({ length: 4 }, (_, i) => `resources${i + 1}=VGPU:1`).join("&") + "&group_policy=isolate";

async function hosts(api: TestApi) {
  const a = await seedProviders(api.store.db, wide(6));
  const b = await seedProviders(api.store.db, wide(6));
  return [a.uuid.get("host")!, b.uuid.get("host")!];
}

const rootsOf = (body: any) => new Set(Object.keys(body.provider_summaries).map((u) => body.provider_summaries[u].root_provider_uuid));

describeEachDb("allocation candidates: max_allocation_candidates, depth-first", (dialect) => {
  const api = useApi(dialect, { placement: { max_allocation_candidates: "5" } });
  it("stops generating at the maximum, all from the first tree", async () => {
    await hosts(api());
    const r = await api().get(`/allocation_candidates?${FOUR}`, { version: "1.39" });
    expect(r.status).toBe(200);
    expect(r.body.allocation_requests).toHaveLength(5);
    expect(rootsOf(r.body).size).toBe(1);
    const limited = await api().get(`/allocation_candidates?${FOUR}&limit=2`, { version: "1.39" });
    expect(limited.body.allocation_requests).toHaveLength(2);
  });
});

describeEachDb("allocation candidates: breadth-first", (dialect) => {
  const api = useApi(dialect, { placement: { max_allocation_candidates: "4", allocation_candidates_generation_strategy: "breadth-first" } });
  it("takes candidates from every tree in turn", async () => {
    const [a, b] = await hosts(api());
    const r = await api().get(`/allocation_candidates?${FOUR}`, { version: "1.39" });
    expect(r.body.allocation_requests).toHaveLength(4);
    expect(rootsOf(r.body)).toEqual(new Set([a, b]));
  });
});

describeEachDb("allocation candidates: randomized", (dialect) => {
  const api = useApi(dialect, { placement: { randomize_allocation_candidates: "true" } });
  it("returns a sample of the right size from the full set", async () => {
    await hosts(api());
    const full = await api().get(`/allocation_candidates?${FOUR}`, { version: "1.39" });
    expect(full.body.allocation_requests).toHaveLength(2 * 6 * 5 * 4 * 3);
    const all = new Set(full.body.allocation_requests.map((x: unknown) => JSON.stringify(x)));
    const r = await api().get(`/allocation_candidates?${FOUR}&limit=7`, { version: "1.39" });
    expect(r.body.allocation_requests).toHaveLength(7);
    for (const x of r.body.allocation_requests) expect(all.has(JSON.stringify(x))).toBe(true);
  });
});
