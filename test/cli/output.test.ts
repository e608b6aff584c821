// The openstack CLI's output conventions through real commands against an in-process Berth:
// formats, -c, sorting, widths, and the commands osc-placement has (resource class set/create,
// resource provider inventory class set).
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { useTarget } from "../client/target.js";
import { runner, type RunOptions } from "./run.js";

const target = useTarget();
const run = (o: RunOptions = {}) => runner(() => ({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token }, ...o }));
const berth = run();

const p = `o${crypto.randomUUID().slice(0, 6)}`;
let a = "";
let b = "";
beforeAll(async () => {
  a = (await berth("resource", "provider", "create", `${p}-a`, "-f", "value", "-c", "uuid")).out.trim();
  b = (await berth("resource", "provider", "create", `${p}-b`, "--parent-provider", a, "-f", "value", "-c", "uuid")).out.trim();
});
const tree = (...more: string[]) => berth("resource", "provider", "list", "--in-tree", a, ...more);

describe("list formats", () => {
  it("is a table by default, also when stdout is not a terminal", async () => {
    const r = await tree("-c", "name", "-c", "generation", "--sort-column", "name");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        "+-----------+------------+",
        "| name      | generation |",
        "+-----------+------------+",
        `| ${p}-a |          0 |`,
        `| ${p}-b |          0 |`,
        "+-----------+------------+",
        "",
      ].join("\n"),
    );
  });

  it("value, csv (each --quote), json (--noindent) and yaml, with -c and sorting", async () => {
    expect((await tree("-f", "value", "-c", "name", "--sort-column", "name", "--sort-descending")).out).toBe(`${p}-b\n${p}-a\n`);
    expect((await tree("-f", "value", "-c", "name", "-c", "parent_provider_uuid", "--sort-column", "parent_provider_uuid")).out).toBe(
      `${p}-b ${a}\n${p}-a None\n`,
    );
    const csv = (...q: string[]) => tree("-f", "csv", "-c", "name", "-c", "generation", "-c", "parent_provider_uuid", "--sort-column", "name", ...q);
    expect((await csv()).out).toBe(`"name","generation","parent_provider_uuid"\n"${p}-a",0,""\n"${p}-b",0,"${a}"\n`);
    expect((await csv("--quote", "minimal")).out).toBe(`name,generation,parent_provider_uuid\n${p}-a,0,\n${p}-b,0,${a}\n`);
    expect((await csv("--quote", "all")).out).toBe(`"name","generation","parent_provider_uuid"\n"${p}-a","0",""\n"${p}-b","0","${a}"\n`);
    expect((await tree("-f", "json", "--noindent", "-c", "name", "-c", "generation", "--sort-column", "name")).out).toBe(
      `[{"name": "${p}-a", "generation": 0}, {"name": "${p}-b", "generation": 0}]\n`,
    );
    const indented = await tree("-f", "json", "-c", "name", "--sort-column", "name");
    expect(indented.out).toBe(`[\n  {\n    "name": "${p}-a"\n  },\n  {\n    "name": "${p}-b"\n  }\n]\n`);
    const yaml = await tree("-f", "yaml", "-c", "uuid", "-c", "name", "--sort-column", "name");
    // Keys sorted within each item, as PyYAML dumps them.
    expect(yaml.out).toBe(`- name: ${p}-a\n  uuid: ${a}\n- name: ${p}-b\n  uuid: ${b}\n`);
  });

  it("refuses what cliff refuses: shell on lists, unknown columns, both sort directions", async () => {
    const shell = await tree("-f", "shell");
    expect(shell.code).toBe(2);
    expect(shell.err).toContain("Allowed choices are table, json, yaml, value, csv");
    const col = await tree("-c", "nope");
    expect(col.code).toBe(1);
    expect(col.err).toBe(
      "berth: No recognized column names in ['nope']. Recognized columns are ('uuid', 'name', 'generation', 'root_provider_uuid', 'parent_provider_uuid').\n",
    );
    expect((await tree("--sort-ascending", "--sort-descending")).code).toBe(2);
    // An unknown sort column is ignored, as cliff ignores it.
    expect((await tree("-f", "value", "-c", "name", "--sort-column", "nope", "--sort-column", "name")).out).toBe(`${p}-a\n${p}-b\n`);
  });

  it("fits --max-width, CLIFF_MAX_TERM_WIDTH or the terminal, and prints empty lists as cliff does", async () => {
    const narrow = await tree("-c", "uuid", "-c", "name", "--max-width", "30");
    for (const line of narrow.out.trimEnd().split("\n")) expect(line.length).toBeLessThanOrEqual(30);
    // 30 columns: the name keeps its 9, the uuid gets what is left (30 - 1 - 2 * 3 - 9 = 14) and
    // wraps as textwrap breaks a long word: after the last hyphen that fits.
    expect(narrow.out).toContain(`| ${a.slice(0, 14)} | ${p}-a |\n| ${a.slice(14, 24)}     |           |\n| ${a.slice(24)}   |           |\n`);
    const env = await run({ env: { OS_ENDPOINT: target().url, OS_TOKEN: target().token, CLIFF_MAX_TERM_WIDTH: "30" } })(
      "resource",
      "provider",
      "list",
      "--in-tree",
      a,
      "-c",
      "uuid",
      "-c",
      "name",
    );
    expect(env.out).toBe(narrow.out);
    const terminal = await run({ tty: true, columns: 30 })("resource", "provider", "list", "--in-tree", a, "-c", "uuid", "-c", "name");
    expect(terminal.out).toBe(narrow.out);
    const wide = await tree("-c", "uuid", "-c", "name");
    expect(wide.out).toContain(`| ${a} | ${p}-a |`);

    const none = await berth("resource", "provider", "list", "--name", `${p}-none`);
    expect(none.out).toBe("\n");
    expect((await berth("resource", "provider", "list", "--name", `${p}-none`, "-c", "name", "--print-empty")).out).toBe(
      "+------+\n| name |\n+------+\n+------+\n",
    );
    expect((await berth("resource", "provider", "list", "--name", `${p}-none`, "-f", "json")).out).toBe("[]\n");
  });
});

