import { Counter, Histogram } from "prom-client";
import type { Case, DecisionAction } from "../../contracts/case.js";
import { PolicyInput, type ApprovalDecision, type ApprovalInput } from "../../contracts/policy.js";
import type { Step } from "../../contracts/step.js";
import { pastTense, type CaseDesk } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { inert } from "./escape.js";
import { contextMarkdown, questionsMarkdown } from "./reply.js";
import type { Outbox } from "./outbox.js";
import type { AuditEntry, BotStore } from "./store.js";

export type Via = AuditEntry["via"];

/**
 * The one way a decision made in Mattermost reaches the fleet, whether by button, dialog or
 * `/soc`: only approvers decide; approve and dismiss are claimed in the bot's store first, so a
 * decision applies at most once even under concurrent clicks; every decision and every refusal is
 * audited; and the post and its thread follow through the outbox.
 */
export class Decisions {
  readonly #wait: Histogram<"outcome">;
  readonly #decided: Counter<"outcome" | "rule" | "technique" | "override">;
  readonly #refused: Counter<"reason" | "via">;

  constructor(
    private readonly component: Component,
    private readonly store: BotStore,
    private readonly desk: CaseDesk,
    private readonly outbox: Outbox,
    /** Who may decide, with their roles in the approvals policy. */
    private readonly approvers: Readonly<Record<string, string[]>>,
    /** The approvals policy (`data.soc.approvals.decision`, through the policy engine). */
    private readonly approvals: (caseId: string, input: ApprovalInput) => Promise<ApprovalDecision>,
  ) {
    const registers = [component.metrics.registry];
    this.#wait = new Histogram({
      name: "soc_decision_wait_seconds",
      help: "Time from an escalation's post to the human decision, by outcome",
      labelNames: ["outcome"],
      buckets: [10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
      registers,
    });
    this.#decided = new Counter({
      name: "soc_decisions_total",
      help: "Human decisions by outcome, rule and MITRE technique; override=true when against the analyst's lean",
      labelNames: ["outcome", "rule", "technique", "override"],
      registers,
    });
    this.#refused = new Counter({
      name: "soc_decisions_refused_total",
      help: "Decision attempts refused, by reason and by where they came from",
      labelNames: ["reason", "via"],
      registers,
    });
  }

  mayDecide(username: string): boolean {
    return Object.hasOwn(this.approvers, username);
  }

  /** Records a refusal made before the desk was reached (a forged or expired button, a stranger). */
  refuse(entry: Omit<AuditEntry, "outcome">, reason: string): void {
    this.#refused.inc({ reason, via: entry.via });
    this.store.audit({ ...entry, outcome: "refused" });
    this.component.log.warn({ ...entry, reason }, "decision refused");
  }

  /** The commands' desk, with `decide` going through this gate for `user` from `via`. */
  deskFor(via: Via, digest: string | null = null): CaseDesk {
    return {
      ...this.desk,
      decide: (caseId, action, by, reason) => this.#decide(via, digest, caseId, action, by, reason),
      undo: (caseId, by) => this.#undo(via, caseId, by),
    };
  }

  /**
   * An undo is held to the approver rules of the action it lifts: only an approver whose roles the
   * approvals policy lets approve that action may undo it. Audited like every decision.
   */
  async #undo(via: Via, caseId: string, by: string) {
    const entry = { user: by, case_id: caseId, action: "undo", digest: null, via, detail: null };
    if (!this.mayDecide(by)) {
      this.refuse({ ...entry, detail: "not an approver" }, "not_approver");
      throw new SocError("forbidden", `@${by} may not undo actions: ask an approver (SOC_APPROVERS)`);
    }
    const input = policyInputOf((await this.desk.trace(caseId)).steps);
    const answer = input
      ? await this.approvals(caseId, { ...input, approvers: [{ id: by, roles: this.approvers[by] ?? [] }] })
      : null;
    if (!answer?.approved_by.includes(by)) {
      const why = answer ? answer.reasons.join("; ") : "no policy input recorded";
      this.refuse({ ...entry, detail: why }, "policy");
      throw new SocError("forbidden", `@${by} may not undo this: ${why}`);
    }
    try {
      const result = await this.desk.undo(caseId, by);
      const lifted = result.undone.map((u) => u.action).join(", ") || "nothing was left to undo";
      this.store.audit({ ...entry, outcome: "applied", detail: lifted });
      this.outbox.add(caseId, {
        kind: "reply",
        message: `\`${caseId}\` undone by ${inert(by, 64)}: ${lifted}`,
      });
      return result;
    } catch (error) {
      const failure = SocError.from(error);
      this.store.audit({ ...entry, outcome: "failed", detail: failure.message });
      throw failure;
    }
  }

  async #decide(
    via: Via,
    digest: string | null,
    caseId: string,
    action: DecisionAction,
    by: string,
    given: string | null,
  ) {
    let reason = given;
    const entry = { user: by, case_id: caseId, action, digest, via, detail: reason };
    if (!this.mayDecide(by)) {
      this.refuse({ ...entry, detail: "not an approver" }, "not_approver");
      throw new SocError("forbidden", `@${by} may not decide cases: ask an approver (SOC_APPROVERS)`);
    }
    const final = action !== "investigate";
    if (action === "approve") reason = await this.#approvedBy(caseId, by, entry);
    if (final) {
      const claim = this.store.claim(caseId, action, by);
      if (!claim.ok) {
        this.refuse({ ...entry, detail: `already ${claim.action} by ${claim.by}` }, "already_decided");
        throw new SocError(
          "case_not_awaiting",
          `${caseId} was already ${pastTense[claim.action as DecisionAction] ?? claim.action} by @${claim.by}`,
        );
      }
    }
    try {
      const result = await this.desk.decide(caseId, action, by, reason);
      this.store.audit({ ...entry, outcome: "applied" });
      this.component.log.info({ case: caseId, action, by, via }, "decision applied");
      if (final) this.#followUp(result.case);
      else if (result.evidence) {
        this.outbox.add(caseId, {
          kind: "reply",
          message: [
            `**More evidence** for \`${caseId}\`, asked by ${inert(by, 64)}:`,
            inert(result.evidence.summary, 1_500),
            ...contextMarkdown(result.evidence.context, result.case),
            ...questionsMarkdown(result.questions),
          ].join("\n"),
        });
      }
      return result;
    } catch (error) {
      const failure = SocError.from(error);
      // A case someone else decided stays claimed; any other failure gives the claim back.
      if (final && failure.code !== "case_not_awaiting") this.store.release(caseId);
      this.store.audit({
        ...entry,
        outcome: failure.code === "case_not_awaiting" ? "refused" : "failed",
        detail: failure.message,
      });
      this.component.log.warn({ case: caseId, action, by, err: causeChain(error) }, "decision not applied");
      throw failure;
    }
  }

  /**
   * Asks the approvals policy whether `by` may approve this case's action and whether the approvals
   * so far suffice. Throws a refusal, or `approval_pending` once a first of two approvals is kept;
   * returns the reason to record when more than one person approved.
   */
  async #approvedBy(caseId: string, by: string, entry: Omit<AuditEntry, "outcome">): Promise<string | null> {
    const input = policyInputOf((await this.desk.trace(caseId)).steps);
    if (!input) {
      this.refuse({ ...entry, detail: "no policy input recorded" }, "no_policy_input");
      throw new SocError(
        "forbidden",
        `${caseId} has no recorded policy input to approve against: use dismiss or investigate`,
      );
    }
    const me = { id: by, roles: this.approvers[by] ?? [] };
    const ask = () => {
      const others = this.store.approvals(caseId).filter((a) => a.id !== by);
      return this.approvals(caseId, { ...input, approvers: [...others, me] });
    };
    let answer = await ask();
    if (!answer.approved_by.includes(by)) {
      this.refuse({ ...entry, detail: answer.reasons.join("; ") }, "policy");
      throw new SocError("forbidden", `@${by} may not approve this: ${answer.reasons.join("; ")}`);
    }
    if (!answer.approved) {
      this.store.addApproval(caseId, me);
      // Someone else may have approved meanwhile: ask again with every approval kept.
      answer = await ask();
    }
    if (!answer.approved) {
      this.store.audit({ ...entry, outcome: "pending", detail: answer.reasons.join("; ") });
      this.outbox.add(caseId, {
        kind: "reply",
        message: `Approval of \`${caseId}\` by ${inert(by, 64)} recorded: ${answer.approved_by.length} of ${answer.required_approvers} approvers.`,
      });
      throw new SocError(
        "approval_pending",
        `your approval of ${caseId} is recorded; it needs ${answer.required_approvers} approvers (${answer.approved_by.length} so far)`,
      );
    }
    return answer.approved_by.length > 1 ? `approved by ${answer.approved_by.join(", ")}` : null;
  }

  #followUp(decided: Case): void {
    const d = decided.decision;
    if (!d) return;
    const post = this.store.post(decided.id);
    const waited = post ? (Date.parse(d.at) - post.escalated_at) / 1000 : null;
    if (waited !== null) this.#wait.observe({ outcome: d.action }, Math.max(0, waited));
    const confidence = decided.confidence ?? 0;
    const override = d.action === "approve" ? confidence < 0.5 : confidence >= 0.5;
    this.#decided.inc({
      outcome: d.action,
      rule: decided.rule,
      technique: decided.technique ?? "none",
      override: String(override),
    });
    this.outbox.add(decided.id, { kind: "decided", case: decided });
    this.outbox.add(decided.id, {
      kind: "reply",
      message: `\`${decided.id}\` ${pastTense[d.action]} by ${inert(d.by, 64)} at ${d.at}${d.reason ? `: ${inert(d.reason, 500)}` : ""}`,
    });
  }
}

/** The policy input the reviewer recorded for a case: what approvals are judged against. */
export function policyInputOf(steps: readonly Step[]): PolicyInput | null {
  const review = steps.filter((s) => s.skill === "review" && !s.error).at(-1);
  const parsed = PolicyInput.safeParse((review?.output as { input?: unknown } | undefined)?.input);
  return parsed.success ? parsed.data : null;
}
