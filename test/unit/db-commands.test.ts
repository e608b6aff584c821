// `berth db sync` and `berth db version`, as placement-manage does them, run as commands.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const viteNode = new URL("../../node_modules/.bin/vite-node", import.meta.url).pathname;
const main = new URL("../../src/main.ts", import.meta.url).pathname;

async function berth(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(viteNode, [main, ...args], { timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

it("syncs the schema once, reports the revision, and refuses bad config with the option's name", async () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-db-"));
  const conf = join(dir, "placement.conf");
  writeFileSync(conf, `[placement_database]\nconnection = sqlite:///${join(dir, "p.sqlite")}\n`);
  expect((await berth("db", "version", "--config-file", conf)).stdout.trim()).toBe("None");
  expect((await berth("db", "sync", "--config-file", conf)).stdout).toContain("created schema at 422ece571366");
  expect((await berth("db", "sync", "--config-file", conf)).stdout).toContain("schema already at 422ece571366");
  expect((await berth("db", "version", "--config-file", conf)).stdout.trim()).toBe("422ece571366");

  writeFileSync(conf, `[placement_database]\nconnection = sqlite:///${join(dir, "p.sqlite")}\n[placement]\nallocation_conflict_retry_count = many\n`);
  const bad = await berth("serve", "--config-file", conf);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain("[placement] allocation_conflict_retry_count");
}, 120_000);
