// `berth capabilities ...` in process against an in-process Berth (Berth's own paths: skipped
// against another server).
import { describe, expect, it } from "vitest";
import { runner } from "./run.js";
import { externalTarget, useTarget } from "../client/target.js";

describe.skipIf(externalTarget)("berth capabilities", () => {
  const target = useTarget();
  const admin = runner(() => ({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token } }));

  it("shows the service's operations with the caller's verdicts, as a table or JSON", async () => {
    const table = await admin("capabilities", "show");
    expect(table.code).toBe(0);
    expect(table.out).toMatch(
      /\| reshaper:reshape\s+\| POST\s+\| \/reshaper\s+\| 1\.30\s+\| False\s+\| policy: the rule placement:reshaper:reshape refuses this caller \|/,
    );
    const j = await admin("capabilities", "show", "allocation_candidates", "-f", "json");
    expect(j.json).toEqual([
      { id: "allocation_candidates:list", method: "GET", path: "/allocation_candidates", since: "1.10", allowed: true, why: "" },
      { id: "allocation_candidates:explain", method: "GET", path: "/allocation_candidates/explain", since: "1.10", allowed: true, why: "" },
    ]);
  });

  it("shows a provider's operations refused by its state, and a consumer's", async () => {
    const rp = crypto.randomUUID();
    expect((await admin("resource", "provider", "create", `caps-${rp}`, "--uuid", rp)).code).toBe(0);
    const child = await admin("resource", "provider", "create", `caps-child-${rp}`, "--parent-provider", rp, "-f", "json");
    expect(child.code).toBe(0);
    const p = await admin("capabilities", "provider", rp, "-f", "json", "-c", "id", "-c", "allowed", "-c", "why");
    expect(p.json.find((r: { id: string }) => r.id === "resource_providers:delete")).toEqual({
      id: "resource_providers:delete",
      allowed: false,
      why: "state: the provider has 1 child provider: delete them first (409)",
    });
    const c = await admin("capabilities", "consumer", crypto.randomUUID(), "-f", "value", "-c", "id", "-c", "allowed");
    expect(c.out.split("\n").filter(Boolean)).toEqual(["allocations:list True", "allocations:update True", "allocations:delete False"]);
    expect((await admin("capabilities", "provider", crypto.randomUUID())).code).toBe(1);
  });
});
