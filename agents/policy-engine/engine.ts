import { Counter, Histogram, type Registry } from "prom-client";
import {
  ApprovalDecision,
  Forwarding,
  PolicyDecision,
  type ApprovalInput,
  type PolicyInput,
} from "../../contracts/policy.js";
import { RuleGate, type RuleGateInput } from "../../contracts/rules.js";
import type { Logger } from "../../runtime/log.js";
import { currentTrace } from "../../runtime/trace.js";
import { canonicalJson, digestOf, type DecisionLog } from "./decision-log.js";
import {
  PolicyExplanation,
  PolicyUnavailable,
  entrypoints,
  failsafeCauses,
  failsafeDecision,
  parseAnswer,
  type PolicyEvaluator,
} from "./evaluator.js";

export interface EngineOptions {
  registry: Registry;
  log: Logger;
  /** Where every decision goes as one JSON line; null keeps none (benchmarks of the bare path). */
  decisions: DecisionLog | null;
}

/**
 * The policy engine's behaviour, independent of MCP: asks the evaluator, escalates whenever it
 * cannot answer (never auto-executes on a failure), counts and times every decision and writes
 * it to the decision log.
 */
export class PolicyEngine {
  readonly #decided: Counter<"outcome" | "evaluator">;
  readonly #failsafe: Counter<"cause">;
  readonly #latency: Histogram<"outcome" | "evaluator">;

  constructor(
    readonly evaluator: PolicyEvaluator,
    private readonly options: EngineOptions,
  ) {
    const registers = [options.registry];
    this.#decided = new Counter({
      name: "soc_policy_decisions_total",
      help: "Verdicts given, by outcome and by the evaluator asked (opa: REST, wasm: in-process)",
      labelNames: ["outcome", "evaluator"],
      registers,
    });
    this.#failsafe = new Counter({
      name: "soc_policy_failsafe_total",
      help: "Verdicts escalated because the policy could not answer, by cause",
      labelNames: ["cause"],
      registers,
    });
    // Every cause from zero: an alert on its increase then sees the first fail-safe escalation too.
    for (const cause of failsafeCauses) this.#failsafe.inc({ cause }, 0);
    this.#latency = new Histogram({
      name: "soc_policy_decision_seconds",
      help: "Time to a verdict inside the policy engine, fail-safe escalations included",
      labelNames: ["outcome", "evaluator"],
      buckets: [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5, 5,
      ],
      registers,
    });
  }

  /** The verdict for a case: the policy's answer, or a fail-safe escalation naming why there is none. */
  async decide(caseId: string, input: PolicyInput): Promise<PolicyDecision> {
    const started = performance.now();
    // Serialised once: the request to OPA, the input digest and the decision log line share it.
    const inputJson = canonicalJson(input);
    let decision: PolicyDecision;
    let failure: PolicyUnavailable | null = null;
    try {
      const value = await this.evaluator.query(entrypoints.decision, input, inputJson);
      decision = parseAnswer(PolicyDecision, value, "decision");
    } catch (error) {
      failure = asUnavailable(error);
      decision = failsafeDecision(failure);
      this.#failsafe.inc({ cause: failure.failsafe });
    }
    const seconds = (performance.now() - started) / 1000;
    const labels = { outcome: decision.outcome, evaluator: this.evaluator.kind };
    this.#decided.inc(labels);
    this.#latency.observe(labels, seconds);
    this.options.decisions?.write(
      {
        time: new Date().toISOString(),
        trace_id: currentTrace()?.traceId ?? null,
        case_id: caseId,
        input_digest: digestOf(inputJson),
        input,
        outcome: decision.outcome,
        reasons: decision.reasons,
        policy_version: decision.policy_version,
        evaluator: this.evaluator.kind,
        failsafe: failure?.failsafe ?? null,
        latency_ms: Math.round(seconds * 1e6) / 1e3,
      },
      inputJson,
    );
    // The log lines carry the trace_id (from the async context) so a case can be followed here too.
    // Every decision is in the decision log already: the per-decision line is debug (stdout is
    // written synchronously, once per decision that was on the verdict's path); a fail-safe
    // escalation is rare and wants attention, it stays a warning.
    const fields = { case_id: caseId, outcome: decision.outcome, policy_version: decision.policy_version };
    if (failure) {
      this.options.log.warn(
        { ...fields, cause: failure.failsafe, err: failure.message },
        "fail-safe escalation",
      );
    } else if (this.options.log.isLevelEnabled("debug")) {
      this.options.log.debug({ ...fields, reasons: decision.reasons }, "policy decision");
    }
    return decision;
  }

  /**
   * Whether the approvals given suffice for a case's action. When the policy cannot answer, nothing
   * is approved: a human decision never goes through on a failure.
   */
  async approval(caseId: string, input: ApprovalInput): Promise<ApprovalDecision> {
    let answer: ApprovalDecision;
    try {
      answer = parseAnswer(
        ApprovalDecision,
        await this.evaluator.query(entrypoints.approval, input),
        "approval",
      );
    } catch (error) {
      const failure = asUnavailable(error);
      this.#failsafe.inc({ cause: failure.failsafe });
      answer = {
        approved: false,
        required_approvers: 2,
        approved_by: [],
        reasons: [`not approved: ${failure.message}`],
        policy_version: "unavailable",
      };
    }
    this.options.log.info(
      {
        case_id: caseId,
        approved: answer.approved,
        approved_by: answer.approved_by,
        policy_version: answer.policy_version,
      },
      "approval evaluated",
    );
    return answer;
  }

  /** The rules that fired; when the policy cannot answer, the fail-safe escalation as the one rule. */
  async explain(input: PolicyInput): Promise<PolicyExplanation> {
    try {
      const value = await this.evaluator.query(entrypoints.explanation, input);
      return parseAnswer(PolicyExplanation, value, "explanation");
    } catch (error) {
      const failure = asUnavailable(error);
      const decision = failsafeDecision(failure);
      return {
        decision,
        fired: decision.reasons.map((reason) => ({
          rule: `failsafe.${failure.failsafe}`,
          outcome: "escalate",
          reason,
        })),
        input_problems: [],
        settings_problems: [],
      };
    }
  }

  /**
   * Whether a drafted rule change becomes a pull request, goes to an analyst first, or is refused;
   * when the policy cannot answer, an analyst decides: nothing reaches a forge unchecked.
   */
  async ruleChange(input: RuleGateInput): Promise<RuleGate> {
    try {
      return parseAnswer(
        RuleGate,
        await this.evaluator.query(entrypoints.ruleChange, input),
        "rule change decision",
      );
    } catch (error) {
      const failure = asUnavailable(error);
      this.#failsafe.inc({ cause: failure.failsafe });
      return {
        outcome: "escalate",
        reasons: failsafeDecision(failure).reasons,
        policy_version: "unavailable",
      };
    }
  }

  /** What the prefilter forwards: its threshold or budget and its floor; source "unavailable" when the policy cannot say. */
  async forwarding(): Promise<Forwarding> {
    try {
      return parseAnswer(Forwarding, await this.evaluator.query(entrypoints.forwarding, {}), "forwarding");
    } catch (error) {
      this.options.log.warn({ err: asUnavailable(error).message }, "forwarding unavailable");
      return { threshold: null, budget: null, source: "unavailable", floor: null };
    }
  }
}

/** Anything unexpected from an evaluator is also a reason to escalate, never to proceed. */
function asUnavailable(error: unknown): PolicyUnavailable {
  if (error instanceof PolicyUnavailable) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PolicyUnavailable("malformed", `the policy evaluation failed: ${message}`, error);
}
