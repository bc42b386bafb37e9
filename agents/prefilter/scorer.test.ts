import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import { alerts, falcoAlert } from "../../fleet/alerts.js";
import { FEATURE_NAMES, FeatureExtractor } from "./features/index.js";
import { DEFAULT_MODEL } from "./model-scorer.js";
import { IsolationForest } from "./model/scorer.js";
import { ModelScorer, PriorityScorer } from "./scorer.js";

const model = IsolationForest.loadFile(DEFAULT_MODEL ?? "");
const event = (alert: unknown) => FalcoEvent.parse(alert);

describe("the committed model", () => {
  it("was trained on the features this prefilter computes, in the same order", () => {
    expect(model.featureNames).toEqual(FEATURE_NAMES);
    expect(model.version).toMatch(/^\d{8}-[0-9a-f]{8}$/);
  });
});

describe("ModelScorer", () => {
  it("forwards exactly what scores at or above the threshold, and the threshold can change while running", () => {
    const scorer = new ModelScorer(model, new FeatureExtractor(), 0);
    const first = scorer.judge(event(alerts.containerEscape()));
    expect(first.forward).toBe(true);
    expect(first.score).toBeGreaterThan(0);
    expect(first.score).toBeLessThanOrEqual(1);
    scorer.setThreshold(1);
    expect(scorer.judge(event(alerts.containerEscape())).forward).toBe(false);
    expect(scorer.threshold()).toBe(1);
    expect(scorer.version).toBe(model.version);
  });

  it("scores a container escape above a routine notice from a busy pod", () => {
    const scorer = new ModelScorer(model, new FeatureExtractor(), 0.5);
    const routine = falcoAlert({
      rule: "Contact K8S API Server From Container",
      priority: "Notice",
      tags: ["T1565", "container", "k8s", "maturity_stable", "mitre_discovery", "network"],
      namespace: "platform",
      pod: "operator-0",
      image: "ghcr.io/acme/operator",
    });
    for (let i = 0; i < 50; i++) scorer.judge(event(routine));
    const routineScore = scorer.judge(event(routine)).score ?? 1;
    const escapeScore = scorer.judge(event(alerts.containerEscape())).score ?? 0;
    expect(escapeScore).toBeGreaterThan(routineScore);
  });
});

describe("PriorityScorer", () => {
  it("forwards at or above its priority and gives no score", () => {
    const scorer = new PriorityScorer("Warning");
    expect(scorer.judge(event(alerts.autoExecute()))).toEqual({ score: null, forward: true });
    expect(scorer.judge(event(falcoAlert({ rule: "x", priority: "Notice", tags: [] }))).forward).toBe(false);
    expect(scorer.threshold()).toBe("Warning");
  });
});
