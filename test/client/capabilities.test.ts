// The SDK's capabilities calls against an in-process Berth: the documents for the client's caller,
// and a check that refuses a call before it is sent. (Berth's own paths: skipped against another server.)
import { describe, expect, it } from "vitest";
import { CapabilityRefused, NotFoundError } from "@berth/client";
import { externalTarget, useTarget } from "./target.js";
import { first } from "@berth/client/common";

describe.skipIf(externalTarget)("the SDK's capabilities", () => {
  const target = useTarget();

  it("reads the service document once and judges calls by it", async () => {
    const admin = target().client();
    const doc = await admin.capabilities.service();
    expect(doc.caller.roles).toEqual(["admin"]);
    expect((await admin.capabilities.allows("POST", "/resource_providers")).allowed).toBe(true);
    await expect(admin.capabilities.check("POST", "/reshaper")).rejects.toThrow(CapabilityRefused);
    expect(await admin.capabilities.service()).toBe(doc);
    expect(await admin.capabilities.service({ refresh: true })).not.toBe(doc);

    const reader = target().client({ token: "bob:proj-a", headers: { "x-roles": "reader" } });
    const refused = await reader.capabilities.check("GET", "/resource_providers").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapabilityRefused);
    expect(first((refused as CapabilityRefused).operation.refused_by!).reason).toBe("policy");
    const usages = await reader.capabilities.allows("GET", "/usages");
    expect(usages).toMatchObject({ allowed: true, conditions: ["only for project_id=proj-a (the token's project)"] });
    await expect(reader.capabilities.allows("GET", "/nowhere")).rejects.toThrow(TypeError);
  });

  it("reads a type's and an instance's documents", async () => {
    const c = target().client();
    const t = await c.capabilities.forType("traits");
    expect(t.query_parameters.map((q) => q.name)).toEqual(["name", "associated"]);
    const rp = await c.providers.create({ name: `caps-${crypto.randomUUID()}` });
    const p = await c.capabilities.provider(rp.uuid);
    expect(p.state).toMatchObject({ children: 0, consumers: 0 });
    expect(p.operations.find((o) => o.method === "DELETE" && o.path === "/resource_providers/{uuid}")!.allowed).toBe(true);
    await expect(c.capabilities.provider(crypto.randomUUID())).rejects.toThrow(NotFoundError);
    expect((await c.capabilities.consumer(crypto.randomUUID())).state).toEqual({ exists: false, consumer_generation: null });
  });
});
