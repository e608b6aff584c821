// What the layer rules of .dependency-cruiser.cjs (run by `npm test` over dist/) cannot see: the
// tests and the benchmarks, which are never compiled there.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { at } from "@berth/client/common";

const ROOT = new URL("../..", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const imports = (file: string) => [...readFileSync(join(ROOT, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => at(m, 1));

describe("layers the dependency rules do not see", () => {
  it("no test imports from bench/", () => {
    const offenders = files("test").flatMap((f) =>
      imports(f)
        .filter((i) => /(^|\/)bench\//.test(i))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("no test or benchmark imports a compiled dist/ (they import the sources, by name or by path)", () => {
    const offenders = [...files("test"), ...files("bench")].flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith(".") && /^(packages\/[^/]+\/)?dist\//.test(relative(ROOT, join(ROOT, dirname(f), i))))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("the SDK's tests and the CLI's reach the server only through its front door or the SDK's test server", () => {
    const offenders = [...files("test/client"), ...files("test/cli")].flatMap((f) =>
      imports(f)
        .filter((i) => /\.\.\/\.\.\/src\/(objects|db|handlers)\//.test(i))
        .map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });
});
