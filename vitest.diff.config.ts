import { defineConfig } from "vitest/config";

// Differential tests against the reference implementation; see test/diff/harness.ts. One file at a
// time: they share the one reference.
export default defineConfig({
  test: {
    include: ["test/diff/**/*.diff.ts"],
    globalSetup: ["test/diff/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
