// Once per test run, before any test file: tests that run `berth serve` start the compiled
// bin/berth.js (dist/, and packages/*/dist/ through the workspace links), so every package is
// brought up to date here (`tsc -b` rebuilds only what changed; a no-op takes about half a second).
// Building in the test files themselves raced: one file's build rewrote dist/ while another file's
// server loaded it. Tests themselves import the packages' sources (vitest.config.ts).
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync("npx", ["tsc", "-b", "tsconfig.build.json"], { stdio: "inherit" });
}
