// The dashboard's server side through the front door: the page and bundles (content types,
// caching, no token needed), and its reads under /ui/api/ (token, policy, error bodies, ETags,
// answers) on every database.
import { beforeAll, expect, it } from "vitest";
import { useApi } from "../helpers/api.js";
import { describeEachDb } from "../helpers/databases.js";
import { seedFleet, type SeededFleet } from "../helpers/seed-fleet.js";
import { at, entry } from "@berth/client/common";

const READER = { "x-auth-token": "bob:proj-a", "x-roles": "reader" };

describeEachDb("dashboard reads", (dialect) => {
  const api = useApi(dialect);
  let fleet: SeededFleet;
  beforeAll(async () => {
    fleet = await seedFleet(api());
  });

  it("serves the page and its bundles without a token, with their types and caching", async () => {
    const page = await api().get("/ui/", { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    const js = at(/src="\.\/(app-[A-Z0-9]{8}\.js)"/.exec(page.text)!, 1);
    const css = at(/href="\.\/(app-[A-Z0-9]{8}\.css)"/.exec(page.text)!, 1);
    const bundle = await api().get(`/ui/${js}`, { token: null });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(bundle.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await api().get(`/ui/${css}`, { token: null })).headers.get("content-type")).toBe("text/css; charset=utf-8");
    const again = await api().get("/ui/", { token: null, headers: { "if-none-match": page.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect((await api().get("/ui", { token: null })).headers.get("location")).toBe("ui/");
    expect((await api().get("/ui/config.json", { token: null })).body).toEqual({ auth_strategy: "noauth2" });
    const missing = await api().get("/ui/nothing.js", { token: null, version: "1.39" });
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].status).toBe(404);
  });

  it("takes a token for its reads, however the path is spelled", async () => {
    expect((await api().get("/ui/api/fleet", { token: null })).status).toBe(401);
    expect((await api().get("/ui/%61pi/fleet", { token: null })).status).toBe(401);
    expect((await api().get("/ui/api/trees", { token: null })).status).toBe(401);
  });

  it("refuses what the caller's role may not read, with Placement's error body", async () => {
    for (const path of [
      "/ui/api/fleet",
      "/ui/api/filters",
      "/ui/api/trees",
      `/ui/api/trees/${fleet.rp["compute-1"]}`,
      "/ui/api/consumers",
      `/ui/api/names?uuid=${fleet.rp["compute-1"]}`,
    ]) {
      const r = await api().get(path, { token: null, headers: READER, version: "1.39" });
      expect(r.status, path).toBe(403);
      expect(r.body.errors[0]).toMatchObject({ status: 403, title: "Forbidden", code: "placement.undefined_code" });
    }
  });

  it("answers bad input with 400 and unknown trees with 404, in the error body", async () => {
    const bad = await api().get("/ui/api/fleet?limit=many", { version: "1.39" });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ status: 400, title: "Bad Request" });
    expect(bad.body.errors[0].request_id).toMatch(/^req-/);
    expect((await api().get("/ui/api/trees?color=red", { version: "1.39" })).status).toBe(400);
    const gone = await api().get(`/ui/api/trees/${crypto.randomUUID()}`, { version: "1.39" });
    expect(gone.status).toBe(404);
    expect(gone.body.errors[0].code).toBe("placement.undefined_code");
  });

  it("sums the fleet per class, ranks providers, and narrows to trees", async () => {
    const all = (await api().get("/ui/api/fleet?limit=2")).body;
    expect(all).toMatchObject({ providers: 11, trees: 3, resource_class: "VCPU" });
    expect(all.classes).toEqual([
      { name: "VCPU", providers: 4, total: 64, reserved: 0, capacity: 64, used: 8 },
      { name: "MEMORY_MB", providers: 2, total: 131072, reserved: 1024, capacity: 130048, used: 8192 },
      { name: "DISK_GB", providers: 1, total: 1000, reserved: 0, capacity: 1000, used: 20 },
      { name: "SRIOV_NET_VF", providers: 2, total: 16, reserved: 0, capacity: 16, used: 0 },
      { name: "VGPU", providers: 2, total: 8, reserved: 0, capacity: 8, used: 1 },
    ]);
    expect(all.fullest.map((p: { name: string }) => p.name)).toEqual(["compute-2-numa1", "compute-1-numa0"]);
    expect(all.emptiest.map((p: { name: string }) => p.name)).toEqual(["compute-1-numa1", "compute-1-numa0"]);
    expect(all.fullest[0]).toMatchObject({ root_name: "compute-2", capacity: 16, used: 4 });
    const agg = (await api().get(`/ui/api/fleet?aggregate=${fleet.aggregate}&resource_class=DISK_GB`)).body;
    expect(agg).toMatchObject({ providers: 6, trees: 2, resource_class: "DISK_GB" });
    expect(agg.fullest.map((p: { name: string }) => p.name)).toEqual(["shared-storage"]);
    const gpu = (await api().get("/ui/api/fleet?trait=CUSTOM_VGPU_TYPE_A")).body;
    expect(gpu).toMatchObject({ providers: 10, trees: 2 });
    const tree = (await api().get(`/ui/api/fleet?tree=${fleet.rp["compute-2-pf0"]}`)).body;
    expect(tree).toMatchObject({ providers: 5, trees: 1 });
    expect(tree.classes.find((c: { name: string }) => c.name === "VCPU").used).toBe(6);
    const choices = (await api().get("/ui/api/filters")).body;
    expect(choices.aggregates).toEqual([{ uuid: fleet.aggregate, providers: 2 }]);
    expect(choices.traits.map((t: { name: string }) => t.name)).toEqual(["CUSTOM_VGPU_TYPE_A", "HW_CPU_X86_AVX2", "MISC_SHARES_VIA_AGGREGATE"]);
  });

  it("revalidates with ETags: an unchanged answer is a 304, a change a new body", async () => {
    const first = await api().get("/ui/api/fleet");
    const etag = first.headers.get("etag")!;
    expect((await api().get("/ui/api/fleet", { headers: { "if-none-match": etag } })).status).toBe(304);
    const c = crypto.randomUUID();
    const put = await api().put(
      `/allocations/${c}`,
      {
        allocations: { [entry(fleet.rp, "compute-1-numa1")]: { resources: { VCPU: 1 } } },
        project_id: "proj-c",
        user_id: "carol",
        consumer_generation: null,
        consumer_type: "INSTANCE",
      },
      { version: "1.38" },
    );
    expect(put.status).toBe(204);
    const after = await api().get("/ui/api/fleet", { headers: { "if-none-match": etag } });
    expect(after.status).toBe(200);
    expect(after.body.classes[0].used).toBe(9);
    expect((await api().del(`/allocations/${c}`)).status).toBe(204);
  });

  it("pages and searches roots, with their trees' totals", async () => {
    const page = (await api().get("/ui/api/trees?limit=2")).body;
    expect(page.total).toBe(3);
    expect(page.trees.map((t: { name: string }) => t.name)).toEqual(["compute-1", "compute-2"]);
    expect(page.trees[0]).toMatchObject({ providers: 5, resources: { VCPU: { capacity: 32, used: 2 }, MEMORY_MB: { capacity: 65024, used: 2048 } } });
    expect((await api().get("/ui/api/trees?offset=2&limit=2")).body.trees.map((t: { name: string }) => t.name)).toEqual(["shared-storage"]);
    expect((await api().get("/ui/api/trees?q=STORAGE")).body.total).toBe(1);
    expect((await api().get("/ui/api/trees?q=%25")).body.total).toBe(0);
    expect((await api().get(`/ui/api/trees?q=${entry(fleet.rp, "compute-2").slice(0, 13)}`)).body.trees[0].name).toBe("compute-2");
  });

  it("shows a tree in full with its sharing providers", async () => {
    const t = (await api().get(`/ui/api/trees/${fleet.rp["compute-1-gpu0"]}`)).body;
    expect(t.providers.map((p: { name: string }) => p.name)).toEqual(["compute-1", "compute-1-numa0", "compute-1-numa1", "compute-1-pf0", "compute-1-gpu0"]);
    expect(t.providers[3].parent_provider_uuid).toBe(fleet.rp["compute-1-numa0"]);
    expect(t.providers[0]).toMatchObject({ traits: ["HW_CPU_X86_AVX2"], aggregates: [fleet.aggregate] });
    expect(t.providers[0].inventories.MEMORY_MB).toEqual({
      total: 65536,
      reserved: 512,
      min_unit: 1,
      max_unit: 2147483647,
      step_size: 1,
      allocation_ratio: 1,
      capacity: 65024,
      used: 2048,
    });
    expect(t.sharing.map((p: { name: string }) => p.name)).toEqual(["shared-storage"]);
    expect((await api().get(`/ui/api/trees/${fleet.rp["compute-2"]}`)).body.sharing).toEqual([]);
  });

  it("lists consumers with their usage, grouped by project, user and type", async () => {
    const all = (await api().get("/ui/api/consumers")).body;
    expect(all.total).toBe(3);
    expect(all.by_project).toEqual([
      { key: "proj-a", consumers: 2, usages: { VCPU: 4, MEMORY_MB: 4096, DISK_GB: 20, VGPU: 1 } },
      { key: "proj-b", consumers: 1, usages: { VCPU: 4, MEMORY_MB: 4096 } },
    ]);
    expect(all.by_user).toEqual([]);
    expect(all.by_type.map((g: { key: string; consumers: number }) => [g.key, g.consumers])).toEqual([
      ["INSTANCE", 2],
      ["MIGRATION", 1],
    ]);
    const a = (await api().get("/ui/api/consumers?project_id=proj-a&consumer_type=MIGRATION")).body;
    expect(a.consumers).toEqual([
      {
        uuid: fleet.consumers.migA,
        project_id: "proj-a",
        user_id: "alice",
        consumer_type: "MIGRATION",
        generation: 1,
        providers: 2,
        usages: { VCPU: 2, MEMORY_MB: 2048 },
      },
    ]);
    expect(a.by_user).toEqual([{ key: "alice", consumers: 1, usages: { VCPU: 2, MEMORY_MB: 2048 } }]);
    expect((await api().get("/ui/api/consumers?limit=1&offset=1")).body.consumers).toHaveLength(1);
  });

  it("names providers for the candidate explorer", async () => {
    const r = (await api().get(`/ui/api/names?uuid=${fleet.rp["compute-1-numa0"]},${crypto.randomUUID()}`)).body;
    expect(r.providers).toEqual({ [entry(fleet.rp, "compute-1-numa0")]: { name: "compute-1-numa0", root_uuid: fleet.rp["compute-1"] } });
    expect((await api().get("/ui/api/names?uuid=x")).status).toBe(400);
  });
});
