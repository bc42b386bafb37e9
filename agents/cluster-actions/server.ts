import { join } from "node:path";
import { z } from "zod";
import { CaseId } from "../../contracts/case.js";
import { BlastRadius } from "../../contracts/analysis.js";
import { AppliedAction, AssetContext, UndoneAction } from "../../contracts/cluster.js";
import type { Component } from "../../runtime/component.js";
import { tool, type ToolDefinition } from "../../runtime/mcp/server.js";
import { SocError } from "../../runtime/errors.js";
import type { McpServerAgent } from "../agent.js";
import type { ResponseAction } from "./actions/action.js";
import { responseActions } from "./actions/index.js";
import { assetContext } from "./context.js";
import { carryOut, undoCase, type Executor } from "./execute.js";
import { ActionJournal } from "./journal.js";
import { KubeApi } from "../../runtime/kube.js";

const actionNames = Object.keys(responseActions) as [
  keyof typeof responseActions,
  ...(keyof typeof responseActions)[],
];

export const clusterActions: McpServerAgent = {
  kind: "mcp",
  name: "cluster-actions",
  description:
    "Response actions against the Kubernetes API, one tool per action: validated by the server (dry-run) or carried out once, verified and undoable (enforce).",
  callers: ["remediate", "detect", "reviewer"],
  tools({ component, config }) {
    const cluster = KubeApi.load(config.kubeconfig);
    if (!cluster && config.remediateMode === "enforce")
      throw new SocError("config_invalid", "SOC_REMEDIATE_MODE=enforce needs a cluster: set KUBECONFIG");
    component.log.info(
      { mode: config.remediateMode, server: cluster?.server ?? null },
      cluster ? "acting on the cluster" : "no cluster configured: actions are prepared, never sent",
    );
    const journal = new ActionJournal(join(config.dataDir, "cluster-actions.db"));
    component.onStop(() => journal.close());
    const executor: Executor = { mode: config.remediateMode, cluster, journal };
    const server = cluster?.server ?? null;
    return [
      ...Object.values(responseActions as Record<string, ResponseAction>).map((action) =>
        actionTool(action, executor, server, component.log),
      ),
      tool({
        name: "describe_target",
        title: "Describe an event's workload",
        description:
          "Reads the event's pod from the API server: whether it exists and runs the image Falco named, its labels, owners, node and replicas.",
        callers: ["detect"],
        input: z.object({
          namespace: z.string().nullable(),
          pod: z.string().nullable(),
          image: z.string().nullable(),
        }),
        output: AssetContext,
        annotations: {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
        handle: (target) => assetContext(cluster, target),
      }),
      tool({
        name: "assess_action",
        title: "Read an action's blast radius",
        description: "What a proposed action would touch in the live cluster: pods, nodes, namespaces.",
        callers: ["reviewer"],
        input: z.object({ action: z.enum(actionNames), parameters: z.unknown() }),
        output: z.object({ blast_radius: BlastRadius.nullable(), detail: z.string() }),
        annotations: {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false,
        },
        async handle({ action, parameters }) {
          if (!cluster)
            return { blast_radius: null, detail: "no cluster is configured: the analyst's estimate stands" };
          const unit = (responseActions as Record<string, ResponseAction>)[action];
          if (!unit) throw new SocError("unknown_action", `no response action ${action}`);
          const parsed = unit.parameters.safeParse(parameters);
          if (!parsed.success)
            throw new SocError(
              "invalid_target",
              `refused: ${parsed.error.issues[0]?.message ?? "bad target"}`,
            );
          return {
            blast_radius: await unit.blastRadius(parsed.data, cluster),
            detail: `read from ${cluster.server}`,
          };
        },
      }),
      tool({
        name: "undo_case",
        callers: ["remediate"],
        title: "Undo a case's actions",
        description: "Restores what every action carried out for a case changed, newest first, each once.",
        input: z.object({ case_id: CaseId, by: z.string().min(1) }),
        output: z.object({ undone: z.array(UndoneAction) }),
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
    callers: ["remediate"],
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
