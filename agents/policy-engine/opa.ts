import type { PolicyDecision, PolicyInput } from "../../contracts/policy.js";
import { PolicyDecision as Decision } from "../../contracts/policy.js";

/**
 * Asks OPA's REST API for `data.soc.verdict.decision`. Any failure (OPA down, slow past the
 * timeout, undefined decision, malformed answer) is an escalation, never an auto-execution.
 */
export class Opa {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async decide(input: PolicyInput): Promise<{ decision: PolicyDecision; failure: string | null }> {
    try {
      const body = await this.#post("soc/verdict/decision", input);
      if (body.result === undefined) return escalation("the policy has no decision for this input");
      const parsed = Decision.safeParse(body.result);
      return parsed.success
        ? { decision: parsed.data, failure: null }
        : escalation(`the policy answered a malformed decision: ${parsed.error.message}`);
    } catch (error) {
      return escalation(`OPA did not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async value(path: string): Promise<unknown> {
    return (await this.#post(path, {})).result;
  }

  async #post(path: string, input: unknown): Promise<{ result?: unknown }> {
    const response = await fetch(`${this.url}/v1/data/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as { result?: unknown };
  }
}

function escalation(reason: string): { decision: PolicyDecision; failure: string } {
  return {
    decision: { outcome: "escalate", reasons: [reason], policy_version: "unavailable" },
    failure: reason,
  };
}
