import { z } from "zod";
import { ActionType, ProposedAction } from "../../contracts/analysis.js";
import { CaseId } from "../../contracts/case.js";
import { tool } from "../../runtime/mcp/server.js";
import type { McpServerAgent } from "../agent.js";
import { requestsFor } from "./requests.js";

const KubeRequest = z.object({
  method: z.string(),
  path: z.string(),
  contentType: z.string(),
  body: z.unknown(),
});

export const clusterActions: McpServerAgent = {
  kind: "mcp",
  name: "cluster-actions",
  description:
    "Response actions against the Kubernetes API; in dry-run it returns the exact requests it would send.",
  callers: ["remediate"],
  tools({ component, config }) {
    return [
      tool({
        name: "apply_action",
        title: "Apply a response action",
        description:
          "Carries out one response action (isolate, label, terminate, scale to zero, cordon) on its target.",
        input: z.object({ case_id: CaseId, action: ProposedAction, idempotency_key: z.string().min(1) }),
        output: z.object({
          mode: z.enum(["dry-run", "enforce"]),
          action: ActionType,
          requests: z.array(KubeRequest),
        }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: true,
          openWorldHint: false,
        },
        handle({ case_id, action, idempotency_key }) {
          const requests = requestsFor(action, case_id);
          component.log.info(
            { action: action.type, mode: config.remediateMode, idempotency_key, requests: requests.length },
            "action prepared",
          );
          return Promise.resolve({ mode: config.remediateMode, action: action.type, requests });
        },
      }),
    ];
  },
};
