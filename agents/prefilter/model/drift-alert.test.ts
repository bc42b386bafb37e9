import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { clientComponentForTests } from "../../../test/fakes.js";
import { falcoEvent } from "../features/fixture.js";
import { buildJudge } from "../judge.js";
import { DEFAULT_MODEL, exportDrift } from "../model-scorer.js";
import { thresholdOnly } from "../scorer.js";
import { PSI_METRIC, PSI_RETRAIN } from "./drift.js";

const rulesFile = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "helm",
  "soc-fleet",
  "files",
  "prometheus-rules",
  "prefilter-drift.yaml",
);

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}
const file = parse(readFileSync(rulesFile, "utf8")) as { groups?: { name?: unknown; rules?: Rule[] }[] };
const rules = (file.groups ?? []).flatMap((g) => g.rules ?? []);

/** The series the real prefilter exports, scraped from its registry after it judged one event. */
async function exportedSeries(): Promise<string[]> {
  const component = clientComponentForTests("prefilter");
  const judge = buildJudge({
    scorer: { kind: "model", modelPath: DEFAULT_MODEL ?? "", forwarding: thresholdOnly(0.7) },
  });
  exportDrift(component, () => Promise.resolve(judge.psi()));
  expect(await component.metrics.registry.metrics()).not.toContain(`${PSI_METRIC}{`);
  judge.judge(falcoEvent({}));
  const text = await component.metrics.registry.metrics();
  return text.split("\n").filter((line) => line.startsWith(`${PSI_METRIC}{`));
}

describe("the Prometheus alert rule for feature drift", () => {
  it("is a plain rule group whose every rule is complete", () => {
    expect(file.groups).toHaveLength(1);
    expect(file.groups?.[0]?.name).toBe("soc-prefilter-drift");
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(typeof rule.alert).toBe("string");
      expect(typeof rule.expr).toBe("string");
      expect(rule.for).toMatch(/^\d+[smhd]$/);
      expect(rule.labels?.severity).toMatch(/^(info|warning|critical)$/);
      expect(typeof rule.annotations?.summary).toBe("string");
      expect(typeof rule.annotations?.description).toBe("string");
    }
  });

  it("names the gauge the prefilter really exports, with labels it really has", async () => {
    const series = await exportedSeries();
    // One series per feature, labelled with the component the registry adds.
    expect(series.length).toBe(17);
    expect(
      series.every((line) => /feature="[a-z_0-9]+"/.test(line) && line.includes('component="prefilter"')),
    ).toBe(true);
    for (const rule of rules) {
      const expr = String(rule.expr);
      const names = expr.match(/\bsoc_[a-z_]+\b/g) ?? [];
      expect(names).toEqual([PSI_METRIC]);
      // Every label the expression selects or groups by exists on the exported series.
      for (const label of expr.matchAll(/(\w+)\s*=~?"/g)) expect(series[0]).toContain(`${label[1]}=`);
      for (const group of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g))
        for (const label of (group[1] ?? "").split(",").map((l) => l.trim()))
          expect(series[0]).toContain(`${label}=`);
    }
  });

  it("fires on the PSI at which drift.ts says to retrain", () => {
    const drift = rules.find((r) => r.alert === "PrefilterFeatureDrift");
    expect(String(drift?.expr)).toMatch(new RegExp(`> ${String(PSI_RETRAIN).replace(".", "\\.")}$`));
  });
});
