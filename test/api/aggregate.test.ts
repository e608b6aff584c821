// Aggregates of a provider: a plain list from 1.1, with the provider generation from 1.19.
import { beforeAll, expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { lastModified, toSecond, useApi, uuid } from "../helpers/api.js";

const detail = (r: { body: any }) => r.body.errors[0].detail as string;

describeEachDb("aggregates", (dialect) => {
  const api = useApi(dialect);
  let rp: string;
  const path = () => `/resource_providers/${rp}/aggregates`;
  const generation = async () => (await api().get(`/resource_providers/${rp}`)).body.generation as number;

  beforeAll(async () => {
    rp = uuid();
    await api().post("/resource_providers", { name: "agg-holder", uuid: rp });
  });

  it("does not exist before 1.1", async () => {
    expect((await api().get(path(), { version: "1.0" })).status).toBe(404);
  });

  it("lists and replaces a plain list from 1.1 without touching the generation", async () => {
    const empty = await api().get(path(), { version: "1.1" });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ aggregates: [] });
    expect(empty.headers.get("last-modified")).toBeNull();
    const [a, b] = [uuid(), uuid()];
    const put = await api().put(path(), [a, b], { version: "1.1" });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ aggregates: [a, b] });
    expect((await api().get(path(), { version: "1.18" })).body.aggregates.sort()).toEqual([a, b].sort());
    await api().put(path(), [b], { version: "1.1" });
    expect((await api().get(path(), { version: "1.1" })).body).toEqual({ aggregates: [b] });
    expect(await generation()).toBe(0);
  });

  it("sends caching headers from 1.15", async () => {
    const before = toSecond(Date.now());
    const r = await api().get(path(), { version: "1.15" });
    // The reference answers with the time of the request.
    expect(lastModified(r)).toBeGreaterThanOrEqual(before);
    expect(r.headers.get("cache-control")).toBe("no-cache");
  });

  it("takes and returns the generation from 1.19, bumping it on every write", async () => {
    const gen = await generation();
    const got = await api().get(path(), { version: "1.19" });
    expect(got.body.resource_provider_generation).toBe(gen);
    const a = uuid();
    const put = await api().put(path(), { aggregates: [a], resource_provider_generation: gen }, { version: "1.19" });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ aggregates: [a], resource_provider_generation: gen + 1 });
    const same = await api().put(path(), { aggregates: [a], resource_provider_generation: gen + 1 }, { version: "1.19" });
    expect(same.body.resource_provider_generation).toBe(gen + 2);
  });

  it("answers 409 concurrent_update for a stale generation and changes nothing", async () => {
    const gen = await generation();
    const r = await api().put(path(), { aggregates: [], resource_provider_generation: gen - 1 }, { version: "1.23" });
    expect(r.status).toBe(409);
    expect(r.body.errors[0].code).toBe("placement.concurrent_update");
    expect(detail(r)).toContain("Resource provider's generation already changed. Please update the generation and try again.");
    expect((await api().get(path(), { version: "1.19" })).body.aggregates).toHaveLength(1);
    expect(await generation()).toBe(gen);
  });

  it("refuses bodies of the wrong shape for the version", async () => {
    const list = await api().put(path(), [uuid()], { version: "1.19" });
    expect(list.status).toBe(400);
    expect(detail(list)).toContain("is not of type 'object'");
    const obj = await api().put(path(), { aggregates: [], resource_provider_generation: 0 }, { version: "1.18" });
    expect(obj.status).toBe(400);
    expect(detail(obj)).toContain("is not of type 'array'");
    const missing = await api().put(path(), { aggregates: [] }, { version: "1.19" });
    expect(detail(missing)).toContain("'resource_provider_generation' is a required property");
  });

  it("refuses invalid and repeated uuids", async () => {
    const bad = await api().put(path(), ["not-a-uuid"], { version: "1.1" });
    expect(bad.status).toBe(400);
    expect(detail(bad)).toContain("'not-a-uuid' is not a 'uuid'");
    const a = uuid();
    const dup = await api().put(path(), [a, a], { version: "1.1" });
    expect(dup.status).toBe(400);
    expect(detail(dup)).toContain("has non-unique elements");
  });

  it("shares an aggregate between providers", async () => {
    const other = uuid();
    await api().post("/resource_providers", { name: "agg-other", uuid: other });
    const shared = uuid();
    await api().put(path(), [shared], { version: "1.1" });
    await api().put(`/resource_providers/${other}/aggregates`, [shared], { version: "1.1" });
    const r = await api().get(`/resource_providers?member_of=${shared}`, { version: "1.3" });
    expect(r.body.resource_providers.map((p: { uuid: string }) => p.uuid).sort()).toEqual([rp, other].sort());
  });

  it("answers 404 without vary for an unknown provider", async () => {
    const missing = uuid();
    for (const r of [
      await api().get(`/resource_providers/${missing}/aggregates`, { version: "1.1" }),
      await api().put(`/resource_providers/${missing}/aggregates`, [], { version: "1.1" }),
    ]) {
      expect(r.status).toBe(404);
      expect(detail(r)).toContain(`No resource provider with uuid ${missing} found`);
      expect(r.headers.get("vary")).toBeNull();
    }
  });
});
