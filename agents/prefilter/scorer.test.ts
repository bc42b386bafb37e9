import { describe, expect, it } from "vitest";
import { FalcoEvent } from "../../contracts/falco.js";
import type { ForwardFloor } from "../../contracts/policy.js";
import { alerts, falcoAlert } from "../../fleet/alerts.js";
import { FEATURE_NAMES, FeatureExtractor } from "./features/index.js";
import { DEFAULT_MODEL } from "./model-scorer.js";
import { IsolationForest } from "./model/scorer.js";
import { ModelScorer, PriorityScorer, thresholdOnly } from "./scorer.js";

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
    const scorer = new ModelScorer(model, new FeatureExtractor(), thresholdOnly(0));
    const first = scorer.judge(event(alerts.containerEscape()));
    expect(first.forward).toBe(true);
    expect(first.score).toBeGreaterThan(0);
    expect(first.score).toBeLessThanOrEqual(1);
    scorer.configure(thresholdOnly(1));
    expect(scorer.judge(event(alerts.containerEscape())).forward).toBe(false);
    expect(scorer.threshold()).toBe(1);
    expect(scorer.version).toBe(model.version);
  });

  it("turns the policy's budget into the threshold that forwards that share of its training window", () => {
    const scorer = new ModelScorer(model, new FeatureExtractor(), thresholdOnly(0.5));
    scorer.configure({ threshold: null, budget: 0.01, source: "budget", floor: null });
    expect(scorer.threshold()).toBe(model.thresholdFor(0.01));
    expect(scorer.thresholdSource()).toBe(
      `bundle budget 0.01 on ${String(model.calibration?.rows)} training events`,
    );
    // A tighter budget is a higher threshold; a live budget says so.
    scorer.configure({ threshold: null, budget: 0.001, source: "budget_override", floor: null });
    expect(scorer.threshold()).toBeGreaterThan(model.thresholdFor(0.01));
    expect(scorer.thresholdSource()).toMatch(/^live budget 0\.001 /);
    // Nothing to follow: refused, and what was in force stays.
    expect(() => scorer.configure({ threshold: null, budget: null, source: "none", floor: null })).toThrow(
      /neither a threshold nor a budget/,
    );
    expect(scorer.threshold()).toBeGreaterThan(model.thresholdFor(0.01));
  });

  it("scores a container escape above a routine notice from a busy pod", () => {
    const scorer = new ModelScorer(model, new FeatureExtractor(), thresholdOnly(0.5));
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
    expect(scorer.judge(event(alerts.autoExecute()))).toEqual({
      score: null,
      forward: true,
      floor: null,
      drivers: [],
    });
    expect(scorer.judge(event(falcoAlert({ rule: "x", priority: "Notice", tags: [] }))).forward).toBe(false);
    expect(scorer.threshold()).toBe("Warning");
  });
});

describe("the policy's floor", () => {
  const floor: ForwardFloor = {
    min_priority: "Critical",
    maturities: ["maturity_stable"],
    rules: [],
    tactics: [],
  };
  // Nothing reaches a threshold of 1 by its score: whatever is forwarded, the floor forwarded.
  const scorer = (f = floor) =>
    new ModelScorer(model, new FeatureExtractor(), { ...thresholdOnly(1), floor: f });
  const memfd = (priority: "Critical" | "Warning", maturity: string) =>
    event(
      falcoAlert({
        rule: "Fileless execution via memfd_create",
        priority,
        tags: ["T1620", "container", "host", maturity, "mitre_defense_evasion", "process"],
        namespace: "fresh",
        pod: `never-seen-${maturity}-${priority}`,
        image: "ghcr.io/acme/new",
      }),
    );

  it("forwards a lone Critical alert of a stable rule on a pod with no history, whatever its score", () => {
    const judged = scorer().judge(memfd("Critical", "maturity_stable"));
    expect(judged).toMatchObject({
      forward: true,
      floor: "floor: Critical or above from a maturity_stable rule",
    });
    expect(judged.score).toBeLessThan(1);
  });

  it("leaves to the score a Critical alert of a rule that is not stable, and a Warning of a stable one", () => {
    expect(scorer().judge(memfd("Critical", "maturity_sandbox"))).toMatchObject({
      forward: false,
      floor: null,
    });
    expect(scorer().judge(memfd("Warning", "maturity_stable"))).toMatchObject({
      forward: false,
      floor: null,
    });
  });

  it("forwards the rules and the tactics the SOC lists", () => {
    const listed = scorer({
      ...floor,
      rules: ["Contact K8S API Server From Container"],
      tactics: ["mitre_exfiltration"],
    });
    const routine = falcoAlert({
      rule: "Contact K8S API Server From Container",
      priority: "Notice",
      tags: ["mitre_discovery"],
    });
    expect(listed.judge(event(routine)).floor).toBe("floor: a rule the SOC always forwards");
    const exfiltration = falcoAlert({
      rule: "Outbound connection",
      priority: "Notice",
      tags: ["mitre_exfiltration"],
    });
    expect(listed.judge(event(exfiltration)).floor).toBe(
      "floor: tactic mitre_exfiltration is always forwarded",
    );
    expect(listed.judge(event(falcoAlert({ rule: "x", priority: "Notice", tags: [] }))).forward).toBe(false);
  });
});
