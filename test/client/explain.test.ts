// allocationCandidates.explain(): Berth's explanation of a candidates request, typed, sent at the
// version list() uses for the same request; a server without it (the reference) answers 404.
import { describe, expect, it } from "vitest";
import { candidateRequest, NotFoundError, type PlacementClient } from "@berth/client";
import { externalTarget, useTarget } from "./target.js";
import { first } from "@berth/client/common";

const uuid = () => crypto.randomUUID();

describe("allocation candidates explain", () => {
  const target = useTarget();

  async function host(c: PlacementClient, trait: string, vcpus: number) {
    const p = await c.providers.create({ name: `explain-${uuid().slice(0, 8)}` });
    await c.inventories.replace(p.uuid, p.generation, { VCPU: { total: vcpus, reserved: 1, allocation_ratio: 2 } });
    await c.providerTraits.add(p.uuid, [trait]);
    return p;
  }

  it("says why nothing fits, and what does, at the version list() uses", async () => {
    const c = target().client();
    const trait = `CUSTOM_EXPLAIN_${uuid().slice(0, 8).toUpperCase()}`;
    await c.traits.create(trait);
    const p = await host(c, trait, 4);
    try {
      const request = candidateRequest().resources({ VCPU: 8 }).required(trait);
      if (externalTarget) {
        await expect(c.allocationCandidates.explain(request)).rejects.toBeInstanceOf(NotFoundError);
        return;
      }
      const none = await c.allocationCandidates.explain(request);
      const listed = await c.allocationCandidates.list(request);
      expect(none.microversion).toBe(listed.version);
      expect(none).toMatchObject({ explain_version: "1.0", fits: false, candidates: 0 });
      const mine = none.near_misses.find((m) => m.root.uuid === p.uuid)!;
      expect(mine.failed).toEqual([
        expect.objectContaining({
          constraint: "capacity",
          resource_class: "VCPU",
          asks: 8,
          free: 6,
          provider: { uuid: p.uuid, name: p.name },
          message: `${p.name}: VCPU asks 8, free 6 = (4 - 1) x 2.0 - 0 used`,
        }),
      ]);
      const some = await c.allocationCandidates.explain({ resources: { VCPU: 6 }, required: [trait] });
      expect(some).toMatchObject({ fits: true, candidates: 1, trees_with_candidates: 1 });
      expect(first(some.groups).steps.find((s) => s.constraint === "required_traits")).toMatchObject({ traits: [trait], providers: 1, trees: 1 });
    } finally {
      await c.providers.delete(p.uuid);
      await c.traits.delete(trait);
    }
  });

  it("refuses a bad request as list() does", async () => {
    const c = target().client();
    const bad = { resources: { CUSTOM_NO_SUCH_CLASS_X: 1 } };
    const listed = await c.allocationCandidates.list(bad).catch((e) => e);
    const explained = await c.allocationCandidates.explain(bad).catch((e) => e);
    expect(listed.status).toBe(400);
    expect(explained.status).toBe(externalTarget ? 404 : 400);
    if (!externalTarget) expect(explained.message).toBe(listed.message);
  });
});
