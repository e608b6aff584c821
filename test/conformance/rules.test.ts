// Each rule fails on a client that breaks it (raw requests, as a careless client sends them), with
// the offending request as evidence; and the layer changes no answer when asked for no fault.
import { afterEach, describe, expect, it } from "vitest";
import { startConformance, type ConformanceServer } from "../../src/conformance/serve.js";
import { parseFaults, FaultSpecError } from "../../src/conformance/faults.js";
import { renderSummary } from "../../src/conformance/report.js";
import { verdicts } from "./flows.js";
import { first } from "@berth/client/common";

let server: ConformanceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const rid = () => `req-${crypto.randomUUID()}`;
/** A raw request: `version` undefined sends no microversion header. */
async function send(method: string, path: string, o: { version?: string; body?: unknown; requestId?: string | null } = {}) {
  const headers: Record<string, string> = { "x-auth-token": "admin", accept: "application/json" };
  if (o.version !== undefined) headers["openstack-api-version"] = `placement ${o.version}`;
  if (o.requestId !== null) headers["x-openstack-request-id"] = o.requestId ?? rid();
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(server!.url + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}
const rule = (id: string) => server!.report().rules.find((r) => r.id === id)!;

describe("rules", () => {
  it("fail on no microversion, a feature above it, a version higher than needed and no request id", async () => {
    server = await startConformance();
    await send("GET", "/traits", {}); // 1.6 operation, no header
    await send("GET", "/resource_providers?in_tree=" + crypto.randomUUID(), { version: "1.10" }); // in_tree is 1.14
    await send("GET", "/resource_providers", { version: "1.39", requestId: null });
    await send("GET", "/resource_providers", { version: "1.14", requestId: "abc" });
    expect(verdicts(server.report())).toMatchObject({
      "microversion.sent": "fail",
      "microversion.no-feature-above": "fail",
      "microversion.lowest": "fail",
      "request-id": "fail",
    });
    expect(rule("microversion.sent").evidence.map((e) => e.request)).toEqual(["GET /traits"]);
    expect(rule("microversion.no-feature-above").evidence.map((e) => e.why)).toEqual([
      "sent at 1.0 but uses operation GET /traits (1.6)",
      expect.stringMatching(/^sent at 1\.10 but uses query in_tree \(1\.14\)$/),
    ]);
    expect(rule("microversion.lowest").evidence).toEqual([
      expect.objectContaining({ version: "1.39", why: expect.stringContaining("its answer changes last at 1.23") }),
    ]);
    expect(rule("request-id").evidence.map((e) => e.why)).toEqual(["no X-OpenStack-Request-ID", 'X-OpenStack-Request-ID "abc" is not req-<uuid>']);
    expect(renderSummary(server.report())).toContain("| `microversion.sent` | **FAIL** | 4 |");
  });

  it("fail on a blind generation, a retry without a re-read, and a loop on 406", async () => {
    server = await startConformance({ maxVersion: "1.20", faults: "conflict/1" });
    const root = await send("GET", "/", {});
    expect(root.json.versions[0].max_version).toBe("1.20");
    const p = (await send("POST", "/resource_providers", { version: "1.20", body: { name: "blind" } })).json;
    const inv = { resource_provider_generation: 7, inventories: { VCPU: { total: 1 } } };
    const path = `/resource_providers/${p.uuid}/inventories`;
    for (let i = 0; i < 2; i++) expect((await send("PUT", path, { version: "1.20", body: inv })).status).toBe(409);
    for (let i = 0; i < 3; i++) {
      const refused = await send("GET", path, { version: "1.30" });
      expect(refused.status).toBe(406);
      expect(refused.json.errors[0]).toMatchObject({
        max_version: "1.20",
        min_version: "1.0",
        detail: expect.stringContaining("Unacceptable version header: 1.30"),
      });
    }
    expect(verdicts(server.report())).toMatchObject({ "generations.from-read": "fail", "generations.retry": "fail", "microversion.handles-406": "fail" });
    expect(first(rule("generations.from-read").evidence).why).toMatch(/^sent generation 7 for rp .* which no earlier answer showed \(shown: 0\)/);
    expect(first(rule("generations.retry").evidence).why).toMatch(/without reading rp:/);
    expect(first(rule("microversion.handles-406").evidence).why).toMatch(/3 refusals in a row .* a loop/);
  });

  it("fail on a POST re-sent after its connection dropped", async () => {
    server = await startConformance({ faults: "drop/2" });
    await send("GET", "/", {});
    await expect(send("POST", "/resource_providers", { version: "1.20", body: { name: "twice" } })).rejects.toThrow();
    await send("POST", "/resource_providers", { version: "1.20", body: { name: "twice" } });
    expect(rule("survives-503").verdict).toBe("fail");
    expect(first(rule("survives-503").evidence).why).toMatch(/^POST re-sent after its connection dropped/);
  });

  it("change no answer without faults, and answer `latest` at the lowered maximum", async () => {
    server = await startConformance();
    const a = await send("GET", "/", { version: "latest" });
    expect(a.json.versions[0].max_version).toBe("1.39");
    expect(a.headers.get("openstack-api-version")).toBe("placement 1.39");
    await server.close();
    server = await startConformance({ maxVersion: "1.25" });
    const b = await send("GET", "/resource_providers", { version: "latest" });
    expect(b.status).toBe(200);
    expect(b.headers.get("openstack-api-version")).toBe("placement 1.25");
    expect((await send("GET", "/resource_providers", { version: "1.26" })).status).toBe(406);
    const report = await fetch(`${server.url}/_conformance/report`).then((r) => r.json());
    expect(report.client.requests).toBe(2);
  });

  it("parse fault specs and refuse unknown ones", () => {
    expect(parseFaults("conflict/3,unavailable-first-get,drop~0.1,old-node@1.20/4,seed=7")).toEqual({
      conflict: { every: 3 },
      unavailableFirstGet: true,
      drop: { probability: 0.1 },
      oldNode: { max: "1.20", rate: { every: 4 } },
      seed: 7,
    });
    expect(() => parseFaults("conflict")).toThrow(FaultSpecError);
    expect(() => parseFaults("explode/2")).toThrow(/unknown fault "explode\/2"/);
  });
});
