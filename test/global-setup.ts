// Once per test run, before any test file: tests that run `berth serve` start the compiled
// bin/berth.js (dist/, and packages/*/dist/ through the workspace links), so every package is
// brought up to date here (`tsc -b` rebuilds only what changed; a no-op takes about half a second).
// Building in the test files themselves raced: one file's build rewrote dist/ while another file's
// server loaded it. Tests themselves import the packages' sources (vitest.config.ts).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir: string, ext: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  execFileSync("npx", ["tsc", "-b", "tsconfig.build.json"], { stdio: "inherit" });
  // The dashboard's bundle (dist/ui/, served by the app): rebuilt when a file of ui/ is newer.
  const page = existsSync("dist/ui/index.html") ? statSync("dist/ui/index.html").mtimeMs : 0;
  if (Math.max(newest("ui", ".ts"), newest("ui", ".css"), newest("ui", ".html")) > page) execFileSync("node", ["scripts/build-ui.mjs"], { stdio: "inherit" });
}
