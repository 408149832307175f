import { defineConfig } from "vitest/config";

/**
 * The suites that run against the production-shaped Placement (MariaDB, uwsgi with 4 workers,
 * Keystone): one file at a time, since each starts its own servers and the machine has 2 cores.
 */
export default defineConfig({
  test: {
    include: ["test/production/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: "forks",
    fileParallelism: false,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
