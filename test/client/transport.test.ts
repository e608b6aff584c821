// Negotiation through the transport: GET / once, the version header per call, overrides, query encoding.
import { describe, expect, it } from "vitest";
import { PlacementClient } from "../../packages/client/src/client.js";
import { NotFoundError } from "../../packages/client/src/errors.js";
import { MicroversionError } from "../../packages/client/src/versions.js";
import { queryString } from "../../packages/client/src/transport.js";
import { at } from "@berth/client/common";

// A scripted fetch standing in for the network (the HTTP behaviour itself is tested against servers).
function scripted(max = "1.39") {
  const calls: { method: string; url: string; version: string | null; body?: string }[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push({ method: init?.method ?? "GET", url, version: headers.get("openstack-api-version"), body: init?.body as string });
    const path = new URL(url).pathname;
    if (path === "/") return Response.json({ versions: [{ id: "v1.0", min_version: "1.0", max_version: max, status: "CURRENT", links: [] }] });
    if (path.startsWith("/resource_providers/missing"))
      return Response.json(
        { errors: [{ status: 404, title: "Not Found", detail: "x\n\n No resource provider with uuid missing found  ", request_id: "req-9" }] },
        { status: 404 },
      );
    if (path === "/resource_providers") return Response.json({ resource_providers: [] });
    if (path === "/allocation_candidates") return Response.json({ allocation_requests: [], provider_summaries: {} });
    return new Response(null, { status: 204 });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

describe("the transport", () => {
  it("reads the server range once and sends each call at the lowest version it needs", async () => {
    const s = scripted();
    const c = new PlacementClient({ endpoint: "http://p/", token: "admin", fetch: s.fetch });
    await c.providers.list({ memberOf: ["agg"] });
    await c.providers.list({ required: ["!A"] });
    await c.allocationCandidates.list({ resources: { VCPU: 1 }, inTree: "t" });
    await c.allocationCandidates.list({ resources: { VCPU: 1 }, anyOf: [["A", "B"]] });
    expect(s.calls.filter((x) => new URL(x.url).pathname === "/")).toHaveLength(1);
    expect(s.calls.slice(1).map((x) => x.version)).toEqual(["placement 1.23", "placement 1.23", "placement 1.34", "placement 1.39"]);
    expect(at(s.calls, 1).url).toBe("http://p/resource_providers?member_of=agg");
  });

  it("uses the client's pinned version, and a per-call one over it", async () => {
    const s = scripted();
    const c = new PlacementClient({ endpoint: "http://p", token: "admin", fetch: s.fetch, version: "1.30" });
    await c.providers.list();
    await c.providers.list({}, { version: "1.14" });
    expect(s.calls.slice(1).map((x) => x.version)).toEqual(["placement 1.30", "placement 1.14"]);
    await expect(c.allocationCandidates.list({ resources: { VCPU: 1 }, sameSubtree: [["_A"]] })).rejects.toThrow(MicroversionError);
  });

  it("refuses features the server is too old for before sending anything", async () => {
    const s = scripted("1.30");
    const c = new PlacementClient({ endpoint: "http://p", token: "admin", fetch: s.fetch });
    await expect(c.allocationCandidates.list({ resources: { VCPU: 1 }, inTree: "t" })).rejects.toThrow(
      "the server supports microversions up to 1.30, but candidatesInTree needs 1.31",
    );
    expect(s.calls).toHaveLength(1);
  });

  it("turns error replies into typed errors", async () => {
    const c = new PlacementClient({ endpoint: "http://p", token: "admin", fetch: scripted().fetch });
    await expect(c.providers.get("missing")).rejects.toMatchObject({
      constructor: NotFoundError,
      message: "No resource provider with uuid missing found",
      requestId: "req-9",
    });
  });
});

describe("queryString", () => {
  it("repeats array parameters and skips undefined ones", () => {
    expect(queryString({ a: ["1", "2"], b: undefined, c: "x y" })).toBe("?a=1&a=2&c=x+y");
    expect(queryString({})).toBe("");
  });
});
