// Once per differential run: the reference Placement to compare with. REF_URL names a running one;
// without it a private `placement-api` is started on a fresh SQLite file (test/helpers/reference.ts)
// and stopped after the run, so every run (one per database Berth is on) meets a reference that
// holds nothing from an earlier one. Without the reference installed the run is skipped with a
// note (an error under CI=true, where .ci/run installs it).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { referenceAvailable, startReference, type Served } from "../helpers/reference.js";

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.REF_URL) return undefined;
  if (!referenceAvailable("the differential tests (test/diff)")) {
    // NOTE: so that harness.ts skips rather than asks whatever answers on its default address.
    process.env.DIFF_NO_REFERENCE = "1";
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "berth-diff-ref-"));
  let ref: Served;
  try {
    ref = await startReference(`sqlite:///${join(dir, "placement.db")}`, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // NOTE: set before vitest starts the test processes, which inherit it (harness.ts reads REF_URL).
  process.env.REF_URL = ref.base;
  return async () => {
    await ref.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
