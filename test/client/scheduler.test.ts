// The scheduler helper: ranking (pure), then selection, rescheduling and migrations against a server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { candidateRequest, PlacementClient, type AllocationRequest, type ProviderSummary } from "@berth/client";
import { hostOf, NoValidHostError, packWeigher, rank, sameAllocations, Scheduler, spreadWeigher } from "../../packages/client/src/scheduler.js";
import { startTestServer, type TestServer } from "@berth/testing";
import { externalTarget, useTarget } from "./target.js";
import { entry, first } from "@berth/client/common";

const uuid = () => crypto.randomUUID();

describe("ranking", () => {
  const summaries: Record<string, ProviderSummary> = {
    h1: { resources: { VCPU: { capacity: 10, used: 8 } }, root_provider_uuid: "h1" },
    h2: { resources: { VCPU: { capacity: 10, used: 2 } }, root_provider_uuid: "h2" },
    h3: { resources: { VCPU: { capacity: 10, used: 0 } }, root_provider_uuid: "h3" },
    h3nic: { resources: { VF: { capacity: 4, used: 0 } }, root_provider_uuid: "h3" },
    shared: { resources: { DISK_GB: { capacity: 100, used: 0 } }, root_provider_uuid: "shared" },
  };
  const req = (allocs: Record<string, Record<string, number>>): AllocationRequest => ({
    allocations: Object.fromEntries(Object.entries(allocs).map(([rp, resources]) => [rp, { resources }])),
  });
  const cands = [req({ h1: { VCPU: 2 } }), req({ h2: { VCPU: 2 } }), req({ h3: { VCPU: 2 } })].map((request) => ({
    request,
    host: hostOf(request, summaries),
  }));

  it("spread prefers the emptiest host, pack the fullest", () => {
    expect(rank(cands, summaries, spreadWeigher).map((c) => c.host)).toEqual(["h3", "h2", "h1"]);
    expect(rank(cands, summaries, packWeigher).map((c) => c.host)).toEqual(["h1", "h2", "h3"]);
  });

  it("drops candidates that no longer fit", () => {
    const full = { ...summaries, h1: { resources: { VCPU: { capacity: 10, used: 9 } } } };
    expect(rank(cands, full, packWeigher).map((c) => c.host)).toEqual(["h2", "h3"]);
  });

  it("takes a custom weigher", () => {
    expect(rank(cands, summaries, (c) => (c.host === "h2" ? 1 : 0)).map((c) => c.host)[0]).toBe("h2");
  });

  it("names the host by the root holding most of the request, not a sharing provider", () => {
    expect(hostOf(req({ h3: { VCPU: 1 }, h3nic: { VF: 1 }, shared: { DISK_GB: 1 } }), summaries)).toBe("h3");
  });

  it("keeps the best candidate per host", () => {
    const two = [req({ h3: { VCPU: 1 } }), req({ h3: { VCPU: 5 } })].map((request) => ({ request, host: "h3" }));
    expect(rank(two, summaries, spreadWeigher)).toHaveLength(1);
    expect(first(rank(two, summaries, spreadWeigher)).allocationRequest.allocations.h3!.resources.VCPU).toBe(1);
  });

  it("compares allocations ignoring generations and zero amounts", () => {
    expect(sameAllocations({ a: { resources: { VCPU: 1, X: 0 } } }, { a: { resources: { VCPU: 1 } } })).toBe(true);
    expect(sameAllocations({ a: { resources: { VCPU: 1 } } }, { b: { resources: { VCPU: 1 } } })).toBe(false);
  });
});

