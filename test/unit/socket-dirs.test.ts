// The claim socket directories of `berth serve --workers N` (cluster.ts): a primary killed with
// SIGKILL never removes its own, so the next primary removes those whose process is gone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { sweepSocketDirs } from "../../src/cluster.js";

const parent = mkdtempSync(join(tmpdir(), "berth-sweep-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

it("removes the directories of primaries that are gone, keeps live ones and other names", () => {
  const gone = join(parent, `berth-claims-${deadPid()}-abc123`);
  const live = join(parent, `berth-claims-${process.pid}-def456`);
  const other = join(parent, "berth-claimsX-1-zzz");
  const init = join(parent, "berth-claims-1-init");
  for (const d of [gone, live, other, init]) mkdirSync(d);
  writeFileSync(join(gone, "claims-0.sock"), "");
  expect(sweepSocketDirs(parent)).toEqual([gone]);
  expect(existsSync(gone)).toBe(false);
  // pid 1 always runs (and, for a user other than root, may not be signalled): kept either way.
  for (const d of [live, other, init]) expect(existsSync(d)).toBe(true);
});

it("finds nothing to do in a directory that does not exist", () => {
  expect(sweepSocketDirs(join(parent, "missing"))).toEqual([]);
});
