// Certifies Berth's CLI with the conformance kit: an operator's session of `berth` commands (run in
// process, each with its own SDK client, as separate processes would) with faults on.
import { describe, expect, it } from "vitest";
import { startConformance } from "../../src/conformance/serve.js";
import { runner } from "../cli/run.js";
import { failures, verdicts } from "./flows.js";

describe("the CLI, certified", () => {
  it("passes every rule with conflicts, 503s and dropped connections", async () => {
    const s = await startConformance({ faults: "conflict/2,unavailable-first-get,drop/17,seed=5" });
    try {
      const berth = runner(() => ({ env: { OS_ENDPOINT: s.url, OS_TOKEN: "admin" } }));
      const ok = async (...argv: string[]) => {
        const r = await berth(...argv);
        expect(r.err, argv.join(" ")).toBe("");
        expect(r.code, argv.join(" ")).toBe(0);
        return r;
      };
      const host = (await ok("resource", "provider", "create", "cli-host", "-f", "json")).json.uuid as string;
      const nic = (await ok("resource", "provider", "create", "cli-nic", "--parent-provider", host, "-f", "json")).json.uuid as string;
      await ok("resource", "class", "create", "CUSTOM_CONF");
      await ok("trait", "create", "CUSTOM_CONF_T");
      await ok("resource", "provider", "inventory", "set", host, "--resource", "VCPU=8", "--resource", "MEMORY_MB=4096");
      await ok("resource", "provider", "inventory", "set", host, "--resource", "VCPU:allocation_ratio=4", "--amend");
      await ok("resource", "provider", "inventory", "class", "set", nic, "CUSTOM_CONF", "--total", "2");
      await ok("resource", "provider", "trait", "set", host, "--trait", "CUSTOM_CONF_T", "--trait", "HW_CPU_X86_AVX2");
      await ok("resource", "provider", "aggregate", "set", host, "--aggregate", crypto.randomUUID());
      await ok("resource", "provider", "aggregate", "set", host, "--aggregate", crypto.randomUUID(), "--amend");
      await ok("resource", "provider", "list", "--required", "CUSTOM_CONF_T", "-f", "json");
      await ok("allocation", "candidate", "list", "--resource", "VCPU=2", "--required", "CUSTOM_CONF_T", "--limit", "3", "-f", "json");
      const consumer = crypto.randomUUID();
      await ok("resource", "provider", "allocation", "set", consumer, "--allocation", `rp=${host},VCPU=2,MEMORY_MB=512`, "--project-id", "p", "--user-id", "u");
      await ok("resource", "provider", "allocation", "unset", consumer, "--resource-class", "MEMORY_MB");
      await ok("resource", "provider", "usage", "show", host);
      await ok("resource", "usage", "show", "p");
      await ok("resource", "provider", "tree", host);
      await ok("resource", "provider", "allocation", "delete", consumer);
      await ok("resource", "provider", "inventory", "delete", nic, "--resource-class", "CUSTOM_CONF");
      await ok("resource", "provider", "delete", nic);
      await ok("resource", "provider", "delete", host);
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
      expect(Object.keys(r.faults_injected).sort()).toEqual(["conflict", "drop", "unavailable"]);
    } finally {
      await s.close();
    }
  }, 120_000);

  it("fails cleanly when pinned above a lowered maximum, and negotiates below it otherwise", async () => {
    const s = await startConformance({ maxVersion: "1.20" });
    try {
      const berth = runner(() => ({ env: { OS_ENDPOINT: s.url, OS_TOKEN: "admin" } }));
      const pinned = await berth("resource", "provider", "list", "--os-placement-api-version", "1.30");
      expect(pinned.code).toBe(1);
      expect(pinned.err).toMatch(/1\.30.*1\.20/);
      expect((await berth("resource", "provider", "create", "low", "-f", "json")).code).toBe(0);
      const r = s.report();
      expect(failures(r)).toBe("");
      expect(verdicts(r)["microversion.handles-406"]).toBe("pass");
    } finally {
      await s.close();
    }
  }, 60_000);
});
