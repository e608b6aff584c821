// Prometheus metrics after real requests: route templates (never raw paths), claims and candidates
// on their own histograms, generation conflicts, retries, snapshot rebuilds, pool gauges; and one
// registry per app.
import { expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { testConfig } from "../../src/config.js";
import { createMetrics } from "../../src/http/metrics.js";
import { inTransaction } from "../../src/db/tx.js";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid } from "../helpers/api.js";
import type { Registry } from "prom-client";

/** The value of one sample (a counter, a gauge, or a histogram's _count or _sum with name_count, name_sum). */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum)$/, "");
  const metric = registry.getSingleMetric(base);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find(
    (v: { metricName?: string; labels: object }) =>
      (v.metricName ?? base) === name && Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return hit?.value ?? 0;
}

describeEachDb("metrics", (dialect) => {
  const api = useApi(dialect);
  const reg = () => api().metrics.registry;
  const count = (name: string, labels: Record<string, string> = {}) => sample(reg(), name, labels);

  const provider = async () => {
    const r = await api().post("/resource_providers", { name: `m-${uuid()}` }, { version: "1.20" });
    expect(r.status).toBe(200);
    const rp = r.body.uuid as string;
    const inv = await api().put(`/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: 8 } } });
    expect(inv.status).toBe(200);
    return rp;
  };

  it("counts requests by route template, method and status, never by raw path", async () => {
    const route = { route: "/resource_providers/{uuid}/inventories", method: "PUT" };
    const ok0 = await count("berth_http_requests_total", { ...route, status: "200" });
    const stale0 = await count("berth_http_requests_total", { ...route, status: "409" });
    const conflicts0 = await count("berth_generation_conflicts_total", route);
    const rp = await provider();
    const stale = await api().put(
      `/resource_providers/${rp}/inventories`,
      { resource_provider_generation: 0, inventories: { VCPU: { total: 4 } } },
      { version: "1.23" },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0].code).toBe("placement.concurrent_update");
    await api().get(`/no/such/${rp}`);

    expect(await count("berth_http_requests_total", { ...route, status: "200" })).toBe(ok0 + 1);
    expect(await count("berth_http_requests_total", { ...route, status: "409" })).toBe(stale0 + 1);
    expect(await count("berth_generation_conflicts_total", route)).toBe(conflicts0 + 1);
    expect(await count("berth_http_request_duration_seconds_count", route)).toBeGreaterThanOrEqual(2);
    expect(await count("berth_http_requests_total", { route: "other", method: "GET", status: "404" })).toBeGreaterThanOrEqual(1);
    // Refused before its handler runs, a request still counts under its route.
    const unauthorized0 = await count("berth_http_requests_total", { route: "/resource_providers/{uuid}", method: "GET", status: "401" });
    expect((await api().get(`/resource_providers/${rp}`, { token: null })).status).toBe(401);
    expect(await count("berth_http_requests_total", { route: "/resource_providers/{uuid}", method: "GET", status: "401" })).toBe(unauthorized0 + 1);
    const text = await reg().metrics();
    expect(text).toContain("# TYPE berth_http_requests_total counter");
    expect(text).not.toContain(rp);
  });

  it("puts claims and candidate searches on histograms of their own", async () => {
    const rp = await provider();
    const put = { route: "/allocations/{consumer_uuid}", method: "PUT", status: "204" };
    const post = { route: "/allocations", method: "POST", status: "204" };
    const put0 = await count("berth_claim_duration_seconds_count", put);
    const post0 = await count("berth_claim_duration_seconds_count", post);
    const cand0 = await count("berth_allocation_candidates_duration_seconds_count", { status: "200" });
    const bad0 = await count("berth_allocation_candidates_duration_seconds_count", { status: "400" });
    const who = { project_id: "p", user_id: "u" };
    const c = uuid();
    const claim = await api().put(
      `/allocations/${c}`,
      { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: null },
      { version: "1.28" },
    );
    expect(claim.status).toBe(204);
    const many = await api().post(
      "/allocations",
      { [uuid()]: { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who, consumer_generation: null } },
      { version: "1.28" },
    );
    expect(many.status).toBe(204);
    // A claim with a stale consumer generation is a generation conflict too.
    const conflicts0 = await count("berth_generation_conflicts_total", { route: "/allocations/{consumer_uuid}", method: "PUT" });
    const stale = await api().put(
      `/allocations/${c}`,
      { allocations: { [rp]: { resources: { VCPU: 2 } } }, ...who, consumer_generation: null },
      { version: "1.28" },
    );
    expect(stale.status).toBe(409);
    expect(await api().get("/allocation_candidates?resources=VCPU:1", { version: "1.10" })).toMatchObject({ status: 200 });
    expect(await api().get("/allocation_candidates?resources=VCPU:x", { version: "1.10" })).toMatchObject({ status: 400 });

    expect(await count("berth_claim_duration_seconds_count", put)).toBe(put0 + 1);
    expect(await count("berth_claim_duration_seconds_count", post)).toBe(post0 + 1);
    expect(await count("berth_claim_duration_seconds_count", { route: "/allocations/{consumer_uuid}", method: "PUT", status: "409" })).toBeGreaterThanOrEqual(
      1,
    );
    expect(await count("berth_generation_conflicts_total", { route: "/allocations/{consumer_uuid}", method: "PUT" })).toBe(conflicts0 + 1);
    expect(await count("berth_allocation_candidates_duration_seconds_count", { status: "200" })).toBe(cand0 + 1);
    expect(await count("berth_allocation_candidates_duration_seconds_count", { status: "400" })).toBe(bad0 + 1);
    // Reads of a consumer are not claims.
    const claims = await count("berth_claim_duration_seconds_count", put);
    await api().get(`/allocations/${c}`);
    expect(await count("berth_claim_duration_seconds_count", put)).toBe(claims);
  });

  it("counts claims by the batch they were written in, and the checked writes sent", async () => {
    const rp = await provider();
    const paths = ["checked", "transaction", "alone"];
    const claims = async () => {
      let n = 0;
      for (const path of paths) n += await count("berth_claim_batch_claims_sum", { path });
      return n;
    };
    const claims0 = await claims();
    const checked0 = await count("berth_claim_batch_claims_count", { path: "checked" });
    const writes0 = await count("berth_claim_checked_writes_total");
    const who = { project_id: "p", user_id: "u", consumer_generation: null };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => api().put(`/allocations/${uuid()}`, { allocations: { [rp]: { resources: { VCPU: 1 } } }, ...who }, { version: "1.28" })),
    );
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204]);
    expect(await claims()).toBe(claims0 + 4);
    if (dialect === "sqlite") {
      // SQLite has no checked write: every claim goes through a transaction.
      expect(await count("berth_claim_checked_writes_total")).toBe(writes0);
    } else {
      expect(await count("berth_claim_batch_claims_count", { path: "checked" })).toBeGreaterThan(checked0);
      expect(await count("berth_claim_checked_writes_total")).toBeGreaterThan(writes0);
    }
  });

  it("counts the database layer's retries by reason", async () => {
    const before = await count("berth_db_retries_total", { reason: "deadlock" });
    // A real retry: a transaction the database layer runs again after a deadlock, twice.
    let attempt = 0;
    const refused = dialect === "mysql" ? { errno: 1213 } : { code: "40P01" };
    await inTransaction(api().store, async () => {
      if (++attempt <= 2) throw Object.assign(new Error("deadlock"), refused);
    });
    expect(await count("berth_db_retries_total", { reason: "deadlock" })).toBe(before + 2);
  });

  it.runIf(dialect === "sqlite")("times candidate snapshot rebuilds (SQLite)", async () => {
    await provider();
    const before = await count("berth_candidate_snapshot_build_seconds_count");
    // The first search after a write reads the database; a quiet one after it rebuilds.
    for (let i = 0; i < 3; i++) expect((await api().get("/allocation_candidates?resources=VCPU:1", { version: "1.10" })).status).toBe(200);
    expect(await count("berth_candidate_snapshot_build_seconds_count")).toBe(before + 1);
  });

  it("shows how busy the connection pools are where the driver tells (not SQLite)", async () => {
    await Promise.all(Array.from({ length: 4 }, () => api().get("/resource_providers")));
    const gauge = reg().getSingleMetric("berth_db_pool_connections_in_use");
    if (dialect === "sqlite") {
      expect(gauge).toBeUndefined();
      return;
    }
    expect(await count("berth_db_pool_connections", { pool: "main" })).toBeGreaterThanOrEqual(1);
    // Nothing runs now: nothing in use, nobody waiting.
    expect(await count("berth_db_pool_connections_in_use", { pool: "main" })).toBe(0);
    expect(await count("berth_db_pool_waiting", { pool: "main" })).toBe(0);
    expect(await reg().metrics()).toContain('berth_db_pool_waiting{pool="claims"} 0');
  });

  it("belongs to one app: another app on the same database counts only its own requests", async () => {
    const mine = await count("berth_http_requests_total", { route: "/resource_providers", method: "GET", status: "200" });
    const metrics = createMetrics();
    const other = createApp({ store: api().store, config: testConfig(), metrics });
    expect(await sample(metrics.registry, "berth_http_requests_total", { route: "/resource_providers" })).toBe(0);
    const r = await other.request("/resource_providers", { headers: { "x-auth-token": "admin" } });
    expect(r.status).toBe(200);
    expect(await sample(metrics.registry, "berth_http_requests_total", { route: "/resource_providers", method: "GET", status: "200" })).toBe(1);
    expect(await count("berth_http_requests_total", { route: "/resource_providers", method: "GET", status: "200" })).toBe(mine);
    // No process metrics in process: those are `berth serve`'s.
    expect(metrics.registry.getSingleMetric("process_cpu_user_seconds_total")).toBeUndefined();
  });
});
