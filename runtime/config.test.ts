import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { loadConfig } from "./config.js";
import { SocError } from "./errors.js";

const Schema = z.object({
  NAME: z.string().min(2),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  MODE: z.enum(["a", "b"]).default("a"),
});

function failure(work: () => unknown): SocError {
  try {
    work();
  } catch (error) {
    if (error instanceof SocError) return error;
    throw error;
  }
  throw new Error("expected loadConfig to throw");
}

describe("loadConfig", () => {
  it("returns the parsed, coerced values with defaults", () => {
    expect(loadConfig(Schema, { NAME: "soc", PORT: "9000" })).toEqual({ NAME: "soc", PORT: 9000, MODE: "a" });
    expect(loadConfig(Schema, { NAME: "soc" })).toEqual({ NAME: "soc", PORT: 8080, MODE: "a" });
  });

  it("ignores variables the schema does not name", () => {
    expect(loadConfig(Schema, { NAME: "soc", PATH: "/usr/bin", HOME: "/root" })).toEqual({
      NAME: "soc",
      PORT: 8080,
      MODE: "a",
    });
  });

  it("reports every problem at once, one line each, naming the variable", () => {
    const error = failure(() => loadConfig(Schema, { NAME: "x", PORT: "70000", MODE: "c" }));
    expect(error.code).toBe("config_invalid");
    expect(error.retryable).toBe(false);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("invalid configuration:");
    expect(lines).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith("  NAME: "))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith("  PORT: "))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith("  MODE: "))).toHaveLength(1);
  });

  it("names a problem without a path as the environment", () => {
    const Whole = z.object({ A: z.string().optional() }).refine((env) => env.A !== undefined, "A is needed");
    const error = failure(() => loadConfig(Whole, {}));
    expect(error.message).toBe("invalid configuration:\n  (environment): A is needed");
  });

  it("reads the process environment when no environment is given", () => {
    const Probe = z.object({ SOC_TEST_LOADCONFIG_PROBE: z.string().default("absent") });
    vi.stubEnv("SOC_TEST_LOADCONFIG_PROBE", "present");
    try {
      expect(loadConfig(Probe)).toEqual({ SOC_TEST_LOADCONFIG_PROBE: "present" });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(loadConfig(Probe)).toEqual({ SOC_TEST_LOADCONFIG_PROBE: "absent" });
  });
});