describe("one-object formats", () => {
  it("Field/Value table, shell with --prefix, value, json, yaml in the command's field order", async () => {
    const show = (...more: string[]) => berth("resource", "provider", "show", b, ...more);
    const t = await show("-c", "name", "-c", "parent_provider_uuid");
    expect(t.out).toBe(
      [
        "+----------------------+--------------------------------------+",
        "| Field                | Value                                |",
        "+----------------------+--------------------------------------+",
        `| name                 | ${p}-b${" ".repeat(36 - p.length - 2)} |`,
        `| parent_provider_uuid | ${a} |`,
        "+----------------------+--------------------------------------+",
        "",
      ].join("\n"),
    );
    expect((await show("-f", "shell", "--prefix", "rp_", "-c", "name", "-c", "generation")).out).toBe(`rp_name="${p}-b"\nrp_generation="0"\n`);
    expect((await show("-f", "value", "-c", "uuid", "-c", "name")).out).toBe(`${b}\n${p}-b\n`);
    expect((await show("-f", "json", "--noindent", "-c", "name", "-c", "generation")).out).toBe(`{"name": "${p}-b", "generation": 0}\n`);
    const yaml = (await show("-f", "yaml")).out;
    expect(yaml.split("\n")[0]).toBe(`uuid: ${b}`);
    expect(parse(yaml)).toMatchObject({ uuid: b, name: `${p}-b`, parent_provider_uuid: a });
    const csv = await show("-f", "csv");
    expect(csv.code).toBe(2);
  });

  it("a tree is a drawing, JSON or YAML", async () => {
    expect((await berth("resource", "provider", "tree", a, "-f", "value")).code).toBe(2);
    expect(parse((await berth("resource", "provider", "tree", a, "-f", "yaml")).out)).toMatchObject({ uuid: a, children: [{ uuid: b }] });
  });
});

describe("osc-placement's commands", () => {
  it("resource class create prints what it made; set creates or accepts, and needs 1.7", async () => {
    const rc = `CUSTOM_${p.toUpperCase()}`;
    const made = await berth("resource", "class", "create", rc);
    expect(made.code).toBe(0);
    expect(made.out).toContain(`| name  | ${rc} |`);
    expect((await berth("resource", "class", "create", `${rc}_2`, "-f", "value")).out).toBe(`${rc}_2\n`);
    const again = await berth("resource", "class", "create", rc);
    expect(again.code).toBe(1);
    expect(again.err).toContain("409 Conflict");

    const set = await berth("resource", "class", "set", `${rc}_3`);
    expect(set).toMatchObject({ code: 0, out: "" });
    expect((await berth("resource", "class", "set", `${rc}_3`)).code).toBe(0);
    expect((await berth("resource", "class", "show", `${rc}_3`, "-f", "value")).out).toBe(`${rc}_3\n`);
    const old = await berth("--os-placement-api-version", "1.6", "resource", "class", "set", `${rc}_4`);
    expect(old.code).toBe(1);
    expect(old.err).toContain("1.7");
    expect((await berth("resource", "class", "delete", "-f", "json", rc)).code).toBe(2); // delete prints nothing, so takes no -f
    for (const n of [rc, `${rc}_2`, `${rc}_3`]) expect((await berth("resource", "class", "delete", n)).code).toBe(0);
  });

  it("resource provider inventory class set changes one class and keeps the others", async () => {
    await berth("resource", "provider", "inventory", "set", a, "--resource", "VCPU=8", "--resource", "MEMORY_MB=1024");
    const set = await berth(
      "resource",
      "provider",
      "inventory",
      "class",
      "set",
      a,
      "DISK_GB",
      "--total",
      "100",
      "--reserved",
      "5",
      "--allocation_ratio",
      "1.5",
      "-f",
      "json",
    );
    expect(set.code).toBe(0);
    expect(set.json).toEqual({ allocation_ratio: 1.5, min_unit: 1, max_unit: 2147483647, reserved: 5, step_size: 1, total: 100 });
    // Floats print as Python prints them, in every format.
    const ratio = (f: string) => berth("resource", "provider", "inventory", "show", a, "VCPU", "-c", "allocation_ratio", "-f", f);
    expect((await ratio("value")).out).toBe("1.0\n");
    expect((await ratio("json")).out).toBe('{\n  "allocation_ratio": 1.0\n}\n');
    expect((await ratio("yaml")).out).toBe("allocation_ratio: 1.0\n");
    expect((await ratio("table")).out).toContain("| allocation_ratio | 1.0   |");
    const again = await berth("resource", "provider", "inventory", "class", "set", a, "VCPU", "--total", "16", "-f", "value", "-c", "total");
    expect(again.out).toBe("16\n");
    const list = (
      await berth(
        "resource",
        "provider",
        "inventory",
        "list",
        a,
        "-f",
        "value",
        "-c",
        "resource_class",
        "-c",
        "total",
        "-c",
        "used",
        "--sort-column",
        "resource_class",
      )
    ).out;
    expect(list).toBe("DISK_GB 100 0\nMEMORY_MB 1024 0\nVCPU 16 0\n");
    const missing = await berth("resource", "provider", "inventory", "class", "set", a, "VCPU");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("--total");
    const bad = await berth("resource", "provider", "inventory", "class", "set", a, "VCPU", "--total", "x");
    expect(bad.code).toBe(2);
  });
});
