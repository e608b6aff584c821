// The error-code catalog and docs/errors.md list the same codes.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { ErrorCodes } from "../../src/http/errors.js";

it("documents every error code, and only those", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const documented = [...doc.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((m) => m[1]).sort();
  expect(documented).toEqual(Object.values(ErrorCodes).sort());
});
