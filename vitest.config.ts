import { defineConfig } from "vitest/config";

// What spans folders: the fleet as compiled processes with real OPA.
const fleet = {
  globalSetup: ["test/global-setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 180_000,
};
// Tests that kill and restart a Kafka broker (a JVM starved of CPU by a neighbouring test misses
// its own deadlines), and the prefilter's flood and partition tests (they keep both cores busy and
// would starve the deadlines of others): these run last, one file at a time.
// (The TLS/SCRAM test starts a broker of its own but never stops it mid-test: it runs with the fleet's.)
const kafka = [
  "test/kafka.e2e.test.ts",
  "test/kafka-broker.test.ts",
  "test/prefilter-*.e2e.test.ts",
  "test/replicas.e2e.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "dist/**", "test/**"],
          // Two files at a time even on two cores: a fleet test mostly waits on processes and servers.
          maxWorkers: 2,
        },
      },
      { test: { name: "fleet", include: ["test/**/*.test.ts"], exclude: kafka, maxWorkers: 2, ...fleet } },
      {
        test: { name: "kafka", include: kafka, maxWorkers: 1, sequence: { groupOrder: 1 }, ...fleet },
      },
    ],
  },
});
