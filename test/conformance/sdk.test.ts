// Certifies Berth's SDK with the conformance kit: its flows against the known-good server with
// faults on, and every rule must pass (docs/conformance.md).
import { describe, expect, it } from "vitest";
import { PlacementClient } from "@berth/client";
import { startConformance } from "../../src/conformance/serve.js";
import { failures, fullFlow, oldCloudFlow, verdicts } from "./flows.js";

const client = (url: string) => new PlacementClient({ endpoint: url, token: "admin", retry: { delayMs: () => 0 } });

describe("the SDK, certified", () => {
  it("passes every rule with conflicts, 503s and dropped connections", async () => {
    const s = await startConformance({ faults: "conflict/3,unavailable-first-get,drop/19,seed=3" });
    try {
      await fullFlow(client(s.url));
      const r = s.report();
      expect(failures(r)).toBe("");
      expect(verdicts(r)).toEqual({
        "microversion.sent": "pass",
        "microversion.no-feature-above": "pass",
        "microversion.lowest": "pass",
        "microversion.handles-406": "not_exercised",
        "generations.from-read": "pass",
        "generations.retry": "pass",
        "request-id": "pass",
        "survives-503": "pass",
      });
      expect(r.faults_injected.conflict).toBeGreaterThan(0);
      expect(r.faults_injected.drop).toBeGreaterThan(0);
      expect(r.faults_injected.unavailable).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  }, 60_000);

  it("passes on a cloud whose maximum is 1.20 behind a balancer with a 1.19 node", async () => {
    const s = await startConformance({ maxVersion: "1.20", faults: "old-node@1.19/1,conflict/4" });
    try {
      await oldCloudFlow(client(s.url));
      const r = s.report();
      expect(failures(r)).toBe("");
      expect(verdicts(r)["microversion.handles-406"]).toBe("pass");
      expect(r.faults_injected["old-node"]).toBeGreaterThan(0);
      // Nothing above the lowered maximum reached the server, and the 406s were answered with a lower version.
      expect(Object.keys(r.client.versions).filter((v) => v !== "none" && Number(v.split(".")[1]) > 20)).toEqual([]);
      const handled = r.rules.find((x) => x.id === "microversion.handles-406")!;
      expect(handled.evidence.length).toBeGreaterThan(0);
      for (const e of handled.evidence) expect(e.why).toMatch(/retried at 1\.(\d|1\d)\b/);
    } finally {
      await s.close();
    }
  }, 60_000);

  it("gives up on a write that always conflicts within the bound", async () => {
    const s = await startConformance({ faults: "conflict/1" });
    try {
      const c = client(s.url);
      const p = await c.providers.create({ name: `bounded-${crypto.randomUUID().slice(0, 8)}` });
      const e = await c.inventories.amend(p.uuid, () => ({ VCPU: { total: 1 } })).catch((x: unknown) => x);
      expect((e as { isGenerationConflict?: boolean }).isGenerationConflict).toBe(true);
      const r = s.report();
      expect(failures(r)).toBe("");
      expect(verdicts(r)["generations.retry"]).toBe("pass");
      expect(r.faults_injected.conflict).toBe(5); // the SDK's default bound
    } finally {
      await s.close();
    }
  }, 60_000);
});
