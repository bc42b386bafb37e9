import { ApprovalDecision, PolicyInput, type Approver } from "../../contracts/policy.js";
import type { Step } from "../../contracts/step.js";
import { SocError } from "../../runtime/errors.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import type { StepRunner } from "./steps.js";
import type { CaseStore } from "./store.js";

/**
 * The approvals policy (`data.soc.approvals`, through the policy engine), asked by the coordinator
 * for every decision whatever front end carried it: whether an approver's roles allow the case's
 * action at its severity, and whether the approvals kept so far suffice. Approvals short of the
 * number required are kept in the case store and recorded in the case's chain.
 */
export class ApprovalGate {
  constructor(
    private readonly store: CaseStore,
    private readonly steps: StepRunner,
    private readonly policy: McpPeer,
  ) {}

  /**
   * Approves for `me`, or throws: a refusal (`forbidden`), or `approval_pending` once an approval
   * short of the number required is kept. Returns the reason to record when more than one person
   * approved.
   */
  async approve(caseId: string, me: Approver): Promise<string | null> {
    const input = await this.#input(caseId);
    const ask = async () =>
      this.#ask(caseId, input, [...(await this.store.approvals(caseId)).filter((a) => a.id !== me.id), me]);
    let answer = await ask();
    if (!answer.approved_by.includes(me.id))
      throw new SocError("forbidden", `${me.id} may not approve this: ${answer.reasons.join("; ")}`);
    if (!answer.approved) {
      await this.store.addApproval(caseId, me);
      // Someone else may have approved meanwhile: ask again with every approval kept.
      answer = await ask();
    }
    if (!answer.approved) {
      const tally = `${String(answer.approved_by.length)} of ${String(answer.required_approvers)} approvers`;
      await this.steps.record(caseId, `approval@${me.id}`, {
        agent: "coordinator",
        skill: "approve",
        summary: `approval by ${me.id} kept: ${tally}`,
        input: { approver: me },
        output: answer,
      });
      throw new SocError("approval_pending", `the approval of ${caseId} by ${me.id} is recorded: ${tally}`);
    }
    return answer.approved_by.length > 1 ? `approved by ${answer.approved_by.join(", ")}` : null;
  }

  /** Throws unless the approvals policy lets `me` approve the action an undo would lift. */
  async mayUndo(caseId: string, me: Approver): Promise<void> {
    const answer = await this.#ask(caseId, await this.#input(caseId), [me]);
    if (!answer.approved_by.includes(me.id))
      throw new SocError("forbidden", `${me.id} may not undo this: ${answer.reasons.join("; ")}`);
  }

  async #ask(caseId: string, input: PolicyInput, approvers: Approver[]): Promise<ApprovalDecision> {
    return ApprovalDecision.parse(
      await this.policy.call("evaluate_approval", { case_id: caseId, input: { ...input, approvers } }),
    );
  }

  async #input(caseId: string): Promise<PolicyInput> {
    const input = policyInputOf(await this.store.steps(caseId));
    if (!input)
      throw new SocError(
        "forbidden",
        `${caseId} has no recorded policy input to approve against: use dismiss or investigate`,
      );
    return input;
  }
}

/** The policy input the reviewer recorded for a case: what approvals are judged against. */
export function policyInputOf(steps: readonly Step[]): PolicyInput | null {
  const review = steps.filter((s) => s.skill === "review" && !s.error).at(-1);
  const parsed = PolicyInput.safeParse((review?.output as { input?: unknown } | undefined)?.input);
  return parsed.success ? parsed.data : null;
}
