// The version matrix: at each of 1.0, 1.14, 1.20, 1.37 and latest, one realistic flow over every
// issue-2 endpoint (a tree of providers, inventories, custom classes, traits, aggregates; read back,
// listed with filters, updated, deleted), every request sent at that version to the reference and
// to Berth. Requests a version does not know yet stay in the flow: both must refuse them alike.
import { describe, expect, it } from "vitest";
import { ask, reachable, type Answer, type Step, useBerthUnderTest } from "./harness.js";
import { entry } from "@berth/client/common";

const up = await reachable();
const u = () => crypto.randomUUID();
const tag = () => u().replace(/-/g, "").slice(0, 12).toUpperCase();
const VERSIONS = ["1.0", "1.14", "1.20", "1.37", "latest"];

/**
 * NOTE: the reference orders none of its lists (no ORDER BY for providers, traits, aggregates or
 * classes), so lists are compared as sets: sorted here on both sides.
 */
function unordered(a: Answer): Answer {
  const b = a.body as Record<string, unknown> | null;
  if (!b || typeof b !== "object") return a;
  const by = (k: string) => (x: any, y: any) => String(x[k]).localeCompare(String(y[k]));
  if (Array.isArray(b.resource_providers)) b.resource_providers = [...b.resource_providers].sort(by("uuid"));
  if (Array.isArray(b.resource_classes)) b.resource_classes = [...b.resource_classes].sort(by("name"));
  if (Array.isArray(b.traits)) b.traits = [...b.traits].sort();
  if (Array.isArray(b.aggregates)) b.aggregates = [...b.aggregates].sort();
  return a;
}

