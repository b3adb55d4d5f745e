import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "tests/**/*.test.ts"],
    // Test files start servers and databases of their own; forks isolate them and their globals.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
