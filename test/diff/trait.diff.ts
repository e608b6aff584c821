// The reference and Berth answer the trait endpoints the same way at 1.6, 1.15, 1.23 and latest.
// Trait lists are compared as sorted lists (neither side promises an order); GET /traits without
// a name filter is left out, as the standard sets differ on purpose (see src/db/standard-names.ts).
import { describe, expect, it } from "vitest";
import type { Hono } from "hono";
import { randomUUID } from "node:crypto";
import { ask, reachable, type Step, useBerthUnderTest } from "./harness.js";

const up = await reachable();
const VERSIONS = ["1.6", "1.15", "1.23", "latest"];

function sorted(a: { body: any }) {
  if (a.body && Array.isArray(a.body.traits)) a.body.traits = [...a.body.traits].sort();
  return a;
}

async function same(app: Hono, ...steps: Step[]) {
  for (const step of steps) {
    const { ref, ours } = await ask(step, app);
    const label = `${step.method ?? "GET"} ${step.path} @${step.version}`;
    expect({ label, ...sorted(ours) }).toEqual({ label, ...sorted(ref) });
  }
}

describe.skipIf(!up)("traits against the reference", () => {
  const berth = useBerthUnderTest();

  it.each(VERSIONS)("the catalog at %s", async (version) => {
    const t = `CUSTOM_BD_${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
    const u = `CUSTOM_BD_${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
    await same(
      berth.app,
      { method: "PUT", path: `/traits/${t}`, version },
      { method: "PUT", path: `/traits/${t}`, version },
      { method: "PUT", path: `/traits/${u}`, version },
      { method: "PUT", path: "/traits/HW_CPU_X86_AVX", version },
      { method: "PUT", path: "/traits/custom_x", version },
      { method: "PUT", path: `/traits/CUSTOM_${"A".repeat(249)}`, version },
      { path: `/traits/${t}`, version },
      { path: "/traits/HW_CPU_X86_AVX", version },
      { path: "/traits/hw_cpu_x86_avx", version },
      { path: "/traits/NOPE_BD", version },
      { path: `/traits?name=in:${t},${u},HW_CPU_X86_AVX,NOPE`, version },
      { path: `/traits?name=in:${t},${u}&associated=false`, version },
      { path: `/traits?name=in:${t}&associated=true`, version },
      { path: `/traits?name=startswith:${t}`, version },
      { path: "/traits?name=startswith:HW_CPU_X86_AVX", version },
      { path: "/traits?name=in:", version },
      { path: "/traits?name=HW", version },
      { path: "/traits?name=", version },
      { path: "/traits?associated=maybe", version },
      { path: "/traits?foo=1", version },
      { path: "/traits", version, token: "bob" },
      { method: "DELETE", path: "/traits/HW_CPU_X86_AVX", version },
      { method: "DELETE", path: "/traits/NOPE_BD", version },
      { method: "DELETE", path: `/traits/${t}`, version },
      { method: "DELETE", path: `/traits/${t}`, version },
      { method: "DELETE", path: `/traits/${u}`, version, token: "bob" },
    );
  });

  it.each(VERSIONS)("a provider's traits at %s", async (version) => {
    const rp = randomUUID();
    const t = `CUSTOM_BD_${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
    const path = `/resource_providers/${rp}/traits`;
    const put = (body: unknown, extra: Partial<Step> = {}): Step => ({ method: "PUT", path, body, version, ...extra });
    await same(
      berth.app,
      { path, version },
      put({ traits: [], resource_provider_generation: 0 }),
      { method: "DELETE", path, version },
      { method: "POST", path: "/resource_providers", body: { name: `bd-${rp}`, uuid: rp }, version: "1.20" },
      { method: "PUT", path: `/traits/${t}`, version },
      { path, version },
      put({ traits: ["HW_CPU_X86_AVX", t], resource_provider_generation: 0 }),
      put({ traits: [t, "HW_CPU_X86_AVX"], resource_provider_generation: 1 }),
      put({ traits: ["HW_CPU_X86_SSE"], resource_provider_generation: 0 }),
      put({ traits: ["NOPE_BD_ONE"], resource_provider_generation: 1 }),
      put({ traits: ["hw_cpu_x86_avx"], resource_provider_generation: 1 }),
      put({ traits: [] }),
      put({ traits: "x", resource_provider_generation: 1 }),
      put({ traits: [""], resource_provider_generation: 1 }),
      put({ traits: [], resource_provider_generation: "1" }),
      put({ traits: [], resource_provider_generation: 1, extra: 1 }),
      // NOTE: other malformed bodies ("{", "x") differ in wording: body.ts pythonJsonError, not traits.
      put(undefined, { raw: "", headers: { "content-type": "application/json" } }),
      put(undefined, { raw: "{}", headers: { "content-type": "text/plain" }, token: "bob" }),
      put(undefined, { raw: "{}", headers: { "content-type": "application/json" }, token: "bob" }),
      { path, version },
      { path: `/traits?name=in:${t}&associated=true`, version },
      { method: "DELETE", path: `/traits/${t}`, version },
      { method: "DELETE", path, version, token: "bob" },
      { method: "DELETE", path, version },
      { path, version },
      { method: "DELETE", path, version },
      { path, version },
      { method: "DELETE", path: `/traits/${t}`, version },
    );
  });
});
