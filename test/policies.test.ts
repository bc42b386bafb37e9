import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PolicyInput } from "../contracts/policy.js";
import { opaBinary } from "../fleet/tools/opa.js";
import { describeViolations, regalBinary, regalLint } from "../fleet/tools/regal.js";

const root = join(import.meta.dirname, "..");
let regal = "";

const opa = (...args: string[]) => execFileSync(opaBinary(), args, { cwd: root, encoding: "utf8" });

describe("the Rego in policies/, with real OPA", () => {
  it("passes opa test with --fail-on-empty at ≥ 95 % coverage", () => {
    const report = JSON.parse(
      opa("test", "policies/", "--ignore", "kyverno", "--fail-on-empty", "--coverage", "--threshold", "95"),
    ) as { coverage: number };
    expect(report.coverage).toBeGreaterThanOrEqual(95);
    expect(opa("test", "policies/", "--ignore", "kyverno", "--fail-on-empty", "-v")).toMatch(
      /PASS: \d+\/\d+/,
    );
  });

  it("is strict-checked and formatted", () => {
    expect(() => opa("check", "--strict", "--ignore", "kyverno", "policies/")).not.toThrow();
    expect(opa("fmt", "--list", "--fail", "policies/").trim()).toBe("");
  });
});

// Built from its Go module on a machine's first run (about a minute), cached afterwards.
beforeAll(() => {
  regal = regalBinary((line) => process.stdout.write(`${line}\n`));
}, 300_000);

describe("Regal on policies/", () => {
  it("finds no violations", () => {
    const report = regalLint("policies/", root, regal);
    expect(describeViolations(report.violations)).toEqual([]);
    expect(report.summary.files_scanned).toBeGreaterThanOrEqual(10);
  });

  it("does find them in Rego that breaks its rules, so a clean report means something", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "soc-regal-")), "policies");
    cpSync(join(root, "policies"), dir, { recursive: true });
    // A rule named like its package, an import after a rule and a line far too long: three rules.
    const path = join(dir, "soc", "threshold", "threshold.rego");
    const extra = ["", "import data.soc.verdict", "", `threshold := "${"x".repeat(130)}"`, ""].join("\n");
    writeFileSync(path, readFileSync(path, "utf8") + extra);
    const titles = regalLint(dir, dir, regal).violations.map((v) => v.title);
    expect(titles).toEqual(
      expect.arrayContaining(["rule-name-repeats-package", "import-after-rule", "line-length"]),
    );
  });
});

describe("policies/input.schema.json", () => {
  it("is the JSON Schema of the PolicyInput contract (run vitest with -u to regenerate)", async () => {
    const path = join(root, "policies", "input.schema.json");
    // Formatted as `prettier --check .` wants it, so the published file passes both checks.
    const schema = await format(JSON.stringify(z.toJSONSchema(PolicyInput), null, 2), {
      ...(await resolveConfig(path)),
      filepath: path,
    });
    await expect(schema).toMatchFileSnapshot(path);
  });

  it("describes the verdict's required fields and the action types", () => {
    const schema = JSON.parse(readFileSync(join(root, "policies", "input.schema.json"), "utf8")) as {
      required: string[];
      properties: { action: { properties: { type: { enum: string[] } } } };
    };
    expect(schema.required.sort()).toEqual(
      ["action", "asset_tags", "blast_radius", "confidence", "severity", "technique"].sort(),
    );
    expect(schema.properties.action.properties.type.enum).toContain("none");
  });
});
