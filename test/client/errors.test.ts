// Error replies become one class per status with the code, detail and request id.
import { describe, expect, it } from "vitest";
import {
  BadRequestError,
  ConflictError,
  errorFromReply,
  ForbiddenError,
  InternalServerError,
  NotAcceptableError,
  NotFoundError,
  NotImplementedError,
  PlacementError,
  shortDetail,
  UnauthorizedError,
} from "../../packages/client/src/errors.js";

const body = (status: number, detail: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ errors: [{ status, title: "T", detail, request_id: "req-1", ...extra }] });

describe("errorFromReply", () => {
  it.each([
    [400, BadRequestError],
    [401, UnauthorizedError],
    [403, ForbiddenError],
    [404, NotFoundError],
    [406, NotAcceptableError],
    [409, ConflictError],
    [500, InternalServerError],
    [501, NotImplementedError],
  ])("maps %i to its class", (status, cls) => {
    const e = errorFromReply(status, new Headers(), body(status, "x"));
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(PlacementError);
    expect(e.name).toBe(cls.name);
    expect(e.status).toBe(status);
  });

  it("keeps the code, the raw detail, the request id, and a message without webob's explanation", () => {
    const detail = "There was a conflict when trying to complete your request.\n\n resource provider generation conflict  ";
    const e = errorFromReply(409, new Headers(), body(409, detail, { code: "placement.concurrent_update" }), { method: "PUT", url: "/x" });
    expect(e.code).toBe("placement.concurrent_update");
    expect(e.detail).toBe(detail);
    expect(e.message).toBe("resource provider generation conflict");
    expect(e.requestId).toBe("req-1");
    expect(e.method).toBe("PUT");
    expect(e.describe()).toBe("409 T: resource provider generation conflict (placement.concurrent_update, request req-1)");
  });

  it("keeps 406's version range", () => {
    const e = errorFromReply(406, new Headers(), body(406, "bad", { min_version: "1.0", max_version: "1.39" }));
    expect(e.extra).toEqual({ min_version: "1.0", max_version: "1.39" });
  });

  it("takes the request id from the headers when the body has none, and survives a non-JSON body", () => {
    const e = errorFromReply(502, new Headers({ "openstack-request-id": "req-h" }), "<html>bad gateway</html>");
    expect(e.constructor).toBe(PlacementError);
    expect(e.requestId).toBe("req-h");
    expect(e.message).toBe("<html>bad gateway</html>");
    expect(e.code).toBeUndefined();
  });
});

describe("ConflictError.isGenerationConflict", () => {
  const conflict = (detail: string, code?: string) => errorFromReply(409, new Headers(), body(409, detail, code ? { code } : {})) as ConflictError;
  it("is true for placement.concurrent_update", () => {
    expect(conflict("x", "placement.concurrent_update").isGenerationConflict).toBe(true);
  });
  it("is false for other codes, such as inventory in use", () => {
    expect(conflict("generation", "placement.inventory.inuse").isGenerationConflict).toBe(false);
    expect(conflict("x", "placement.undefined_code").isGenerationConflict).toBe(false);
  });
  it("reads the message below 1.23, where there is no code", () => {
    expect(conflict("...\n\n resource provider generation conflict").isGenerationConflict).toBe(true);
    expect(conflict("...\n\n Unable to allocate inventory").isGenerationConflict).toBe(false);
  });
});

describe("shortDetail", () => {
  it("drops the explanation paragraph and trims", () => {
    expect(shortDetail("The resource could not be found.\n\n No resource provider with uuid x found  ")).toBe("No resource provider with uuid x found");
    expect(shortDetail("plain")).toBe("plain");
  });
});
