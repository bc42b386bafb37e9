import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "../../agents/prefilter/model-scorer.js";
import { IsolationForest } from "../../agents/prefilter/model/scorer.js";
import { thresholdOnly } from "../../agents/prefilter/scorer.js";
import { shippedForwarding } from "./policy-settings.js";
import { CURVE_BUDGETS, evaluate, renderEvaluation } from "./prefilter.js";
import { toJsonLine } from "../sample/alert.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../sample/generate-corpus.js";

const dir = mkdtempSync(join(tmpdir(), "soc-eval-test-"));
const corpus = generateCorpus({ seed: 3, benign: 6000, episodes: 12, start: DEFAULT_CORPUS_START });
const events = join(dir, "events.jsonl");
const labels = join(dir, "labels.jsonl");
writeFileSync(events, corpus.map((c) => toJsonLine(c.event)).join("\n"));
writeFileSync(labels, corpus.map((c) => JSON.stringify({ uuid: c.event.uuid, label: c.label })).join("\n"));

describe("soc prefilter eval", () => {
  it("counts benign events and episodes for the model and the Warning baseline alike", () => {
    const result = evaluate(events, labels, { forwarding: shippedForwarding() });
    expect(result.model_version).toBe(IsolationForest.loadFile(DEFAULT_MODEL ?? "").version);
    for (const economy of [result.model, result.baseline_warning]) {
      expect(economy.benign_events).toBe(6000);
      expect(economy.episodes).toBe(12);
      expect(economy.benign_forwarded).toBeLessThanOrEqual(economy.benign_events);
    }
    // Every generated episode has an event at Warning or above, so the baseline sees them all.
    expect(result.baseline_warning.episodes_detected).toBe(12);
    expect(renderEvaluation(result)).toMatch(/anomaly model .*episodes detected[\s\S]*every Warning and up/);
    // The policy's budget, calibrated on the model's training window, and the curve around it.
    expect(result.threshold_source).toMatch(/^bundle budget 0\.01 on \d+ training events$/);
    expect(result.curve.map((p) => p.budget)).toEqual([...CURVE_BUDGETS]);
    const thresholds = result.curve.map((p) => p.threshold);
    expect(thresholds).toEqual([...thresholds].sort((a, b) => b - a));
    expect(result.curve.find((p) => p.budget === 0.01)?.threshold).toBe(result.threshold);
    expect(renderEvaluation(result)).toMatch(/operating curve[\s\S]*budget 0\.01 +threshold/);
  });

  it("counts apart the benign events only the floor forwarded", () => {
    const floor = {
      min_priority: "Critical" as const,
      maturities: ["maturity_stable"],
      rules: [],
      tactics: [],
    };
    const strict = evaluate(events, labels, { forwarding: { ...thresholdOnly(1.01), floor } });
    const critical = corpus.filter(
      (c) =>
        c.label === "benign" &&
        ["Critical", "Alert", "Emergency"].includes(c.event.priority) &&
        c.event.tags.includes("maturity_stable"),
    ).length;
    // Nothing scores above 1.01: all the floor forwards, it forwards alone.
    expect(strict.model.benign_forwarded).toBe(critical);
    expect(strict.model.benign_floor).toBe(critical);
  });

  it("forwards nothing at threshold 1 and every event at threshold 0", () => {
    expect(evaluate(events, labels, { forwarding: thresholdOnly(1.01) }).model).toMatchObject({
      benign_forwarded: 0,
      episodes_detected: 0,
    });
    expect(evaluate(events, labels, { forwarding: thresholdOnly(0) }).model).toMatchObject({
      benign_forwarded: 6000,
      episodes_detected: 12,
    });
  });

  it("with --train-hours, trains on the first hours with scikit-learn and evaluates only the rest", () => {
    const result = evaluate(events, labels, { forwarding: shippedForwarding(), trainHours: 2 });
    expect(result.trained_on_hours).toBe(2);
    expect(result.evaluated_events).toBeLessThan(corpus.length);
    expect(result.model_version).not.toBe(IsolationForest.loadFile(DEFAULT_MODEL ?? "").version);
  }, 300_000);
});
