import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Counter, Gauge } from "prom-client";
import { z } from "zod";
import type { FleetConfig } from "../../contracts/config.js";
import { CaseId } from "../../contracts/case.js";
import {
  ApprovalDecision,
  ApprovalInput,
  Forwarding,
  PolicyDecision,
  PolicyInput,
} from "../../contracts/policy.js";
import { RuleGate, RuleGateInput } from "../../contracts/rules.js";
import type { Component } from "../../runtime/component.js";
import { tool, type ToolDefinition } from "../../runtime/mcp/server.js";
import type { McpServerAgent } from "../agent.js";
import { DecisionLog } from "./decision-log.js";
import { PolicyEngine } from "./engine.js";
import { PolicyExplanation, entrypoints, parseAnswer, type PolicyEvaluator } from "./evaluator.js";
import { OpaRest } from "./opa.js";
import { WasmPolicy } from "./wasm.js";

// Every tool only reads policy: safe to call again, nothing outside the policy is touched.
const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const policyEngine: McpServerAgent = {
  kind: "mcp",
  name: "policy-engine",
  description:
    "The reviewer's verdicts from the Rego in policies/, evaluated by OPA or in-process Wasm; escalates whenever the policy cannot answer.",
  callers: ["reviewer", "prefilter", "coordinator", "rules"],
  async tools({ component, config }) {
    const evaluator = await startEvaluator(component, config);
    exportBundleLoaded(component, evaluator);
    const decisions = new DecisionLog(join(config.dataDir, "decisions.jsonl"));
    component.onStop(() => decisions.close());
    const engine = new PolicyEngine(evaluator, {
      registry: component.metrics.registry,
      log: component.log,
      decisions,
    });
    return policyTools(engine);
  },
};

/** The MCP tools over an engine: what any MCP client sees, with input and output schemas. */
export function policyTools(engine: PolicyEngine): ToolDefinition[] {
  return [
    tool({
      name: "evaluate_action",
      title: "Evaluate a proposed response action",
      description:
        "Returns auto_execute, auto_reject or escalate for a proposed action, with the reasons and the policy version. Escalates when the policy cannot answer.",
      input: z.object({ case_id: CaseId, input: PolicyInput }),
      output: PolicyDecision,
      annotations: readOnly,
      handle: ({ case_id, input }) => engine.decide(case_id, input),
    }),
    tool({
      name: "evaluate_approval",
      title: "Evaluate approvals of an escalated action",
      description:
        "Whether the people approving a case's proposed action may, and suffice: roles allow action types up to a severity; a blast radius above the action's limit needs a second, distinct approver. Never approves when the policy cannot answer.",
      input: z.object({ case_id: CaseId, input: ApprovalInput }),
      output: ApprovalDecision,
      annotations: readOnly,
      handle: ({ case_id, input }) => engine.approval(case_id, input),
    }),
    tool({
      name: "explain",
      title: "Explain a verdict",
      description:
        "The verdict for an input and every policy rule that fired (also those that lost on precedence: auto_reject > escalate > auto_execute), with the input fields and settings found missing or malformed.",
      input: z.object({ input: PolicyInput }),
      output: PolicyExplanation,
      annotations: readOnly,
      handle: ({ input }) => engine.explain(input),
    }),
    tool({
      name: "evaluate_rule_change",
      title: "Evaluate a drafted Falco rule change",
      description:
        "Whether a drafted rule change (an exception or a new rule), validated and replayed on the recorded events, is opened as a pull request, shown to an analyst first (escalate) or rejected, with the reasons and the policy version. Escalates when the policy cannot answer.",
      input: z.object({ input: RuleGateInput }),
      output: RuleGate,
      annotations: readOnly,
      handle: ({ input }) => engine.ruleChange(input),
    }),
    tool({
      name: "get_threshold",
      title: "Anomaly threshold",
      description:
        "What the prefilter forwards (data.soc.threshold.forwarding): an explicit anomaly-score threshold or a forwarding budget (the share of events, calibrated on the model's training window), whether it comes from the bundle or a live override, and the floor forwarded whatever its score; nulls and source unavailable when the policy cannot say.",
      input: z.object({}),
      output: Forwarding,
      annotations: readOnly,
      handle: () => engine.forwarding(),
    }),
  ];
}

/** OPA's REST API (OPA beside the engine, as in the cluster) unless SOC_POLICY_EVALUATOR=wasm. */
async function startEvaluator(component: Component, config: FleetConfig): Promise<PolicyEvaluator> {
  if (config.policyEvaluator === "wasm") {
    return startWasm(component, config.opaBin ?? "opa", policiesDir());
  }
  const opa = new OpaRest(config.opaUrl, config.opaTimeoutMs);
  component.onStop(() => opa.close());
  return opa;
}

/**
 * Compiles the bundle at start and again whenever it changes. A bundle that fails is refused and
 * reported (log line, counter) and the one in force stays; with none yet, every decision escalates.
 */
export async function startWasm(
  component: Component,
  opaBinary: string,
  bundleDir: string,
): Promise<WasmPolicy> {
  const loads = new Counter({
    name: "soc_policy_bundle_loads_total",
    help: "Policy bundle loads into the Wasm evaluator, by result (loaded or refused)",
    labelNames: ["result"],
    registers: [component.metrics.registry],
  });
  const refused = new Gauge({
    name: "soc_policy_bundle_refused",
    help: "1 while the newest policy bundle is refused (an older one, or none, stays in force), 0 once one loads",
    registers: [component.metrics.registry],
  });
  const wasm = new WasmPolicy(opaBinary, bundleDir);
  const report = (result: Awaited<ReturnType<WasmPolicy["load"]>>) => {
    loads.inc({ result: result.ok ? "loaded" : "refused" });
    refused.set(result.ok ? 0 : 1);
    if (result.ok)
      component.log.info({ policy_version: result.revision, bundle: bundleDir }, "policy bundle loaded");
    else
      component.log.error(
        { err: result.error, keeping: result.keeping, bundle: bundleDir },
        "policy bundle refused",
      );
  };
  report(await wasm.load());
  component.onStop(wasm.watch(report));
  return wasm;
}

/**
 * Whether a policy bundle is in force, asked when scraped with the probe every bundle must pass: an
 * empty input escalates with a policy version. 0 while OPA is down or holds no bundle, and before
 * the Wasm evaluator's first good load: then every verdict is a fail-safe escalation.
 */
export function exportBundleLoaded(component: Component, evaluator: PolicyEvaluator): void {
  const gauge = new Gauge({
    name: "soc_policy_bundle_loaded",
    help: "1 while the evaluator answers with a policy bundle in force (probed when scraped), else 0",
    registers: [component.metrics.registry],
    async collect() {
      const inForce = await evaluator
        .query(entrypoints.decision, {})
        .then((value) => {
          const probe = parseAnswer(PolicyDecision, value, "decision");
          return probe.outcome === "escalate" && probe.policy_version !== "unavailable";
        })
        // No answer, or a malformed one, is the answer here: no bundle in force. Decisions log why.
        .catch(() => false);
      gauge.set(inForce ? 1 : 0);
    },
  });
}

/** `policies/` of this checkout: the nearest ancestor of this file that holds `policies/.manifest`. */
export function policiesDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "policies", ".manifest"))) return join(dir, "policies");
    if (dirname(dir) === dir) throw new Error(`no policies/.manifest above ${from}`);
  }
}
