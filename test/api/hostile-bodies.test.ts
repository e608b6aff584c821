// Bodies a broken or hostile client sends: too large (413, refused before it is all read), nested too
// deep (400 Malformed JSON), and huge but well-formed ones whose 400 explains a bounded part of them.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi, uuid } from "../helpers/api.js";
import { MAX_PFORMAT } from "../../src/python/pformat.js";
import { at } from "@berth/client/common";

const LIMIT = 4096;
const JSON_HEADERS = { "content-type": "application/json", "x-auth-token": "admin", "openstack-api-version": "placement 1.39" };

/** A body stream that counts what the server pulled from it. */
function countedStream(total: number, chunk = 1024): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new TextEncoder().encode(" ".repeat(n)));
    },
  });
  return { body, pulled: () => sent };
}

describeEachDb("hostile bodies", (dialect) => {
  const api = useApi(dialect, { api: { max_request_body_size: String(LIMIT) } });

  it("refuses a body declared larger than [api] max_request_body_size with 413 and the error body, unread", async () => {
    const stream = countedStream(10 * LIMIT);
    const res = await api().app.request("/resource_providers", {
      method: "POST",
      headers: { ...JSON_HEADERS, "content-length": String(10 * LIMIT) },
      body: stream.body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    const body = await res.json();
    expect(body).toEqual({
      errors: [
        {
          status: 413,
          title: "Request Entity Too Large",
          detail: `The body of your request was too large for this server.\n\n The request body is larger than ${LIMIT} bytes ([api] max_request_body_size).  `,
          code: "placement.undefined_code",
          request_id: res.headers.get("x-openstack-request-id"),
        },
      ],
    });
    expect(stream.pulled()).toBeLessThanOrEqual(1024);
  });

  it("refuses a body without Content-Length once it passes the limit, without reading the rest", async () => {
    const stream = countedStream(1000 * LIMIT);
    const res = await api().app.request("/resource_providers", { method: "POST", headers: JSON_HEADERS, body: stream.body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].title).toBe("Request Entity Too Large");
    expect(stream.pulled()).toBeLessThan(4 * LIMIT);
  });

  it("takes a body of exactly the limit", async () => {
    const name = `rp-${uuid()}`;
    const text = JSON.stringify({ name });
    const raw = text.slice(0, -1) + " ".repeat(LIMIT - text.length) + "}";
    expect(new TextEncoder().encode(raw).length).toBe(LIMIT);
    const res = await api().request("POST", "/resource_providers", {
      raw,
      version: "1.39",
      headers: { "content-type": "application/json", "content-length": String(LIMIT) },
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe(name);
    const over = await api().request("POST", "/resource_providers", { raw: raw + " ", version: "1.39", headers: { "content-type": "application/json" } });
    expect(over.status).toBe(413);
  });

  it("answers 400 Malformed JSON for nesting deeper than 100, where the reference's parser fails with 500", async () => {
    const deep = "[".repeat(1000) + "]".repeat(1000);
    const res = await api().request("POST", "/resource_providers", { raw: deep, version: "1.39", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toContain("Malformed JSON: Nesting deeper than 100 levels: line 1 column 101 (char 100)");
    // At the bound it parses, and fails validation as an ordinary wrong body does.
    const atBound = await api().request("POST", "/resource_providers", {
      raw: "[".repeat(100) + "]".repeat(100),
      version: "1.39",
      headers: { "content-type": "application/json" },
    });
    expect(atBound.status).toBe(400);
    expect(atBound.body.errors[0].detail).toContain("JSON does not validate: [[[[");
  });
});

describeEachDb("hostile bodies under the default limit", (dialect) => {
  const api = useApi(dialect);

  it("explains a huge invalid instance in bounded text", async () => {
    const junk = Array.from({ length: 200_000 }, (_, i) => i);
    const res = await api().post("/resource_providers", { name: "x", junk }, { version: "1.39" });
    expect(res.status).toBe(400);
    const detail: string = res.body.errors[0].detail;
    expect(detail).toContain("JSON does not validate: Additional properties are not allowed ('junk' was unexpected)");
    expect(detail.length).toBeLessThan(3 * MAX_PFORMAT);
    expect(detail).toContain("...");
  });

  it("explains a list of a million bad items by its first (as the reference's best match does)", async () => {
    const rp = (await api().post("/resource_providers", { name: `rp-${uuid()}` }, { version: "1.39" })).body;
    const traits = Array.from({ length: 1_000_000 }, () => 1);
    const res = await api().put(`/resource_providers/${rp.uuid}/traits`, { resource_provider_generation: rp.generation, traits }, { version: "1.39" });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toContain("JSON does not validate: 1 is not of type 'string'");
    expect(res.body.errors[0].detail).toContain("On instance['traits'][0]:");
  });

  it("finds a duplicate among many distinct aggregates", async () => {
    const rp = (await api().post("/resource_providers", { name: `rp-${uuid()}` }, { version: "1.39" })).body;
    const aggregates = Array.from({ length: 50_000 }, () => uuid());
    aggregates.push(at(aggregates, 123));
    aggregates.push("not-a-uuid");
    const res = await api().put(`/resource_providers/${rp.uuid}/aggregates`, { resource_provider_generation: rp.generation, aggregates }, { version: "1.39" });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].detail).toMatch(/^The server could not comply.*JSON does not validate: \[.*\.\.\. has non-unique elements/s);
  });
});
