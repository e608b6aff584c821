// accept.ts: the Accept header as webob reads it (the cases each found by asking the reference).
import { describe, expect, it } from "vitest";
import { acceptableOffers, acceptsJson, effectiveAccept, errorFormat, parseAccept } from "../../src/http/accept.js";

describe("effectiveAccept: the reference's request log", () => {
  it.each([
    [null, "application/json"],
    ["", "application/json"],
    ["*/*", "application/json"],
    ["*/* ", "*/* "],
    ["*/*;q=0.5", "*/*;q=0.5"],
    ["text/html", "text/html"],
  ])("%j is read as %j", (raw, seen) => expect(effectiveAccept(raw)).toBe(seen));
});

describe("errorFormat: webob offers HTML then JSON, else plain text", () => {
  it.each([
    ["application/json", "json"],
    ["*/*;q=0.5", "html"],
    ["text/plain", "plain"],
    ["application/xml", "plain"],
    ["text/*", "html"],
    ["application/*", "json"],
    ["application/json, text/html", "html"],
    ["text/html;q=0.5, application/json", "json"],
    ["application/json;q=0.5, text/html;q=0.4", "json"],
    ["application/*, text/html;q=0", "json"],
    ["application/json; charset=utf-8", "plain"],
    ["text/html;level=1", "plain"],
    ["TEXT/HTML", "html"],
    ["foo", "html"],
    ["application/json;q=2", "html"],
    ["application/json,,text/html", "html"],
    ["text/html, */*;q=0", "html"],
    ["*/*, text/html;q=0", "json"],
  ])("Accept: %s gives %s", (accept, format) => expect(errorFormat(accept)).toBe(format));
});

describe("acceptsJson: the handlers that check Accept", () => {
  it.each([
    ["application/json", true],
    ["application/*", true],
    ["*/*;q=0.1", true],
    ["text/html", false],
    ["application/json;q=0", false],
    ["application/json; charset=utf-8", false],
    ["text/html, application/json;q=0", false],
    ["foo", true],
    ["application/json;q=1.5", true],
  ])("Accept: %s -> %s", (accept, ok) => expect(acceptsJson(accept)).toBe(ok));

  it("keeps the offers' order on ties and drops q=0", () => {
    expect(acceptableOffers("*/*", ["text/html", "application/json"])).toEqual(["text/html", "application/json"]);
    expect(acceptableOffers("application/json;q=0.9, text/html;q=0.8", ["text/html", "application/json"])).toEqual(["application/json", "text/html"]);
    expect(acceptableOffers("text/*;q=0, text/html", ["text/html", "text/plain"])).toEqual(["text/html"]);
  });

  // NOTE: how long these take is a benchmark's question, not a test's (tests never assert on time).
  it("reads long hostile headers as webob does: a malformed one as no Accept, a valid one by its ranges", () => {
    for (const malformed of [`${"a/b;c=d".repeat(5000)}`, `${"a/b, ".repeat(20000)}x`]) {
      expect(parseAccept(malformed)).toBeUndefined();
      expect(acceptsJson(malformed)).toBe(true);
    }
    const long = `a/b;q=0.5${";e".repeat(20000)}!`;
    expect(parseAccept(long)).toHaveLength(1);
    expect(acceptsJson(long)).toBe(false);
  });
});
