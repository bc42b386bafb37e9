import { z } from "zod";
import { BlastRadius, type Analysis } from "../../contracts/analysis.js";
import { modelAnswers } from "../../contracts/answers.js";
import { PolicyDecision, type Explanation, type PolicyInput } from "../../contracts/policy.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError } from "../../runtime/errors.js";
import type { Llm } from "../../runtime/llm/model.js";
import { quoted } from "../../runtime/llm/quoted.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import type { Agent } from "../agent.js";

export const reviewer: Agent = {
  kind: "agent",
  name: "reviewer",
  description: "Turns a proposed action into a policy question and returns the policy engine's verdict.",
  skills({ mcp, llm }) {
    const policy = mcp("policy-engine");
    const cluster = mcp("cluster-actions");
    return [
      handler(skills.review, async ({ case_id, analysis }) => {
        const verdict = await decide(policy, cluster, case_id, analysis);
        // The verdict is the policy's; the model only puts it into words.
        return { ...verdict, explanation: await explain(llm, analysis, verdict.input, verdict.decision) };
      }),
    ];
  },
};

/** The policy engine's verdict on the proposed action, with the live blast radius; escalate when unsure. */
async function decide(
  policy: McpPeer,
  cluster: McpPeer,
  case_id: string,
  analysis: Analysis,
): Promise<{ input: PolicyInput; decision: PolicyDecision }> {
  let radius: BlastRadius | null;
  try {
    radius = await liveBlastRadius(cluster, analysis);
  } catch (error) {
    // Acting on a cluster that cannot be read would be acting blind: a human decides.
    const reason = `the blast radius could not be read from the cluster: ${SocError.from(error).message}`;
    const input = policyInput(analysis);
    return {
      input,
      decision: { outcome: "escalate" as const, reasons: [reason], policy_version: "unavailable" },
    };
  }
  const input = policyInput(analysis, radius);
  try {
    const decision = PolicyDecision.parse(await policy.call("evaluate_action", { case_id, input }));
    return { input, decision };
  } catch (error) {
    // No answer from the policy engine is never permission: escalate.
    const reason = `policy engine unavailable: ${SocError.from(error).message}`;
    return {
      input,
      decision: { outcome: "escalate" as const, reasons: [reason], policy_version: "unavailable" },
    };
  }
}

/** The reviewer's model puts the verdict into plain words for the post; it cannot change it. */
async function explain(
  llm: Llm,
  analysis: Analysis,
  input: PolicyInput,
  decision: PolicyDecision,
): Promise<Explanation | null> {
  if (!llm.model) return null;
  const user = [
    "Explain this verdict of the policy engine to the analyst on call, in two or three sentences.",
    quoted({
      verdict: { outcome: decision.outcome, reasons: decision.reasons },
      policy_input: input,
      case: { tactic: analysis.tactic, technique: analysis.technique, rationale: analysis.rationale },
    }),
  ].join("\n");
  const answer = await llm.ask({ purpose: "explanation", user, schema: modelAnswers.explanation.schema });
  return { model: answer.model, text: answer.value?.explanation ?? null, fallback: answer.fallback };
}

/**
 * What the proposed action would touch in the live cluster, as its own declaration computes it;
 * null when there is nothing to act on or no cluster is configured (the analyst's estimate stands).
 */
async function liveBlastRadius(cluster: McpPeer, analysis: Analysis): Promise<BlastRadius | null> {
  const { type, target } = analysis.action;
  if (type === "none") return null;
  const assessed = Assessed.parse(await cluster.call("assess_action", { action: type, parameters: target }));
  return assessed.blast_radius;
}

const Assessed = z.object({ blast_radius: BlastRadius.nullable() });

/** Pure: the structured question for the policy engine. Only typed fields, never Falco's free text. */
export function policyInput(analysis: Analysis, liveRadius: BlastRadius | null = null): PolicyInput {
  const { action } = analysis;
  const tags = new Set(analysis.asset_tags);
  if (action.target.namespace === "kube-system") tags.add("control-plane");
  return {
    action: { type: action.type, target: { ...action.target, labels: { ...action.target.labels } } },
    blast_radius: liveRadius ?? action.blast_radius,
    confidence: analysis.confidence,
    technique: analysis.technique?.id ?? null,
    severity: analysis.severity,
    asset_tags: [...tags],
  };
}
