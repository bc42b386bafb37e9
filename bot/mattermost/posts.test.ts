import { describe, expect, it } from "vitest";
import type { Narrative } from "../../contracts/analysis.js";
import { emptyContext } from "../../contracts/cluster.js";
import type { Step } from "../../contracts/step.js";
import { escalatedCase, labelAnalysis } from "../../test/fixtures.js";
import { escalationAttachment } from "./posts.js";

const narrative: Narrative = {
  model: "SmolLM2-135M-Instruct.Q4_1.gguf",
  text: "The pod read a password store. @channel [approve](http://evil.example) ![x](http://evil.example/i.png)",
  hypothesis: "Credential theft\n@here",
  alternative_action: "isolate_pod",
  unsupported: ["CVE-2024-3094 is named by neither the rule's tags, the classification nor the alert"],
  repairs: 0,
  fallback: null,
};

function reviewStep(explanation: unknown): Step {
  return {
    case_id: escalatedCase.id,
    seq: 3,
    trace_id: escalatedCase.trace_id,
    agent: "reviewer",
    skill: "review",
    summary: "escalate",
    input: null,
    output: {
      input: {
        action: { type: "label_pod", target: labelAnalysis.action.target },
        blast_radius: { pods: 1, nodes: 1, namespaces: 1 },
        confidence: 0.85,
        technique: "T1555",
        severity: "medium",
        asset_tags: [],
      },
      decision: {
        outcome: "escalate",
        reasons: ["namespace shop is always escalated"],
        policy_version: "v1",
      },
      explanation,
    },
    mcp_calls: [],
    tokens: { in: 300, out: 40, cost: 0 },
    duration_ms: 900,
    error: null,
    at: "2026-11-24T09:00:03.000Z",
  };
}

const fields = (analysis = labelAnalysis, steps: Step[] = []) =>
  Object.fromEntries(
    (escalationAttachment(escalatedCase, analysis, steps, []).fields ?? []).map((f) => [f.title, f.value]),
  );

describe("the escalation post with a language model's words", () => {
  it("shows the narrative marked as the model's, inert, with its unsupported claims", () => {
    const shown = fields({ ...labelAnalysis, narrative });
    const value = shown["Narrative (SmolLM2-135M-Instruct.Q4_1.gguf; its words, not the verdict)"];
    expect(value?.split("\n")).toEqual([
      "`The pod read a password store. @channel [approve](http://evil.example) ![x](http://evil.example/i.png)`",
      "Hypothesis: `Credential theft @here`",
      "Would rather: isolate_pod",
      "Unsupported: `CVE-2024-3094 is named by neither the rule's tags, the classification nor the alert`",
    ]);
  });

  it("says why there is no narrative, and shows nothing without a model", () => {
    const failed = { ...narrative, text: null, hypothesis: null, fallback: "the model failed: timeout" };
    expect(
      fields({ ...labelAnalysis, narrative: failed })["Narrative (SmolLM2-135M-Instruct.Q4_1.gguf)"],
    ).toBe("none: `the model failed: timeout`");
    expect(Object.keys(fields()).some((title) => title.startsWith("Narrative"))).toBe(false);
  });

  it("shows the reviewer's words for the verdict, inert, and nothing when it has none", () => {
    const explained = fields(labelAnalysis, [
      reviewStep({ model: "m", text: "Escalated: shop is always a human's call. @all", fallback: null }),
    ]);
    expect(explained["The verdict in words (m; the policy decided)"]).toBe(
      "`Escalated: shop is always a human's call. @all`",
    );
    const silent = fields(labelAnalysis, [
      reviewStep({ model: "m", text: null, fallback: "the model failed" }),
    ]);
    expect(Object.keys(silent).some((title) => title.startsWith("The verdict in words"))).toBe(false);
  });
});

describe("the escalation post says why the event reached a human", () => {
  const detectStep = (forwarded: unknown): Step => ({
    ...reviewStep(null),
    seq: 2,
    agent: "detect",
    skill: "gather_evidence",
    output: {
      same_pod: [],
      same_image: [],
      distinct_rules: [],
      context: emptyContext("no_cluster", "no cluster configured"),
      forwarded,
      summary: "first event of this pod",
    },
  });

  it("shows the floor or the score against its threshold, and the features furthest from training", () => {
    const forwarded = {
      score: 0.7015,
      model_version: "20261206-0bb95cb0",
      threshold: 0.6744,
      threshold_source: "bundle budget 0.01 on 100000 training events",
      floor: null,
      drivers: [{ feature: "has_tty", value: 1, training_share: 0.0012 }],
    };
    expect(fields(labelAnalysis, [detectStep(forwarded)])["Why this reached you"]).toBe(
      "`score 0.7015 at or above threshold 0.6744 (bundle budget 0.01 on 100000 training events); furthest from training: has_tty 1 (0.12 % of training events)`",
    );
    expect(fields(labelAnalysis, [detectStep(null)])["Why this reached you"]).toBeUndefined();
  });
});
