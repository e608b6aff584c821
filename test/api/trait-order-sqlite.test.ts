// The order of a provider's traits (GET /resource_providers/{uuid}/traits and the traits of
// provider_summaries in GET /allocation_candidates from 1.17): the reference gives them as its
// query returns rows, which on SQLite is trait id order (the (provider, trait) index). Its standard
// trait ids come from iterating a Python set of names (hash-randomized per process), so the order
// is only reproducible on one database: the reference fills one, `berth serve` on it must answer
// the same. Random trait sets (fast-check), standard and custom mixed, set in one or two PUTs.
// SQLite only: on PostgreSQL the reference's order is the plan's choice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { referenceAvailable, startBerth, startReference } from "../helpers/reference.js";
import { at } from "@berth/client/common";

const run = referenceAvailable("the trait order test (test/api/trait-order-sqlite.test.ts)");

const STANDARD = [
  "HW_NUMA_ROOT",
  "HW_CPU_X86_AVX2",
  "COMPUTE_VOLUME_MULTI_ATTACH",
  "STORAGE_DISK_SSD",
  "HW_CPU_X86_SSE42",
  "COMPUTE_TRUSTED_CERTS",
  "HW_GPU_API_VULKAN",
];
const CUSTOM = ["CUSTOM_FOO", "CUSTOM_BAR", "CUSTOM_A", "CUSTOM_ZZ_TOP", "CUSTOM_GOLD", "CUSTOM_9"];
const SHARES = "MISC_SHARES_VIA_AGGREGATE";

interface Scenario {
  root: [string[], string[]];
  shared: [string[], string[]];
}

const names = fc.uniqueArray(fc.constantFrom(...STANDARD, ...CUSTOM), { minLength: 1, maxLength: 8 });
const scenario: fc.Arbitrary<Scenario> = fc.record({ root: fc.tuple(names, names), shared: fc.tuple(names, names) });

async function call(base: string, method: string, path: string, body?: unknown, version = "1.39"): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "x-auth-token": "admin", "openstack-api-version": `placement ${version}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const uuid = (i: number, k: number) => `${String(k).padStart(8, "0")}-0000-4000-8000-${String(i).padStart(12, "0")}`;

/** Builds scenario i through the reference: a root and a sharing provider, each with its class. */
async function build(base: string, i: number, s: Scenario): Promise<void> {
  const agg = uuid(i, 3);
  for (const [k, rc, [first, second], extra] of [
    [1, `CUSTOM_RC${i}`, s.root, []],
    [2, `CUSTOM_SH${i}`, s.shared, [SHARES]],
  ] as const) {
    const u = uuid(i, k);
    expect((await call(base, "PUT", `/resource_classes/${rc}`)).status).toBeLessThan(300);
    expect((await call(base, "POST", "/resource_providers", { name: `p${i}-${k}`, uuid: u })).status).toBe(200);
    await call(base, "PUT", `/resource_providers/${u}/inventories`, { resource_provider_generation: 0, inventories: { [rc]: { total: 4 } } });
    await call(base, "PUT", `/resource_providers/${u}/aggregates`, { resource_provider_generation: 1, aggregates: [agg] });
    await call(base, "PUT", `/resource_providers/${u}/traits`, { resource_provider_generation: 2, traits: [...extra, ...first] });
    const r = await call(base, "PUT", `/resource_providers/${u}/traits`, { resource_provider_generation: 3, traits: [...extra, ...second] });
    expect(r.status).toBe(200);
  }
}

/** What the test compares: both providers' trait lists and the candidates' summaries. */
async function read(base: string, scenarios: Scenario[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < scenarios.length; i++) {
    const s = at(scenarios, i);
    for (const k of [1, 2]) out.push((await call(base, "GET", `/resource_providers/${uuid(i, k)}/traits`)).body);
    for (const version of ["1.17", "1.29", "1.39"]) {
      const rootRequired = version === "1.39" ? `&root_required=${s.root[1][0]}` : "";
      out.push(
        (await call(base, "GET", `/allocation_candidates?resources=CUSTOM_RC${i}:1,CUSTOM_SH${i}:1${rootRequired}`, undefined, version)).body
          .provider_summaries,
      );
    }
  }
  return out;
}

describe.runIf(run)("trait order: Berth on the reference's SQLite database", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-trait-order-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("lists each provider's traits as the reference does", async () => {
    const url = `sqlite:///${join(dir, "db.sqlite")}`;
    const scenarios = fc.sample(scenario, { numRuns: 12, seed: 17 });
    const ref = await startReference(url, dir);
    let want: unknown[];
    try {
      for (const c of CUSTOM) await call(ref.base, "PUT", `/traits/${c}`);
      for (let i = 0; i < scenarios.length; i++) await build(ref.base, i, at(scenarios, i));
      want = await read(ref.base, scenarios);
    } finally {
      await ref.stop();
    }
    // NOTE: both ways Berth reads trees: from the database per request, and from its snapshot.
    for (const mode of ["never", "always"]) {
      const berth = await startBerth(url, dir, { BERTH_CANDIDATE_SNAPSHOT: mode });
      try {
        expect(await read(berth.base, scenarios), mode).toEqual(want);
      } finally {
        await berth.stop();
      }
    }
  }, 120_000);
});
