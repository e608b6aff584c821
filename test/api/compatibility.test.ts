// docs/compatibility.md lists every place where Berth answers differently from Placement 8.0.0 on
// purpose, each with the test that pins Berth's answer. Here: a check that every test the list names
// exists, and the pins that have no better home.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { describeEachDb } from "../helpers/databases.js";
import { useApi } from "../helpers/api.js";
import { DEFAULT_CEILING } from "../../src/objects/candidates/search.js";
import { at } from "@berth/client/common";

/** The (file, test name) pairs docs/compatibility.md names: lines `- Pinned by: \`file\` "name"[, "name"]...`. */
function pinnedTests(doc: string): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  for (const line of doc.split("\n")) {
    const m = /^\s*- Pinned by: (.*)$/.exec(line);
    if (!m) continue;
    for (const part of at(m, 1).split(/;\s*(?=`)/)) {
      const file = /`([^`]+)`/.exec(part)?.[1];
      const names = [...part.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((n) => at(n, 1).replace(/\\"/g, '"'));
      if (!file || names.length === 0) throw new Error(`docs/compatibility.md: cannot read "${part}"`);
      for (const name of names) out.push({ file, name });
    }
  }
  return out;
}

describe("docs/compatibility.md", () => {
  const doc = readFileSync("docs/compatibility.md", "utf8");

  it("names, for every difference, tests that exist", () => {
    const entries = doc.split("\n## ").slice(1);
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) expect(entry, `entry "${entry.split("\n")[0]}" names no test`).toMatch(/^\s*- Pinned by: /m);
    const missing: string[] = [];
    for (const { file, name } of pinnedTests(doc)) {
      let text = "";
      try {
        text = readFileSync(file, "utf8");
      } catch {
        missing.push(`${file} (no such file)`);
        continue;
      }
      // NOTE: the name as written in the test's source, as a string literal.
      if (![`"${name.replace(/"/g, '\\"')}"`, `'${name}'`, `\`${name}\``].some((literal) => text.includes(literal))) missing.push(`${file}: "${name}"`);
    }
    expect(missing).toEqual([]);
  });

  it("reads its own format, and would notice a test that is gone", () => {
    const fake = '## X\n\n- Pinned by: `test/api/compatibility.test.ts` "no such test"; `test/api/nope.test.ts` "a", "b"\n';
    expect(pinnedTests(fake)).toEqual([
      { file: "test/api/compatibility.test.ts", name: "no such test" },
      { file: "test/api/nope.test.ts", name: "a" },
      { file: "test/api/nope.test.ts", name: "b" },
    ]);
  });
});

describeEachDb("deliberate differences", (dialect) => {
  const api = useApi(dialect);

  it("shows the UTF-8 of a path in messages as the characters sent", async () => {
    // The reference's WSGI environment holds the path as latin-1: its message says CUSTOM_\u00c3\u0089.
    const trait = await api().get("/traits/CUSTOM_%C3%89", { version: "1.39" });
    expect(trait.body.errors[0].detail).toBe("The resource could not be found.\n\n No such trait(s): CUSTOM_\u00c9.  ");
    const rc = await api().get("/resource_classes/CUSTOM_%C3%89", { version: "1.39" });
    expect(rc.body.errors[0].detail).toBe("The resource could not be found.\n\n No such resource class CUSTOM_\u00c9.  ");
    const rp = await api().get("/resource_providers/%C3%A9", { version: "1.39" });
    expect(rp.body.errors[0].detail).toBe("The resource could not be found.\n\n No resource provider with uuid \u00e9 found  ");
  });

  it("writes JSON as Python's json.dumps does, as the reference (not a difference)", async () => {
    const root = await api().get("/");
    expect(root.text).toBe(
      '{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0", "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}]}',
    );
    const rp = await api().get("/resource_providers?member_of=%F0%9F%98%80%7F", { version: "1.39" });
    expect(rp.text).toContain(
      '"detail": "The server could not comply with the request since it is either malformed or otherwise incorrect.\\n\\n Invalid query string parameters: Expected \'member_of\' parameter to contain valid UUID(s). Got: \\ud83d\\ude00\\u007f  "',
    );
  });
});

it("stops a candidate search without limit at 100,000 candidates", () => {
  // NOTE: only the default is pinned: a request that reaches it (nine devices in nine isolated
  // groups, 362,880 candidates) answers with some 70 MB, more than a test should cost.
  expect(DEFAULT_CEILING).toBe(100_000);
});

it("prints JSON for status upgrade check --json", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-upgrade-json-"));
  try {
    const conf = join(dir, "placement.conf");
    writeFileSync(conf, `[placement_database]\nconnection = sqlite:///${join(dir, "db.sqlite")}\n`);
    const run = promisify(execFile);
    await run(process.execPath, ["bin/berth.js", "db", "sync", "--config-file", conf]);
    const { stdout } = await run(process.execPath, ["bin/berth.js", "status", "upgrade", "check", "--json", "--config-file", conf]);
    const report = JSON.parse(stdout);
    expect(report.name).toBe("Upgrade Check Results");
    expect(report.checks.map((c: { result: number }) => c.result)).toEqual([0, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
