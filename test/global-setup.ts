// Once per test run, before any test file: tests that run `berth serve` start the compiled
// bin/berth.js (dist/), so dist/ is rebuilt here when any source file is newer than it. Building in
// the test files themselves raced: one file's build rewrote dist/ while another file's server loaded it.
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
  const built = existsSync("dist/main.js") ? statSync("dist/main.js").mtimeMs : 0;
  if (newest("src", ".ts") > built || statSync("tsconfig.json").mtimeMs > built) execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
  // The dashboard's bundle (dist/ui/, served by the app): rebuilt when a file of ui/ is newer.
  const page = existsSync("dist/ui/index.html") ? statSync("dist/ui/index.html").mtimeMs : 0;
  if (Math.max(newest("ui", ".ts"), newest("ui", ".css"), newest("ui", ".html")) > page) execFileSync("node", ["scripts/build-ui.mjs"], { stdio: "inherit" });
}
