import { defineConfig } from "vitest/config";

// Differential tests against the reference implementation; see test/diff/harness.ts.
export default defineConfig({
  test: { include: ["test/diff/**/*.diff.ts"], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
});