describe.skipIf(!up)("the version matrix against the reference", () => {
  const berth = useBerthUnderTest();

  it.each(VERSIONS)("a provider tree's life at %s", async (version) => {
    const m = version === "latest" ? 39 : Number(version.split(".")[1]);
    const [root, a, b] = [u(), u(), u()];
    const [g1, g2] = [u(), u()];
    const t = tag();
    const cls = `CUSTOM_MX_${t}`;
    const trait = `CUSTOM_MX_${t}`;
    // Generations as both sides last reported them (answers are compared equal before this is read).
    const gen: Record<string, number> = { [root]: 0, [a]: 0, [b]: 0 };

    const go = async (s: Omit<Step, "version">): Promise<Answer> => {
      const step: Step = { ...s, version };
      const { ref, ours } = await ask(step, berth.app);
      // NOTE: the reference's database is shared: its class list also holds other people's custom
      // classes, so only the standard ones and this flow's are compared.
      if (s.path === "/resource_classes" && (s.method ?? "GET") === "GET")
        for (const x of [ref, ours]) {
          const b = x.body as { resource_classes?: { name: string }[] } | null;
          if (b?.resource_classes) b.resource_classes = b.resource_classes.filter((c) => !c.name.startsWith("CUSTOM_") || c.name === cls);
        }
      const label = `${step.method ?? "GET"} ${step.path} ${step.body === undefined ? "" : JSON.stringify(step.body)} @${version}`;
      expect({ label, ...unordered(ours) }).toEqual({ label, ...unordered(ref) });
      const body = ours.body as Record<string, unknown> | null;
      const owner = [root, a, b].find((id) => s.path.includes(id));
      if (owner && body && typeof body === "object") {
        const g = body.resource_provider_generation ?? (body.uuid === owner ? body.generation : undefined);
        if (typeof g === "number") gen[owner] = g;
      }
      return ours;
    };
    const get = (path: string) => go({ path });
    const put = (path: string, body?: unknown) => go({ method: "PUT", path, body });
    const post = (path: string, body: unknown) => go({ method: "POST", path, body });
    const del = (path: string) => go({ method: "DELETE", path });
    const rp = (id: string) => `/resource_providers/${id}`;
    const tree = m >= 14 ? `in_tree=${root}` : `uuid=${a}`;

    // The catalog: a custom class and a custom trait.
    await post("/resource_classes", { name: cls });
    await get(`/resource_classes/${cls}`);
    await get("/resource_classes/vcpu");
    await get("/resource_classes");
    await put(`/traits/${trait}`);
    await get("/traits/hw_cpu_x86_avx");
    await get(`/traits/${trait}`);
    await get(`/traits?name=in:${trait},HW_CPU_X86_AVX`);

    // A tree: a root and two children (flat providers before 1.14, where parents are unknown).
    const parent = (p: string) => (m >= 14 ? { parent_provider_uuid: p } : {});
    await post("/resource_providers", { name: `mx-root-${root}`, uuid: root });
    await post("/resource_providers", { name: `mx-a-${a}`, uuid: a, ...parent(root) });
    await post("/resource_providers", { name: `mx-b-${b}`, uuid: b, ...parent(root) });
    await post("/resource_providers", { name: `mx-a-${a}`, uuid: u() });
    await post("/resource_providers", { name: `mx-c-${a}`, uuid: a });
    for (const id of [root, a, b]) await get(rp(id));
    await get(`/resource_providers?uuid=${a}`);
    await get(`/resource_providers?name=mx-b-${b}`);
    await get(`/resource_providers?in_tree=${root}`);
    await get(`/resource_providers?in_tree=${b}`);

    // Inventories: all at once on a, one by one on b, then an update of one.
    const inventories: Record<string, unknown> = {
      VCPU: { total: 16, reserved: 2, allocation_ratio: 4 },
      MEMORY_MB: { total: 32768, min_unit: 256, max_unit: 16384, step_size: 256 },
      [cls]: { total: 4 },
    };
    await put(`${rp(a)}/inventories`, { resource_provider_generation: gen[a], inventories });
    if (m < 2)
      await put(`${rp(a)}/inventories`, { resource_provider_generation: gen[a], inventories: { VCPU: inventories.VCPU, MEMORY_MB: inventories.MEMORY_MB } });
    await post(`${rp(b)}/inventories`, { resource_class: "DISK_GB", total: 500, reserved: 501 });
    await post(`${rp(b)}/inventories`, { resource_class: "DISK_GB", total: 500, reserved: 10 });
    await post(`${rp(b)}/inventories`, { resource_class: "VCPU", total: 8 });
    await put(`${rp(a)}/inventories/VCPU`, { resource_provider_generation: gen[a], total: 24, reserved: 4, allocation_ratio: 2 });
    await put(`${rp(a)}/inventories/VCPU`, { resource_provider_generation: entry(gen, a) - 1, total: 24 });
    await put(`${rp(b)}/inventories/DISK_GB`, { resource_provider_generation: gen[b], total: 0 });

    // Traits and aggregates.
    await put(`${rp(a)}/traits`, { resource_provider_generation: gen[a], traits: [trait, "HW_CPU_X86_AVX"] });
    await put(`${rp(b)}/traits`, { resource_provider_generation: gen[b], traits: ["HW_CPU_X86_SSE"] });
    await put(`${rp(b)}/traits`, { resource_provider_generation: gen[b], traits: ["NOPE_MX_TRAIT"] });
    const aggs = (id: string, list: string[]) => (m >= 19 ? { aggregates: list, resource_provider_generation: gen[id] } : list);
    await put(`${rp(root)}/aggregates`, aggs(root, [g1, g2]));
    await put(`${rp(a)}/aggregates`, aggs(a, [g1]));

    // Read everything back.
    for (const id of [root, a, b]) {
      await get(rp(id));
      await get(`${rp(id)}/inventories`);
      await get(`${rp(id)}/traits`);
      await get(`${rp(id)}/aggregates`);
    }
    await get(`${rp(a)}/inventories/VCPU`);
    await get(`${rp(a)}/inventories/${cls}`);
    await get(`${rp(b)}/inventories/MEMORY_MB`);
    await get(`/traits?name=in:${trait}&associated=true`);
    await get(`/traits?name=startswith:CUSTOM_MX_${t}`);

    // Lists with filters, each kept to this flow's providers.
    await get(`/resource_providers?${tree}`);
    await get(`/resource_providers?member_of=${g1}`);
    await get(`/resource_providers?member_of=in:${g1},${g2}`);
    await get(`/resource_providers?${tree}&resources=VCPU:1`);
    await get(`/resource_providers?${tree}&resources=VCPU:20,MEMORY_MB:512`);
    await get(`/resource_providers?${tree}&resources=${cls}:4`);
    await get(`/resource_providers?${tree}&resources=DISK_GB:1`);
    await get(`/resource_providers?${tree}&resources=vcpu:1`);
    await get(`/resource_providers?${tree}&required=hw_cpu_x86_avx`);
    await get(`/resource_providers?${tree}&required=${trait}`);
    await get(`/resource_providers?${tree}&required=!${trait}`);
    await get(`/resource_providers?member_of=${g1}&required=HW_CPU_X86_AVX&resources=VCPU:2`);

    // Updates: rename, re-parent (1.37), replace traits and aggregates.
    await put(rp(b), { name: `mx-b2-${b}` });
    await put(rp(b), { name: `mx-a-${a}` });
    await put(rp(b), { name: `mx-b2-${b}`, ...parent(a) });
    await put(rp(b), { name: `mx-b2-${b}`, ...parent(root) });
    await get(`/resource_providers?${tree}`);
    await put(`${rp(a)}/traits`, { resource_provider_generation: gen[a], traits: [trait] });
    await put(`${rp(a)}/aggregates`, aggs(a, []));
    await put(`${rp(root)}/aggregates`, aggs(root, [g2]));
    await get(`/resource_providers?member_of=${g1}`);
    await get(`${rp(a)}/traits`);
    await get(`${rp(root)}/aggregates`);

    // Deletes: what is still used is refused, then everything goes.
    await del(`/traits/${trait}`);
    await del(`/resource_classes/${cls}`);
    await del(rp(root));
    await del(`${rp(a)}/inventories/${cls}`);
    await del(`${rp(a)}/inventories/${cls}`);
    await del(`${rp(a)}/inventories`);
    await get(`${rp(a)}/inventories`);
    await del(`${rp(a)}/traits`);
    await get(`${rp(a)}/traits`);
    await del(`/traits/${trait}`);
    await del(`/resource_classes/${cls}`);
    await del(rp(a));
    await del(rp(b));
    await del(rp(root));
    await get(rp(root));
    await get(`/resource_providers?member_of=in:${g1},${g2}`);
    await get(`/resource_classes/${cls}`);
    await get("/resource_classes");
    await get(`/traits/${trait}`);

    // The conventions at this version: the root document, routing, auth and media types.
    await go({ path: "/", token: null });
    await go({ path: `/resource_providers?uuid=${root}`, token: null });
    await go({ path: `/resource_providers?uuid=${root}`, headers: { accept: "text/html" } });
    await go({ path: "/nope" });
    await go({ method: "PATCH", path: rp(root) });
    await go({ method: "PATCH", path: `${rp(root)}/inventories` });
    await go({ method: "POST", path: "/resource_providers", raw: "{}", headers: { "content-type": "text/plain" } });
    await go({ path: `/resource_providers?uuid=${root}`, token: "bob" });
  });

  // Malformed JSON on each issue-2 write, every case run and all mismatches reported together
  // (the wording of Python's json errors is reproduced in src/http/body.ts).
  it.each(VERSIONS)("malformed JSON at %s", async (version) => {
    const rp = u();
    const t = `CUSTOM_MX_${tag()}`;
    await ask({ method: "POST", path: "/resource_providers", body: { name: `mx-${rp}`, uuid: rp }, version: "1.20" }, berth.app);
    const paths: [string, string][] = [
      ["POST", "/resource_providers"],
      ["PUT", `/resource_providers/${rp}`],
      ["POST", `/resource_providers/${rp}/inventories`],
      ["PUT", `/resource_providers/${rp}/inventories`],
      ["PUT", `/resource_providers/${rp}/inventories/VCPU`],
      ["PUT", `/resource_providers/${rp}/traits`],
      ["PUT", `/resource_providers/${rp}/aggregates`],
      ["POST", "/resource_classes"],
      ["PUT", `/resource_classes/${t}`],
    ];
    const off: unknown[] = [];
    for (const [method, path] of paths) {
      for (const raw of ["", "{", "x", "[1,", '{"a":}', "{'a': 1}"]) {
        const step: Step = { method, path, raw, version, headers: { "content-type": "application/json" } };
        const { ref, ours } = await ask(step, berth.app);
        try {
          expect(ours).toEqual(ref);
        } catch {
          off.push({ step: `${method} ${path} ${JSON.stringify(raw)} @${version}`, ref: ref.body, ours: ours.body });
        }
      }
    }
    await ask({ method: "DELETE", path: `/resource_providers/${rp}`, version }, berth.app);
    expect(off).toEqual([]);
  });
});
