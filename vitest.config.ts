import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// NOTE: tests import the packages by name (@berth/client, @berth/cli, @berth/testing, berth/server)
// and get their TypeScript sources through the "@berth/source" export condition (tsconfig.test.json
// sets it too), never a dist/ that might be stale. Only `berth` processes started by tests run dist/,
// which test/global-setup.ts brings up to date first.
export const sourceConditions = ["@berth/source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
