// The operator commands' text helpers against what Python itself does (textwrap, as oslo.upgradecheck
// wraps details) and the config file search order.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { wrap, prettyTable } from "../../src/python/prettytable.js";
import { CHECKS } from "../../src/ops/upgrade-check.js";
import { ConfigError, findConfigFile } from "../../src/config.js";

const PY = "/usr/bin/python3";

describe("wrap", () => {
  const texts = [
    'There is at least one resource provider table record which misses its root provider id. Run the "berth db online_data_migrations" command.',
    'There are 12345 incomplete consumers table records for existing allocations. Run the "placement-manage db online_data_migrations" command.',
    "Your policy file is JSON-formatted which is deprecated. You need to switch to YAML-formatted file. Use the ``oslopolicy-convert-json-to-yaml`` tool to convert the existing JSON-formatted files to YAML in a backwards-compatible manner: https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html.",
    `short ${"x".repeat(130)} words after a very long one`,
    "a-b well-known x-y-z long-standing-thing  two  spaces",
  ];
  it.skipIf(!existsSync(PY))("wraps as Python's textwrap.wrap(text, 60, subsequent_indent='  ')", () => {
    const py = JSON.parse(
      execFileSync(PY, ["-c", "import json,sys,textwrap; print(json.dumps([textwrap.wrap(t, 60, subsequent_indent='  ') for t in json.load(sys.stdin)]))"], {
        input: JSON.stringify(texts),
      }).toString(),
    );
    expect(texts.map((t) => wrap(t, 60, "  "))).toEqual(py);
  });

  it("has the reference's check names, in its order", () => {
    expect(CHECKS.map((c) => c.name)).toEqual(["Missing Root Provider IDs", "Incomplete Consumers", "Policy File JSON to YAML Migration"]);
  });

  it.skipIf(!existsSync(PY))("draws tables as prettytable", () => {
    const rows = [
      ["a", 1, "odd"],
      ["even", 22, "x"],
    ];
    const py = execFileSync(
      PY,
      ["-c", "import json,sys,prettytable; t=prettytable.PrettyTable(['Name','N','Third col']); [t.add_row(r) for r in json.load(sys.stdin)]; print(t)"],
      {
        input: JSON.stringify(rows),
      },
    ).toString();
    expect(`${prettyTable(["Name", "N", "Third col"], rows)}\n`).toBe(py);
  });
});

describe("config file search", () => {
  const has =
    (...files: string[]) =>
    (f: string) =>
      files.includes(f);
  it("takes --config-file first, then $OS_PLACEMENT_CONFIG_DIR, then oslo.config's places in order", () => {
    const all = has("/h/.placement/placement.conf", "/h/placement.conf", "/etc/placement/placement.conf", "/etc/placement.conf", "/d/placement.conf");
    expect(findConfigFile({ explicit: "/x.conf", configDir: "/d", home: "/h", exists: all })).toBe("/x.conf");
    expect(findConfigFile({ configDir: "/d/", home: "/h", exists: all })).toBe("/d/placement.conf");
    expect(findConfigFile({ home: "/h", exists: all })).toBe("/h/.placement/placement.conf");
    expect(findConfigFile({ home: "/h", exists: has("/h/placement.conf", "/etc/placement/placement.conf") })).toBe("/h/placement.conf");
    expect(findConfigFile({ home: "/h", exists: has("/etc/placement/placement.conf", "/etc/placement.conf") })).toBe("/etc/placement/placement.conf");
    expect(findConfigFile({ home: "/h", exists: has("/etc/placement.conf") })).toBe("/etc/placement.conf");
    expect(findConfigFile({ home: "/h", exists: has() })).toBeUndefined();
  });
  it("refuses $OS_PLACEMENT_CONFIG_DIR without a placement.conf in it, as the reference's API", () => {
    expect(() => findConfigFile({ configDir: "/d", home: "/h", exists: has("/etc/placement/placement.conf") })).toThrow(ConfigError);
  });
});
