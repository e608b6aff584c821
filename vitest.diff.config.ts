import { defineConfig } from "vitest/config";
import { sourceConditions } from "./vitest.config.js";

// Differential tests against the reference implementation; see test/diff/harness.ts. One file at a
// time: they share the one reference.
export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ["test/diff/**/*.diff.ts"],
    globalSetup: ["test/diff/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
