// The reference Placement installed on this machine (Debian python3-placement 8.0.0), used as a
// tool: its own alembic brings a database to one of its revisions.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/** Debian's Python, which has the reference's modules (not a pyenv one on PATH). */
export const REFERENCE_PYTHON = "/usr/bin/python3";
export const referenceInstalled = existsSync("/usr/lib/python3/dist-packages/placement/db/sqlalchemy/migration.py") && existsSync(REFERENCE_PYTHON);
if (!referenceInstalled) {
  if (process.env.CI === "true") throw new Error("the reference (python3-placement) is required under CI=true: .ci/run installs it");
  console.warn("NOTE: the reference Placement is not installed: the tests that compare with its tools are skipped");
}

// NOTE: upgrade to a given revision is alembic's; placement-manage only offers the head.
const UPGRADE_TO = `
import sys
from oslo_config import cfg
from placement import conf, db_api
from placement.db.sqlalchemy import migration
c = cfg.ConfigOpts()
conf.register_opts(c)
c(["--config-file", sys.argv[1]], project="placement", default_config_files=[])
db_api.configure(c)
migration.upgrade(sys.argv[2])
`;

/** A placement.conf naming `url`, in a new temporary directory. */
export function referenceConf(url: string, extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-ref-"));
  const file = join(dir, "placement.conf");
  writeFileSync(file, `[placement_database]\nconnection = ${url}\n${extra}`);
  return file;
}

/** Runs the reference's alembic migrations on `url` up to `revision`. */
export async function referenceUpgrade(url: string, revision: string): Promise<void> {
  await run(REFERENCE_PYTHON, ["-c", UPGRADE_TO, referenceConf(url), revision], { timeout: 120_000 });
}

/** Runs a reference command (placement-manage, placement-status) and returns what it printed. */
export async function reference(command: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 120_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
