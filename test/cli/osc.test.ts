// Differential: the same command lines through the `openstack` CLI (osc-placement) and `berth`,
// both against the reference Placement, print the same bytes and exit with the same code. Skipped
// with a note where python3-openstackclient, python3-osc-placement or python3-placement is missing.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceAvailable, startReference, type Served } from "../helpers/reference.js";
import { runner } from "./run.js";

const run = promisify(execFile);
const osc = spawnSync("/usr/bin/python3", ["-c", "import openstackclient, osc_placement"], { stdio: "ignore" }).status === 0;
if (!osc) console.warn("NOTE: python3-openstackclient and python3-osc-placement are not installed; the openstack CLI comparison is skipped");
const available = osc && referenceAvailable("the openstack CLI comparison");

const dir = mkdtempSync(join(tmpdir(), "berth-osc-"));
let ref: Served | undefined;
const env = () => ({ OS_AUTH_TYPE: "admin_token", OS_ENDPOINT: ref!.base, OS_TOKEN: "admin", OS_PLACEMENT_API_VERSION: "1.39", HOME: dir });
const berth = runner(() => ({ env: env(), cwd: dir, home: dir }));

async function openstack(argv: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run("openstack", argv, { env: { PATH: process.env.PATH, ...env() } });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

let rp = "";
let consumer = "";
beforeAll(async () => {
  if (!available) return;
  ref = await startReference(`sqlite:////${join(dir, "db.sqlite")}`, dir);
  rp = (await berth("resource", "provider", "create", "osc-compute-1", "-f", "value", "-c", "uuid")).out.trim();
  await berth("resource", "provider", "create", "osc-nic-0", "--parent-provider", rp);
  await berth("resource", "provider", "inventory", "set", rp, "--resource", "VCPU=8", "--resource", "MEMORY_MB=4096", "--resource", "VCPU:allocation_ratio=1.5");
  await berth("resource", "provider", "trait", "set", rp, "--trait", "HW_CPU_X86_AVX2", "--trait", "HW_CPU_X86_SSE");
  consumer = crypto.randomUUID();
  await berth("resource", "provider", "allocation", "set", consumer, "--allocation", `rp=${rp},VCPU=2`, "--project-id", "p", "--user-id", "u", "--consumer-type", "INSTANCE");
}, 120_000);
afterAll(async () => ref?.stop());

// Command lines; RP and CONSUMER are replaced by the provider's and the consumer's uuids.
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
  "resource provider inventory class set RP VCPU --total 16 --allocation_ratio 2.5",
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
    const argv = line.replace("RP", rp).replace("CONSUMER", consumer).split(" ");
    const [o, b] = [await openstack(argv), await berth(...argv)];
    expect({ code: b.code, out: b.out }).toEqual(o);
  });
});

describe.skipIf(!available)("berth and the openstack CLI exit alike", () => {
  it("1 without connection settings or with a cloud that is not there; 2 for an incomplete command", async () => {
    const unset = { PATH: process.env.PATH!, HOME: dir };
    const exit = (argv: string[], e: Record<string, string>) => run("openstack", argv, { env: e, cwd: dir }).then(() => 0, (err: { code: number }) => err.code);
    const mine = async (argv: string[], e: Record<string, string>) => (await runner(() => ({ env: e, cwd: dir, home: dir }))(...argv)).code;
    // NOTE: the openstack CLI checks its auth settings before the command's arguments, so the
    // incomplete commands are compared with a connection.
    const cases: [string[], Record<string, string>][] = [
      [["resource", "class", "list"], unset],
      [["--os-cloud", "nope", "resource", "class", "list"], unset],
      [["resource"], unset],
      [["resource", "provider", "show"], { ...unset, ...env() }],
      [["resource", "provider", "list", "-f", "csv", "--quote", "sometimes"], { ...unset, ...env() }],
    ];
    for (const [argv, e] of cases) expect({ argv, code: await mine(argv, e) }).toEqual({ argv, code: await exit(argv, e) });
  }, 180_000);
});
