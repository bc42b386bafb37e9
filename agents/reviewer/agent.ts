import type { Analysis } from "../../contracts/analysis.js";
import { PolicyDecision, type PolicyInput } from "../../contracts/policy.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError } from "../../runtime/errors.js";
import type { Agent } from "../agent.js";

export const reviewer: Agent = {
  kind: "agent",
  name: "reviewer",
  description: "Turns a proposed action into a policy question and returns the policy engine's verdict.",
  skills({ mcp }) {
    const policy = mcp("policy-engine");
    return [
      handler(skills.review, async ({ case_id, analysis }) => {
        const input = policyInput(analysis);
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
      }),
    ];
  },
};

/** Pure: the structured question for the policy engine. Only typed fields, never Falco's free text. */
export function policyInput(analysis: Analysis): PolicyInput {
  const { action } = analysis;
  const tags: string[] = [];
  if (action.target.namespace === "kube-system") tags.push("control-plane");
  return {
    action: { type: action.type, target: { ...action.target } },
    blast_radius: action.blast_radius,
    confidence: analysis.confidence,
    technique: analysis.technique?.id ?? null,
    severity: analysis.severity,
    asset_tags: tags,
  };
}
