// The reference and Berth answer the conventions the same way.
import { beforeAll, describe, it } from "vitest";
import type { Hono } from "hono";
import { prepare } from "../../src/server.js";
import { testConfig } from "../../src/config.js";
import { reachable, same } from "./harness.js";

const up = await reachable();

describe.skipIf(!up)("conventions against the reference", () => {
  let app: Hono;
  beforeAll(async () => {
    ({ app } = await prepare(testConfig()));
  });

  it.each(["1.0", "1.14", "1.20", "1.37", "latest"])("root at %s", (v) => same(app, { path: "/", version: v, token: null }));
  it("bad versions", () =>
    same(
      app,
      { path: "/resource_providers", version: "2.0" },
      { path: "/resource_providers", version: "1.40" },
      { path: "/resource_providers", version: "1.x" },
      { path: "/resource_providers", version: "abc" },
      { path: "/", version: "0.9" },
    ));
  it("routing", () =>
    same(
      app,
      { path: "/nope" },
      { path: "/resource_providers/" },
      { method: "PATCH", path: "/resource_providers", version: "latest" },
      { method: "OPTIONS", path: "/resource_providers" },
      { path: "/traits", version: "1.5" },
      { method: "DELETE", path: "/resource_providers/x/inventories", version: "1.4" },
      { path: "/reshaper", version: "1.29" },
      { method: "POST", path: "/allocations", version: "1.12", body: {} },
    ));
  it("auth", () => same(app, { path: "/resource_providers", token: null }, { path: "/traits", version: "1.6", token: "bob" }));
});
