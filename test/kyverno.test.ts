import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { kyvernoBinary } from "../fleet/tools/kyverno.js";

const root = join(import.meta.dirname, "..");
const policyDir = join(root, "policies", "kyverno");
const schemaFile = join(root, "..", "shared", "schemas", "crds", "kyverno.io", "clusterpolicy_v1.json");
const remediate = "system:serviceaccount:soc-fleet:soc-remediate";

interface ClusterPolicy {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    validationFailureAction?: string;
    background?: boolean;
    rules: {
      name: string;
      match: { any?: { subjects?: { kind: string; name: string; namespace?: string }[] }[] };
    }[];
  };
}

/** The policies the chart deploys: every YAML file at the top of policies/kyverno/ (tests live below it). */
const policyFiles = readdirSync(policyDir)
  .filter((file) => file.endsWith(".yaml"))
  .sort();

function documents(file: string): unknown[] {
  return parseAllDocuments(readFileSync(join(policyDir, file), "utf8")).map((doc) => {
    expect(doc.errors, `${file}: YAML errors`).toEqual([]);
    return doc.toJS() as unknown;
  });
}

let compiled: ValidateFunction | undefined;

/** The ClusterPolicy CRD schema, compiled once (it is large: about two seconds). */
function crdValidator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // Formats the CRD schema names that JSON Schema does not define; the x-kubernetes-* keywords are ignored.
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("date-time", (s: string) => !Number.isNaN(Date.parse(s)));
  compiled = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
  return compiled;
}

describe("the Kyverno policies in policies/kyverno/", () => {
  it("are one ClusterPolicy per file, enforced, described, and bound to soc-remediate", () => {
    expect(policyFiles.length).toBeGreaterThanOrEqual(4);
    for (const file of policyFiles) {
      const docs = documents(file);
      expect(docs, file).toHaveLength(1);
      const policy = docs[0] as ClusterPolicy;
      expect(policy.apiVersion, file).toBe("kyverno.io/v1");
      expect(policy.kind, file).toBe("ClusterPolicy");
      expect(policy.spec.validationFailureAction, file).toBe("Enforce");
      // Subject matching needs the admission request: such policies cannot run in the background.
      expect(policy.spec.background, file).toBe(false);
      expect(policy.metadata.annotations?.["policies.kyverno.io/description"], file).toMatch(/\w{10}/);
      for (const rule of policy.spec.rules) {
        const subjects = (rule.match.any ?? []).flatMap((filter) => filter.subjects ?? []);
        expect(subjects.length, `${file} ${rule.name}`).toBeGreaterThan(0);
        for (const subject of subjects) {
          expect(`system:serviceaccount:${subject.namespace ?? ""}:${subject.name}`).toBe(remediate);
          expect(subject.kind).toBe("ServiceAccount");
        }
      }
    }
  });

  it("validate against the Kyverno ClusterPolicy CRD schema", () => {
    const validate = crdValidator();
    for (const file of policyFiles) {
      for (const doc of documents(file)) {
        const ok = validate(doc);
        expect(ok ? [] : validate.errors, file).toEqual([]);
      }
    }
  });

  it("a broken policy fails the same schema (the check has teeth)", () => {
    const validate = crdValidator();
    const policy = documents(policyFiles[0] ?? "")[0] as ClusterPolicy;
    const broken = structuredClone(policy) as ClusterPolicy & { spec: Record<string, unknown> };
    broken.spec.validationFailureAction = "Block";
    expect(validate(broken)).toBe(false);
    const typo = structuredClone(policy) as ClusterPolicy & { spec: Record<string, unknown> };
    typo.spec.validationFailureActon = "Enforce";
    expect(validate(typo)).toBe(false);
  });

  it("pass `kubectl-kyverno test` with the real Kyverno CLI: a pass and a fail for every rule", () => {
    const out = execFileSync(
      kyvernoBinary((line) => process.stdout.write(`${line}\n`)),
      ["test", "policies/kyverno", "--require-tests", "--remove-color"],
      { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const tests = readdirSync(join(policyDir, "tests"), { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith("kyverno-test.yaml"))
      .map((file) => ({
        file,
        results: (
          parseAllDocuments(readFileSync(join(policyDir, "tests", file), "utf8"))[0]?.toJS() as {
            results: { rule: string; result: string }[];
          }
        ).results,
      }));
    expect(tests.map((t) => t.file).sort()).toEqual([
      "other-user/kyverno-test.yaml",
      "remediate-delete/kyverno-test.yaml",
      "remediate/kyverno-test.yaml",
    ]);
    const expected = tests.reduce((n, t) => n + t.results.length, 0);
    // 17 as soc-remediate (CREATE, UPDATE), 4 as soc-remediate deleting, 5 as another identity (skipped).
    expect(expected).toBe(26);
    expect(out).toContain(`Test Summary: ${expected} tests passed and 0 tests failed`);
    // One table row per expected result, each matching what the CLI computed.
    const rows = out.split("\n").filter((line) => /^│ \d+ +│/.test(line));
    expect(rows).toHaveLength(expected);
    for (const row of rows) expect(row).toMatch(/│ Pass +│ (Ok|Excluded) +│/);

    // Every rule of every policy has, as soc-remediate, an expected pass and an expected fail.
    const asRemediate = tests.filter((t) => t.file.startsWith("remediate")).flatMap((t) => t.results);
    for (const file of policyFiles) {
      for (const rule of (documents(file)[0] as ClusterPolicy).spec.rules) {
        const outcomes = asRemediate.filter((r) => r.rule === rule.name).map((r) => r.result);
        expect(outcomes, `${file} ${rule.name}`).toEqual(expect.arrayContaining(["pass", "fail"]));
      }
    }
  });
});