describe("against a server", () => {
  const target = useTarget();

  async function hosts(c: PlacementClient, n: number, vcpus: number, trait: string) {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = await c.providers.create({ name: `sched-${uuid().slice(0, 8)}` });
      await c.inventories.replace(p.uuid, p.generation, { VCPU: { total: vcpus } });
      await c.providerTraits.add(p.uuid, [trait]);
      out.push(p.uuid);
    }
    return out;
  }

  async function cleanup(c: PlacementClient, consumers: string[], providers: string[], trait: string) {
    for (const x of consumers) await c.allocations.delete(x).catch(() => {});
    for (const p of providers) await c.providers.delete(p);
    await c.traits.delete(trait);
  }

  it("claims one host per instance, keeps alternates, reschedules and migrates", async () => {
    const c = target().client();
    const trait = `CUSTOM_SCHED_${uuid().slice(0, 8).toUpperCase()}`;
    await c.traits.create(trait);
    const [h1, h2, h3] = await hosts(c, 3, 4, trait);
    const s = new Scheduler(c);
    const request = candidateRequest().resources({ VCPU: 3 }).required(trait);
    const picks = await s.selectDestinations(request, { count: 2, alternates: 2, project_id: "p", user_id: "u" });
    expect(picks).toHaveLength(2);
    // 3 of 4 VCPUs per instance: two instances cannot share a host.
    expect(new Set(picks.map((p) => p.chosen.host)).size).toBe(2);
    for (const p of picks) {
      expect(p.alternates.map((a) => a.host)).not.toContain(p.chosen.host);
      expect(entry((await c.allocations.get(p.consumer)).allocations, p.chosen.host).resources).toEqual({ VCPU: 3 });
    }
    const free = [h1, h2, h3].find((h) => !picks.some((p) => p.chosen.host === h))!;
    // The first instance's build failed: move it to its alternate without asking again.
    const failed = first(picks);
    expect(failed.alternates.map((a) => a.host)).toContain(free);
    const moved = await s.reschedule(failed);
    expect(moved.chosen.host).toBe(free);
    expect(Object.keys((await c.allocations.get(failed.consumer)).allocations)).toEqual([free]);

    // A migration back to the now free host, confirmed; then one reverted. Retries are no-ops.
    const dest = failed.chosen;
    const mig = uuid();
    await s.migration.start(failed.consumer, mig, dest.allocationRequest);
    await s.migration.start(failed.consumer, mig, dest.allocationRequest);
    expect(Object.keys((await c.allocations.get(mig)).allocations)).toEqual([free]);
    expect(Object.keys((await c.allocations.get(failed.consumer)).allocations)).toEqual([dest.host]);
    await s.migration.confirm(mig);
    await s.migration.confirm(mig);
    expect((await c.allocations.get(mig)).allocations).toEqual({});

    const mig2 = uuid();
    await s.migration.start(failed.consumer, mig2, moved.chosen.allocationRequest);
    await s.migration.revert(failed.consumer, mig2);
    await s.migration.revert(failed.consumer, mig2);
    expect(Object.keys((await c.allocations.get(failed.consumer)).allocations)).toEqual([dest.host]);
    expect((await c.allocations.get(mig2)).allocations).toEqual({});

    await cleanup(
      c,
      picks.map((p) => p.consumer),
      [h1!, h2!, h3!],
      trait,
    );
  });

  it("fails with NoValidHost when nothing fits, and a claim retried after success is accepted", async () => {
    const c = target().client();
    const trait = `CUSTOM_SCHED_${uuid().slice(0, 8).toUpperCase()}`;
    await c.traits.create(trait);
    const [h] = await hosts(c, 1, 4, trait);
    const s = new Scheduler(c);
    const [pick] = await s.selectDestinations(candidateRequest().resources({ VCPU: 3 }).required(trait), {
      project_id: "p",
      user_id: "u",
      weigher: "pack",
    });
    expect(await s.claim(pick!.consumer, pick!.chosen.allocationRequest, pick!.owner)).toBe(true);
    // The retried claim changed nothing: the one allocation is there once.
    expect((await c.allocations.get(pick!.consumer)).allocations).toEqual({ [h!]: expect.objectContaining({ resources: { VCPU: 3 } }) });
    const none = await s.selectDestinations(candidateRequest().resources({ VCPU: 3 }).required(trait), { project_id: "p", user_id: "u", attempts: 2 }).then(
      () => undefined,
      (e) => e,
    );
    expect(none).toBeInstanceOf(NoValidHostError);
    expect(none.message).toMatch(/^no host could be claimed/);
    if (externalTarget) expect(none.explanation).toBeUndefined();
    else {
      // Berth says why: the one host's VCPU is taken.
      expect(none.explanation).toMatchObject({ fits: false, candidates: 0 });
      expect(none.explanation.near_misses[0].message).toMatch(/: VCPU asks 3, free 1 = \(4 - 0\) x 1\.0 - 3 used$/);
      expect(none.message).toContain(`: ${none.explanation.summary}`);
    }
    await cleanup(c, [pick!.consumer], [h!], trait);
  });
});

describe.skipIf(externalTarget)("against a server that refuses the explanation", () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-sched-"));
    writeFileSync(join(dir, "policy.yaml"), '"placement:allocation_candidates:explain": "!"\n');
    server = await startTestServer({ overrides: { oslo_policy: { policy_file: join(dir, "policy.yaml") } } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("still fails with NoValidHost, carrying no explanation", async () => {
    const c = new PlacementClient({ endpoint: server.url, token: server.token });
    expect(await c.allocationCandidates.explain({ resources: { VCPU: 1 } }).catch((e) => e.status)).toBe(403);
    const none = await new Scheduler(c).selectDestinations({ resources: { VCPU: 1 } }, { project_id: "p", user_id: "u", attempts: 1 }).catch((e) => e);
    expect(none).toBeInstanceOf(NoValidHostError);
    expect(none.explanation).toBeUndefined();
    expect(none.message).toBe(`no host could be claimed for consumer ${none.message.split(" ").pop()}`);
  });
});
