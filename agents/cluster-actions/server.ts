import { join } from "node:path";
import { z } from "zod";
import { CaseId } from "../../contracts/case.js";
import { AppliedAction, KubeAnswer } from "../../contracts/cluster.js";
import type { Component } from "../../runtime/component.js";
import { tool, type ToolDefinition } from "../../runtime/mcp/server.js";
import { SocError } from "../../runtime/errors.js";
import type { McpServerAgent } from "../agent.js";
import type { ResponseAction } from "./actions/action.js";
import { responseActions } from "./actions/index.js";
import { carryOut, undoCase, type Executor } from "./execute.js";
import { ActionJournal } from "./journal.js";
import { KubeApi } from "./kube.js";

export const clusterActions: McpServerAgent = {
  kind: "mcp",
  name: "cluster-actions",
  description:
    "Response actions against the Kubernetes API, one tool per action: validated by the server (dry-run) or carried out once, verified and undoable (enforce).",
  callers: ["remediate"],
  tools({ component, config }) {
    const cluster = KubeApi.load(config.kubeconfig);
    if (!cluster && config.remediateMode === "enforce")
      throw new SocError("config_invalid", "SOC_REMEDIATE_MODE=enforce needs a cluster: set KUBECONFIG");
    component.log.info(
      { mode: config.remediateMode, server: cluster?.server ?? null },
      cluster ? "acting on the cluster" : "no cluster configured: actions are prepared, never sent",
    );
    const executor: Executor = {
      mode: config.remediateMode,
      cluster,
      journal: new ActionJournal(join(config.dataDir, "cluster-actions.db")),
    };
    const server = cluster?.server ?? null;
    return [
      ...Object.values(responseActions as Record<string, ResponseAction>).map((action) =>
        actionTool(action, executor, server, component.log),
      ),
      tool({
        name: "undo_case",
        title: "Undo a case's actions",
        description: "Restores what every action carried out for a case changed, newest first, each once.",
        input: z.object({ case_id: CaseId, by: z.string().min(1) }),
        output: z.object({ undone: z.array(z.object({ action: z.string(), answers: z.array(KubeAnswer) })) }),
        annotations: {
          readOnlyHint: false,
          destructiveHint: true,
          idempotentHint: true,
          openWorldHint: false,
        },
        async handle({ case_id, by }) {
          const undone = await undoCase(case_id, by, executor);
          return {
            undone: undone.map((record) => ({ action: record.action, answers: record.undo?.answers ?? [] })),
          };
        },
      }),
    ];
  },
};

/** The MCP tool of one response action: its parameters as the input schema, its nature as the annotations. */
function actionTool(
  action: ResponseAction,
  executor: Executor,
  server: string | null,
  log: Component["log"],
): ToolDefinition {
  return tool({
    name: action.name,
    title: action.title,
    description: action.description,
    input: z.object({ case_id: CaseId, parameters: action.parameters, idempotency_key: z.string().min(1) }),
    output: AppliedAction,
    annotations: {
      readOnlyHint: false,
      destructiveHint: action.destructive,
      // Recorded under the case's key: the same call again returns the record and sends nothing.
      idempotentHint: true,
      openWorldHint: false,
    },
    async handle({ case_id, parameters, idempotency_key }) {
      const record = await carryOut(action, parameters, case_id, idempotency_key, executor);
      log.info(
        {
          action: action.name,
          mode: record.mode,
          idempotency_key,
          requests: record.requests.length,
          verified: record.verification?.ok ?? null,
          replayed: record.replayed,
        },
        "action carried out",
      );
      return {
        mode: record.mode,
        action: action.name,
        server,
        requests: record.requests,
        answers: record.answers,
        verification: record.verification,
        replayed: record.replayed,
      };
    },
  });
}
