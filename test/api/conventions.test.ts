// HTTP conventions every endpoint shares: versions, errors, request ids, auth, 404/405.
import { expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";

describeEachDb("conventions", (dialect) => {
  const api = useApi(dialect);

  it("serves the version document at / without a token", async () => {
    const r = await api().get("/", { token: null, version: "1.5" });
    expect(r.status).toBe(200);
    expect(r.body.versions[0]).toMatchObject({ id: "v1.0", min_version: "1.0", max_version: "1.39", status: "CURRENT" });
    expect(r.headers.get("openstack-api-version")).toBe("placement 1.5");
    expect(r.headers.get("vary")).toBe("openstack-api-version");
    expect(r.headers.get("x-openstack-request-id")).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it("echoes latest as the maximum version", async () => {
    const r = await api().get("/", { version: "latest" });
    expect(r.headers.get("openstack-api-version")).toBe("placement 1.39");
  });

  it("refuses versions outside the range with 406 and the range in the error", async () => {
    const r = await api().get("/resource_providers", { version: "2.0" });
    expect(r.status).toBe(406);
    expect(r.body.errors[0]).toMatchObject({ status: 406, title: "Not Acceptable", max_version: "1.39", min_version: "1.0" });
    expect(r.body.errors[0].detail).toContain("Unacceptable version header: 2.0");
    expect(r.headers.get("openstack-api-version")).toBeNull();
  });

  it("answers 400 for a malformed version", async () => {
    const r = await api().get("/resource_providers", { version: "1.x" });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].detail).toContain("invalid version string: 1.x");
  });

  it("requires a token except on /", async () => {
    const r = await api().get("/resource_providers", { token: null });
    expect(r.status).toBe(401);
    expect(r.body.title).toBe("Unauthorized");
  });

  it("answers 405 with Allow for a wrong method on a known path", async () => {
    const r = await api().request("PATCH", "/resource_providers", { version: "latest" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET, POST");
    expect(r.body.errors[0].code).toBe("placement.undefined_code");
    expect(r.headers.get("vary")).toBe("openstack-api-version");
  });

  it("answers 404 for an unknown path and for a path newer than the version", async () => {
    const a = await api().get("/nope");
    expect(a.status).toBe(404);
    expect(a.body.errors[0].detail).toBe("The resource could not be found.\n\n   ");
    expect(a.headers.get("vary")).toBeNull();
    const b = await api().get("/traits", { version: "1.5" });
    expect(b.status).toBe(404);
    expect(b.headers.get("vary")).toBe("openstack-api-version");
  });

  it("answers an Accept without JSON with the HTML 406 where the reference checks it (not on GET /)", async () => {
    const r = await api().get("/resource_providers", { headers: { accept: "text/html" } });
    expect(r.status).toBe(406);
    expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect((await api().get("/", { headers: { accept: "text/html" } })).status).toBe(200);
  });
});
