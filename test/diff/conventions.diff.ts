// The reference and Berth answer the conventions the same way.
import { describe, it } from "vitest";
import { reachable, same, useBerthUnderTest } from "./harness.js";

const up = await reachable();

describe.skipIf(!up)("conventions against the reference", () => {
  const berth = useBerthUnderTest();

  it.each(["1.0", "1.14", "1.20", "1.37", "latest"])("root at %s", async (v) => {
    await same(berth.app, { path: "/", version: v, token: null });
  });

  it("bad versions", async () => {
    await same(
      berth.app,
      { path: "/resource_providers", version: "2.0" },
      { path: "/resource_providers", version: "1.40" },
      { path: "/resource_providers", version: "1.x" },
      { path: "/resource_providers", version: "abc" },
      { path: "/resource_providers", version: "1" },
      { path: "/resource_providers", version: "1.2.3" },
      { path: "/resource_providers?name=none-such", version: "1.05" },
      { path: "/resource_providers", version: "LATEST" },
      { path: "/resource_providers?name=none-such", headers: { "openstack-api-version": "compute 2.1, placement 1.3" } },
      { path: "/", version: "0.9" },
    );
  });

  it("routing", async () => {
    await same(
      berth.app,
      { path: "/nope" },
      { path: "/resource_providers/" },
      { method: "PATCH", path: "/resource_providers", version: "latest" },
      { method: "OPTIONS", path: "/resource_providers" },
      { path: "/traits", version: "1.5" },
      { method: "DELETE", path: "/resource_providers/x/inventories", version: "1.4" },
      { path: "/reshaper", version: "1.29" },
      { method: "POST", path: "/allocations", version: "1.12", body: {} },
      { path: "/allocation_candidates", version: "1.9" },
      { path: "/usages", version: "1.8" },
    );
  });

  it("auth and policy", async () => {
    await same(
      berth.app,
      { path: "/resource_providers", token: null },
      { path: "/", token: null },
      { path: "/traits", version: "1.6", token: "bob" },
      { path: "/resource_providers", version: "latest", token: "bob:proj", headers: { "x-roles": "reader" } },
    );
  });

  it("accept and content type", async () => {
    await same(
      berth.app,
      { path: "/resource_providers", version: "1.15", headers: { accept: "text/html" } },
      { path: "/resource_providers?name=none-such", version: "1.15", headers: { accept: "application/json;q=0.5, text/html" } },
      { method: "POST", path: "/resource_providers", version: "latest", raw: '{"name": "x"}', headers: { "content-type": "text/plain" } },
      { method: "POST", path: "/resource_providers", version: "latest", raw: "", headers: { "content-type": "application/json" } },
    );
  });
});
