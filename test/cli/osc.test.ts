// Differential: the same command lines through the `openstack` CLI (osc-placement) and `berth`,
// both against the reference Placement, print the same bytes and exit with the same code. Skipped
// with a note where python3-openstackclient, python3-osc-placement or python3-placement is missing.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceAvailable, startReference, type Served } from "../helpers/reference.js";
import { runner } from "./run.js";

const osc = spawnSync("/usr/bin/python3", ["-c", "import openstackclient, osc_placement"], { stdio: "ignore" }).status === 0;
if (!osc) console.warn("NOTE: python3-openstackclient and python3-osc-placement are not installed; the openstack CLI comparison is skipped");
const available = osc && referenceAvailable("the openstack CLI comparison");

const dir = mkdtempSync(join(tmpdir(), "berth-osc-"));
let ref: Served | undefined;
const env = () => ({ OS_AUTH_TYPE: "admin_token", OS_ENDPOINT: ref!.base, OS_TOKEN: "admin", OS_PLACEMENT_API_VERSION: "1.39", HOME: dir });
const berth = runner(() => ({ env: env(), cwd: dir, home: dir }));

// NOTE: the openstack CLI takes seconds to start; one Python process runs every command line
// through its entry point (openstackclient.shell.main), capturing what each prints and returns.
const BATCH = `
import contextlib, io, json, sys
from openstackclient import shell
results = []
for argv in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = shell.main(argv)
        except SystemExit as e:
            code = e.code
    results.append({"code": code, "out": out.getvalue()})
sys.stdout.write(json.dumps(results))
`;
import { at } from "@berth/client/common";

/** Exit code and stdout of `openstack <argv>` for each command line, with this environment. */
function openstack(argvs: string[][], environment: Record<string, string>): Promise<{ code: number; out: string }[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "/usr/bin/python3",
      ["-c", BATCH],
      { env: { PATH: process.env.PATH, ...environment }, cwd: dir, maxBuffer: 1 << 24 },
      (e, stdout, stderr) => (e ? reject(new Error(`${e.message}: ${stderr}`)) : resolve(JSON.parse(stdout))),
    );
    child.stdin!.end(JSON.stringify(argvs));
  });
}

let rp = "";
let consumer = "";
const expected = new Map<string, { code: number; out: string }>();
beforeAll(async () => {
  if (!available) return;
  ref = await startReference(`sqlite:////${join(dir, "db.sqlite")}`, dir);
  rp = (await berth("resource", "provider", "create", "osc-compute-1", "-f", "value", "-c", "uuid")).out.trim();
  await berth("resource", "provider", "create", "osc-nic-0", "--parent-provider", rp);
  await berth(
    "resource",
    "provider",
    "inventory",
    "set",
    rp,
    "--resource",
    "VCPU=8",
    "--resource",
    "MEMORY_MB=4096",
    "--resource",
    "VCPU:allocation_ratio=1.5",
  );
  await berth("resource", "provider", "trait", "set", rp, "--trait", "HW_CPU_X86_AVX2", "--trait", "HW_CPU_X86_SSE");
  consumer = crypto.randomUUID();
  await berth(
    "resource",
    "provider",
    "allocation",
    "set",
    consumer,
    "--allocation",
    `rp=${rp},VCPU=2`,
    "--project-id",
    "p",
    "--user-id",
    "u",
    "--consumer-type",
    "INSTANCE",
  );
  // The openstack CLI runs the lines first; berth's then repeat them on the same data (they only read).
  const results = await openstack(LINES.map(argvOf), env());
  LINES.forEach((line, i) => expected.set(line, at(results, i)));
}, 180_000);
afterAll(async () => ref?.stop());

// Command lines that only read; RP and CONSUMER are replaced by the provider's and the consumer's uuids.
const argvOf = (line: string) => line.replace("RP", rp).replace("CONSUMER", consumer).split(" ");

const LINES = [
  "resource provider list --sort-column name",
  "resource provider list --sort-column name --sort-descending -f value",
  "resource provider list -f csv --sort-column name",
  "resource provider list -f csv --quote minimal --sort-column name",
  "resource provider list -f json --sort-column name",
  "resource provider list -f json --noindent --sort-column name -c name -c generation",
  "resource provider list -f yaml --sort-column name",
  "resource provider list --max-width 50 --sort-column name",
  "resource provider list --name nothing",
  "resource provider list --name nothing --print-empty",
  "resource provider list -c nope",
  "resource provider list -f shell",
  "resource provider list --bogus",
  "resource provider show RP",
  "resource provider show RP --allocations -f json",
  "resource provider show RP -f shell --prefix rp_",
  "resource provider show RP -f yaml",
  "resource provider show RP -f value -c name -c generation",
  "resource provider inventory list RP",
  "resource provider inventory list RP -f json",
  "resource provider inventory show RP VCPU",
  "resource provider trait list RP -f value",
  "resource provider usage show RP",
  "resource provider allocation show CONSUMER",
  "resource provider allocation show CONSUMER -f yaml",
  "resource class show VCPU -f shell",
  "resource class show CUSTOM_NOPE",
  "trait list --name startswith:HW_CPU_X86_SS -f value --sort-column name",
  "allocation candidate list --resource VCPU=1",
];

describe.skipIf(!available)("berth and the openstack CLI print the same", () => {
  it.each(LINES)("%s", async (line) => {
    const b = await berth(...argvOf(line));
    expect({ code: b.code, out: b.out }).toEqual(expected.get(line));
  });

  it("resource provider inventory class set (each on the same inventory: the second sets the same values)", async () => {
    const argv = argvOf("resource provider inventory class set RP VCPU --total 16 --allocation_ratio 2.5");
    const [theirs] = await openstack([argv], env());
    const b = await berth(...argv);
    expect({ code: b.code, out: b.out }).toEqual(theirs);
  });
});

describe.skipIf(!available)("berth and the openstack CLI exit alike", () => {
  it("1 without connection settings or with a cloud that is not there; 2 for an incomplete command", async () => {
    const mine = async (argv: string[], e: Record<string, string>) => (await runner(() => ({ env: e, cwd: dir, home: dir }))(...argv)).code;
    const unset = { HOME: dir };
    const unconnected = [["resource", "class", "list"], ["--os-cloud", "nope", "resource", "class", "list"], ["resource"]];
    // NOTE: the openstack CLI checks its auth settings before the command's arguments, so the
    // incomplete commands are compared with a connection.
    const incomplete = [
      ["resource", "provider", "show"],
      ["resource", "provider", "list", "-f", "csv", "--quote", "sometimes"],
    ];
    for (const [argvs, e] of [
      [unconnected, unset],
      [incomplete, { ...unset, ...env() }],
    ] as const) {
      const theirs = await openstack(argvs as string[][], e);
      for (const [i, argv] of argvs.entries()) expect({ argv, code: await mine(argv as string[], e) }).toEqual({ argv, code: at(theirs, i).code });
    }
  }, 120_000);
});
