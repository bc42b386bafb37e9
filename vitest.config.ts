import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Two files at a time even on two cores: a fleet test mostly waits on processes and servers.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "dist/**", "test/**"],
        },
      },
      {
        // What spans folders: the fleet as compiled processes with real OPA.
        test: {
          name: "fleet",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
