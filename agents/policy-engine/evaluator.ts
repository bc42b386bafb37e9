import { z } from "zod";
import { Outcome, PolicyDecision } from "../../contracts/policy.js";
import { SocError } from "../../runtime/errors.js";

/**
 * The entrypoints the engine asks for, as OPA REST paths and Wasm entrypoint names (the same
 * strings). Each is annotated `entrypoint: true` in the Rego.
 */
export const entrypoints = {
  decision: "soc/verdict/decision",
  explanation: "soc/verdict/explanation",
  forwarding: "soc/threshold/forwarding",
  approval: "soc/approvals/decision",
  ruleChange: "soc/rules/decision",
} as const;
export type Entrypoint = (typeof entrypoints)[keyof typeof entrypoints];

/** One way to evaluate the Rego: OPA's REST API beside the engine, or the bundle compiled to Wasm in-process. */
export interface PolicyEvaluator {
  readonly kind: "opa" | "wasm";
  /**
   * The entrypoint's value for this input; `undefined` when the policy has no answer. Throws
   * PolicyUnavailable when it cannot be asked at all. `inputJson`, when given, is `input` already
   * serialised (the engine makes it once per decision); an evaluator may send it as is.
   */
  query(entrypoint: Entrypoint, input: unknown, inputJson?: string): Promise<unknown>;
}

/** Why a decision fell back to escalate; the label of `soc_policy_failsafe_total`. */
export const failsafeCauses = [
  "unreachable",
  "timeout",
  "http_error",
  "undefined",
  "malformed",
  "no_bundle",
  "wasm_error",
] as const;
export type FailsafeCause = (typeof failsafeCauses)[number];

/** The policy could not give a usable answer: the caller escalates, never auto-executes. */
export class PolicyUnavailable extends SocError {
  constructor(
    readonly failsafe: FailsafeCause,
    message: string,
    cause?: unknown,
  ) {
    super(`policy_${failsafe}`, message, { retryable: true, cause });
    this.name = "PolicyUnavailable";
  }
}

/** One rule that fired, as `data.soc.verdict.explanation.fired` lists it. */
export const FiredRule = z.object({ rule: z.string(), outcome: Outcome, reason: z.string() });

/**
 * `data.soc.verdict.explanation`: the decision, every rule that fired (also those that lost on
 * precedence) and the input fields and settings found missing or malformed. (A candidate for
 * contracts/policy.ts once another component reads it.)
 */
export const PolicyExplanation = z.object({
  decision: PolicyDecision,
  fired: z.array(FiredRule),
  input_problems: z.array(z.string()),
  settings_problems: z.array(z.string()),
});
export type PolicyExplanation = z.infer<typeof PolicyExplanation>;

/** The escalation given whenever the policy cannot answer: the reason names the cause. */
export function failsafeDecision(failure: PolicyUnavailable): PolicyDecision {
  return {
    outcome: "escalate",
    reasons: [`fail-safe escalation (${failure.failsafe}): ${failure.message}`],
    policy_version: "unavailable",
  };
}

/** Parses an entrypoint's value or reports it as undefined or malformed, never passing it on unchecked. */
export function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  if (value === undefined)
    throw new PolicyUnavailable("undefined", `the policy has no ${what} for this input`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new PolicyUnavailable(
      "malformed",
      `the policy answered a malformed ${what}: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
