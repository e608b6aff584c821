// CORS, only when [cors] allowed_origin is set; answers as the reference's oslo.middleware does.
import { expect, it } from "vitest";
import { useApi } from "../helpers/api.js";
import { describeEachDb } from "../helpers/databases.js";

const cors = {
  cors: { allowed_origin: "https://a.example", allow_headers: "X-Auth-Token,OpenStack-API-Version", expose_headers: "x-openstack-request-id", max_age: "60" },
};

describeEachDb("CORS enabled", (dialect) => {
  const api = useApi(dialect, cors);

  it("answers an allowed preflight", async () => {
    const r = await api().request("OPTIONS", "/resource_providers", {
      token: null,
      headers: { origin: "https://a.example", "access-control-request-method": "GET", "access-control-request-headers": "x-auth-token" },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(r.headers.get("access-control-allow-credentials")).toBe("true");
    expect(r.headers.get("access-control-max-age")).toBe("60");
    expect(r.headers.get("access-control-allow-methods")).toBe("GET");
    expect(r.headers.get("access-control-allow-headers")).toBe("x-auth-token");
    expect(r.headers.get("vary")).toBe("Origin");
  });

  it.each([
    [{ origin: "https://b.example", "access-control-request-method": "GET" }],
    [{ origin: "https://a.example", "access-control-request-method": "GET", "access-control-request-headers": "x-foo" }],
    [{ origin: "https://a.example", "access-control-request-method": "BREW" }],
  ])("answers a refused preflight with 200 and no CORS headers", async (headers) => {
    const r = await api().request("OPTIONS", "/resource_providers", { token: null, headers });
    expect(r.status).toBe(200);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("decorates simple requests from an allowed origin", async () => {
    const r = await api().get("/", { headers: { origin: "https://a.example" } });
    expect(r.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(r.headers.get("access-control-expose-headers")).toBe("x-openstack-request-id");
    expect(r.headers.get("vary")).toMatch(/openstack-api-version,\s*Origin/);
    const other = await api().get("/", { headers: { origin: "https://b.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describeEachDb("CORS disabled", (dialect) => {
  const api = useApi(dialect);
  it("adds nothing and treats OPTIONS as any other method", async () => {
    const r = await api().request("OPTIONS", "/resource_providers", {
      headers: { origin: "https://a.example", "access-control-request-method": "GET" },
    });
    expect(r.status).toBe(405);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });
});
