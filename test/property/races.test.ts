// Races: 16 clients released together on requests that want the same new rows (aggregates, traits,
// resource classes, projects, users, consumer types, consumers, provider names) or the same
// generation. No answer is a 5xx, every loser gets the reference's status, and the end state is
// exact. On SQLite the requests still interleave between statements of the one connection.
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, type Reply } from "../helpers/api.js";
import { at } from "@berth/client/common";

const CLIENTS = 16;

/** Starts every request in the same turn of the event loop and waits for all. */
function together<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

function statuses(replies: readonly Reply[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

function noServerErrors(replies: readonly Reply[]): void {
  const bad = replies.filter((r) => r.status >= 500);
  expect(bad.map((r) => `${r.status} ${r.text}`)).toEqual([]);
}

describeEachDb("racing writers", (dialect) => {
  const api = useApi(dialect);

  async function providers(n: number, prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const uuid = randomUUID();
      const r = await api().post("/resource_providers", { name: `${prefix}-${i}-${uuid}`, uuid }, { version: "1.20" });
      expect(r.status).toBe(200);
      out.push(uuid);
    }
    return out;
  }

  async function withInventory(uuid: string, total: number): Promise<void> {
    const g = (await api().get(`/resource_providers/${uuid}`)).body.generation;
    const r = await api().put(`/resource_providers/${uuid}/inventories`, { resource_provider_generation: g, inventories: { VCPU: { total } } });
    expect(r.status).toBe(200);
  }

  it("creates each new aggregate once when providers join it at the same moment", async () => {
    const rps = await providers(CLIENTS, "agg");
    const aggs = [randomUUID(), randomUUID(), randomUUID()];
    const replies = await together(CLIENTS, (i) =>
      api().put(`/resource_providers/${rps[i]}/aggregates`, { aggregates: aggs, resource_provider_generation: 0 }, { version: "1.19" }),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 200: CLIENTS });
    for (const rp of rps)
      expect(new Set((await api().get(`/resource_providers/${rp}/aggregates`, { version: "1.19" })).body.aggregates)).toEqual(new Set(aggs));
    const rows = await api().store.db.selectFrom("placement_aggregates").select("uuid").where("uuid", "in", aggs).execute();
    expect(rows.length).toBe(aggs.length);
  });

  it("creates new aggregates given in opposite orders without a deadlock", async () => {
    const rps = await providers(CLIENTS, "agg-order");
    const aggs = [randomUUID(), randomUUID(), randomUUID()];
    const reasons: string[] = [];
    const store = api().store;
    const before = store.onRetry;
    store.onRetry = (reason) => {
      reasons.push(reason);
      before?.(reason);
    };
    try {
      const replies = await together(CLIENTS, (i) =>
        api().put(
          `/resource_providers/${rps[i]}/aggregates`,
          { aggregates: i % 2 ? [...aggs].reverse() : aggs, resource_provider_generation: 0 },
          { version: "1.19" },
        ),
      );
      noServerErrors(replies);
      expect(statuses(replies)).toEqual({ 200: CLIENTS });
    } finally {
      store.onRetry = before;
    }
    // NOTE: a deadlock costs PostgreSQL a second (deadlock_timeout) before it picks a loser.
    expect(reasons.filter((r) => r === "deadlock")).toEqual([]);
    const rows = await store.db.selectFrom("placement_aggregates").select("uuid").where("uuid", "in", aggs).execute();
    expect(rows.length).toBe(aggs.length);
  });

  it("answers one aggregate update per generation and 409 to the others", async () => {
    const [rp] = await providers(1, "agg-gen");
    const replies = await together(CLIENTS, () =>
      api().put(`/resource_providers/${rp}/aggregates`, { aggregates: [randomUUID()], resource_provider_generation: 0 }, { version: "1.23" }),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 200: 1, 409: CLIENTS - 1 });
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.errors[0].code).toBe("placement.concurrent_update");
    const after = await api().get(`/resource_providers/${rp}/aggregates`, { version: "1.19" });
    expect(after.body.resource_provider_generation).toBe(1);
    expect(after.body.aggregates).toEqual(replies.find((r) => r.status === 200)!.body.aggregates);
  });

  it("creates a custom trait once: one 201, the others 204", async () => {
    const name = `CUSTOM_RACE_${randomUUID().replace(/-/g, "").toUpperCase()}`;
    const replies = await together(CLIENTS, () => api().put(`/traits/${name}`, undefined, { version: "1.6" }));
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 201: 1, 204: CLIENTS - 1 });
    expect((await api().get(`/traits/${name}`, { version: "1.6" })).status).toBe(204);
  });

  it("gives one provider its traits per generation, 409 to the others (also to those asking for the winner's set)", async () => {
    const [rp] = await providers(1, "traits");
    const replies = await together(CLIENTS, (i) =>
      api().put(
        `/resource_providers/${rp}/traits`,
        { traits: [i % 4 ? "HW_CPU_X86_AVX" : "HW_CPU_X86_SSE"], resource_provider_generation: 0 },
        { version: "1.6" },
      ),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 200: 1, 409: CLIENTS - 1 });
    const after = (await api().get(`/resource_providers/${rp}/traits`, { version: "1.6" })).body;
    expect(after.resource_provider_generation).toBe(1);
    // The provider has the winner's set, and only it.
    expect(after.traits).toEqual(replies.find((r) => r.status === 200)!.body.traits);
    expect(after.traits).toHaveLength(1);
  });

  it("creates a resource class once: POST gives one 201 and 409s, PUT one 201 and 204s", async () => {
    const name = `CUSTOM_RC_${randomUUID().replace(/-/g, "").toUpperCase()}`;
    const posts = await together(CLIENTS, () => api().post("/resource_classes", { name }, { version: "1.2" }));
    noServerErrors(posts);
    expect(statuses(posts)).toEqual({ 201: 1, 409: CLIENTS - 1 });
    const other = `${name}_PUT`;
    const puts = await together(CLIENTS, () => api().put(`/resource_classes/${other}`, undefined, { version: "1.7" }));
    noServerErrors(puts);
    expect(statuses(puts)).toEqual({ 201: 1, 204: CLIENTS - 1 });
  });

  it("creates many different resource classes at once, each with its own id", async () => {
    const base = `CUSTOM_MANY_${randomUUID().replace(/-/g, "").slice(0, 8).toUpperCase()}`;
    const replies = await together(CLIENTS, (i) => api().post("/resource_classes", { name: `${base}_${i}` }, { version: "1.2" }));
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 201: CLIENTS });
    const rows = await api().store.db.selectFrom("resource_classes").select(["id", "name"]).where("name", "like", `${base}_%`).execute();
    expect(rows.length).toBe(CLIENTS);
    expect(new Set(rows.map((r) => r.id)).size).toBe(CLIENTS);
  });

  it("creates one provider per name: the others get 409", async () => {
    const name = `same-name-${randomUUID()}`;
    const replies = await together(CLIENTS, () => api().post("/resource_providers", { name }, { version: "1.23" }));
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 200: 1, 409: CLIENTS - 1 });
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.errors[0].code).toBe("placement.duplicate_name");
    const listed = await api().get(`/resource_providers?name=${encodeURIComponent(name)}`);
    expect(listed.body.resource_providers.length).toBe(1);
  });

  it("creates each new project, user and consumer type once when claims name them together", async () => {
    const rps = await providers(CLIENTS, "ident");
    for (const rp of rps) await withInventory(rp, 4);
    const project = randomUUID();
    const user = randomUUID();
    const type = `RACE_${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
    const replies = await together(CLIENTS, (i) =>
      api().put(
        `/allocations/${randomUUID()}`,
        { allocations: { [at(rps, i)]: { resources: { VCPU: 1 } } }, project_id: project, user_id: user, consumer_generation: null, consumer_type: type },
        { version: "1.38" },
      ),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 204: CLIENTS });
    const db = api().store.db;
    expect((await db.selectFrom("projects").select("id").where("external_id", "=", project).execute()).length).toBe(1);
    expect((await db.selectFrom("users").select("id").where("external_id", "=", user).execute()).length).toBe(1);
    expect((await db.selectFrom("consumer_types").select("id").where("name", "=", type).execute()).length).toBe(1);
  });

  it("creates a new consumer once: one 204, the others 409 concurrent_update", async () => {
    const [rp] = await providers(1, "consumer");
    await withInventory(rp!, 64);
    const consumer = randomUUID();
    const replies = await together(CLIENTS, () =>
      api().put(
        `/allocations/${consumer}`,
        { allocations: { [rp!]: { resources: { VCPU: 1 } } }, project_id: "p", user_id: "u", consumer_generation: null },
        { version: "1.28" },
      ),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 204: 1, 409: CLIENTS - 1 });
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.errors[0].code).toBe("placement.concurrent_update");
    const usage = await api().get(`/resource_providers/${rp}/usages`);
    expect(usage.body.usages.VCPU).toBe(1);
  });

  it("never claims beyond capacity: usage is the sum of the claims that answered 204", async () => {
    const [rp] = await providers(1, "capacity");
    await withInventory(rp!, 10);
    const replies = await together(CLIENTS, () =>
      api().put(
        `/allocations/${randomUUID()}`,
        { allocations: { [rp!]: { resources: { VCPU: 1 } } }, project_id: "p", user_id: "u", consumer_generation: null },
        { version: "1.28" },
      ),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 204: 10, 409: CLIENTS - 10 });
    expect((await api().get(`/resource_providers/${rp}/usages`)).body.usages.VCPU).toBe(10);
  });

  it("claims across providers in opposite orders without a 5xx (deadlocks are retried)", async () => {
    const rps = await providers(4, "deadlock");
    for (const rp of rps) await withInventory(rp, 1000);
    const replies = await together(CLIENTS, (i) => {
      const order = i % 2 ? [...rps] : [...rps].reverse();
      const allocations = Object.fromEntries(order.map((rp) => [rp, { resources: { VCPU: 1 } }]));
      const consumer = randomUUID();
      return api().post("/allocations", { [consumer]: { allocations, project_id: "p", user_id: "u", consumer_generation: null } }, { version: "1.28" });
    });
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 204: CLIENTS });
    for (const rp of rps) expect((await api().get(`/resource_providers/${rp}/usages`)).body.usages.VCPU).toBe(CLIENTS);
  });

  it("replaces inventories once per generation: one 200, the others 409", async () => {
    const [rp] = await providers(1, "inventory");
    const replies = await together(CLIENTS, (i) =>
      api().put(`/resource_providers/${rp}/inventories`, { resource_provider_generation: 0, inventories: { VCPU: { total: i + 1 } } }),
    );
    noServerErrors(replies);
    expect(statuses(replies)).toEqual({ 200: 1, 409: CLIENTS - 1 });
    const won = replies.find((r) => r.status === 200)!;
    const inv = await api().get(`/resource_providers/${rp}/inventories`);
    expect(inv.body.inventories.VCPU.total).toBe(won.body.inventories.VCPU.total);
    expect(inv.body.resource_provider_generation).toBe(1);
  });
});

describe("races test helpers", () => {
  it("count statuses", () => {
    expect(statuses([{ status: 204 } as Reply, { status: 204 } as Reply, { status: 409 } as Reply])).toEqual({ 204: 2, 409: 1 });
  });
});
