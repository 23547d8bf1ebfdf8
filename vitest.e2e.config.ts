import { defineConfig } from "vitest/config";

// Browser tests (Debian's Chromium through playwright-core, against `next start`), run by
// `npm test` after the unit and integration suite, one file at a time.
export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    globalSetup: ["tests/helpers/global-setup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 360_000,
    maxWorkers: 1,
  },
});
