import { z } from "zod";
import { CaseId } from "../../contracts/case.js";
import { KubeRequest } from "../../contracts/cluster.js";
import { tool, type ToolDefinition } from "../../runtime/mcp/server.js";
import type { McpServerAgent } from "../agent.js";
import type { ClusterView, ResponseAction } from "./actions/action.js";
import { responseActions } from "./actions/index.js";
import { offlineCluster } from "./cluster.js";

const Applied = z.object({
  mode: z.enum(["dry-run", "enforce"]),
  action: z.string(),
  requests: z.array(KubeRequest),
});

export const clusterActions: McpServerAgent = {
  kind: "mcp",
  name: "cluster-actions",
  description:
    "Response actions against the Kubernetes API, one tool per action; in dry-run it returns the exact requests it would send.",
  callers: ["remediate"],
  tools({ component, config }) {
    const cluster: ClusterView = offlineCluster;
    return Object.values(responseActions).map((action) =>
      actionTool(action as ResponseAction, cluster, {
        mode: config.remediateMode,
        prepared: (fields) => component.log.info(fields, "action prepared"),
      }),
    );
  },
};

interface ActionToolOptions {
  mode: "dry-run" | "enforce";
  prepared(fields: Record<string, unknown>): void;
}

/** The MCP tool of one response action: its parameters as the input schema, its nature as the annotations. */
function actionTool(
  action: ResponseAction,
  cluster: ClusterView,
  options: ActionToolOptions,
): ToolDefinition {
  return tool({
    name: action.name,
    title: action.title,
    description: action.description,
    input: z.object({
      case_id: CaseId,
      parameters: action.parameters,
      idempotency_key: z.string().min(1),
    }),
    output: Applied,
    annotations: {
      readOnlyHint: false,
      destructiveHint: action.destructive,
      // Requests named after the case: carrying out the same action for the same case again changes nothing.
      idempotentHint: true,
      openWorldHint: false,
    },
    async handle({ case_id, parameters, idempotency_key }) {
      const before = await action.before(parameters, cluster);
      const requests = action.requests(parameters, before, case_id);
      options.prepared({
        action: action.name,
        mode: options.mode,
        idempotency_key,
        requests: requests.length,
      });
      return { mode: options.mode, action: action.name, requests };
    },
  });
}
