import { Counter } from "prom-client";
import { z } from "zod";
import { PolicyDecision, PolicyInput } from "../../contracts/policy.js";
import { CaseId } from "../../contracts/case.js";
import { tool } from "../../runtime/mcp/server.js";
import type { McpServerAgent } from "../agent.js";
import { Opa } from "./opa.js";

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const policyEngine: McpServerAgent = {
  kind: "mcp",
  name: "policy-engine",
  description:
    "The reviewer's verdicts from the Rego in policies/, evaluated by OPA; escalates whenever OPA cannot answer.",
  callers: ["reviewer", "prefilter"],
  tools({ component, config }) {
    const opa = new Opa(config.opaUrl, config.opaTimeoutMs);
    const decisions = new Counter({
      name: "soc_policy_decisions_total",
      help: "Verdicts given, by outcome and whether OPA answered",
      labelNames: ["outcome", "opa"],
      registers: [component.metrics.registry],
    });
    return [
      tool({
        name: "evaluate_action",
        title: "Evaluate a proposed response action",
        description:
          "Returns auto_execute, auto_reject or escalate for a proposed action, with the reasons and the policy version.",
        input: z.object({ case_id: CaseId, input: PolicyInput }),
        output: PolicyDecision,
        annotations: readOnly,
        async handle({ input }) {
          const { decision, failure } = await opa.decide(input);
          decisions.inc({ outcome: decision.outcome, opa: failure ? "failed" : "answered" });
          component.log.info(
            {
              outcome: decision.outcome,
              reasons: decision.reasons,
              policy_version: decision.policy_version,
              opa_failure: failure,
            },
            "policy decision",
          );
          return decision;
        },
      }),
      tool({
        name: "get_threshold",
        title: "Anomaly threshold",
        description: "The anomaly score at or above which the prefilter forwards an event.",
        input: z.object({}),
        output: z.object({ threshold: z.number().nullable() }),
        annotations: readOnly,
        async handle() {
          const value = await opa.value("soc/settings/anomaly_threshold");
          return { threshold: typeof value === "number" ? value : null };
        },
      }),
    ];
  },
};
