import { Counter, Histogram } from "prom-client";
import type { Case, DecisionAction } from "../../contracts/case.js";
import { pastTense, type CaseDesk } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { inert } from "./escape.js";
import { contextMarkdown, questionsMarkdown } from "./reply.js";
import type { Outbox } from "./outbox.js";
import type { AuditEntry, BotStore } from "./store.js";

export type Via = AuditEntry["via"];

/**
 * Who acts in Mattermost: the user a request's user_id names, as the server knows them, and the
 * approver (SOC_APPROVERS) that user id was resolved to at start, if any.
 */
export interface Person {
  id: string;
  username: string;
  approver: string | null;
}

/** Refusals by the coordinator's gate: not an approver, or not allowed by the approvals policy. */
const refusedBy = new Set(["not_approver", "forbidden"]);

/**
 * The one way a decision made in Mattermost reaches the fleet, whether by button, dialog or
 * `/soc`: it is made for the approver the acting user id was resolved to, never for a name a request
 * gives; approve and dismiss are claimed in the bot's store first, so a decision applies at most once
 * even under concurrent clicks; the coordinator checks the approver and asks the approvals policy;
 * every decision, pending approval and refusal is audited; and the post and its thread follow
 * through the outbox.
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

  mayDecide(person: Person): boolean {
    return person.approver !== null;
  }

  /** Records a refusal made before the desk was reached (a forged or expired button, a stranger). */
  async refuse(entry: Omit<AuditEntry, "outcome">, reason: string): Promise<void> {
    this.#refused.inc({ reason, via: entry.via });
    await this.store.audit({ ...entry, outcome: "refused" });
    this.component.log.warn({ ...entry, reason }, "decision refused");
  }

  /**
   * The commands' desk for `person` acting from `via`: `decide`, `undo` and `rule` go through this
   * gate for that person, whatever name the command passes.
   */
  deskFor(via: Via, person: Person, digest: string | null = null): CaseDesk {
    return {
      ...this.desk,
      decide: (caseId, action, _by, reason) => this.#decide(via, digest, person, caseId, action, reason),
      undo: (caseId) => this.#undo(via, person, caseId),
      rule: (caseId) => this.#rule(via, digest, person, caseId),
    };
  }

  /**
   * A rule change drafted, or one the policy escalated confirmed, from a case: the coordinator holds
   * it to the approvers. Audited like every decision.
   */
  async #rule(via: Via, digest: string | null, person: Person, caseId: string) {
    const entry = {
      user: person.username,
      user_id: person.id,
      case_id: caseId,
      action: "rule",
      digest,
      via,
      detail: null,
    };
    try {
      const result = await this.desk.rule(caseId, person.username);
      const what = result.proposal ? `${result.proposal.id} ${result.proposal.state}` : "no rule change";
      await this.store.audit({ ...entry, outcome: "applied", detail: what });
      return result;
    } catch (error) {
      throw await this.#failed(entry, error);
    }
  }

  /**
   * An undo is held to the approver rules of the action it lifts (the coordinator asks the approvals
   * policy). Audited like every decision.
   */
  async #undo(via: Via, person: Person, caseId: string) {
    const entry = {
      user: person.username,
      user_id: person.id,
      case_id: caseId,
      action: "undo",
      digest: null,
      via,
      detail: null,
    };
    if (!person.approver) {
      await this.refuse({ ...entry, detail: "not an approver" }, "not_approver");
      throw new SocError(
        "forbidden",
        `@${person.username} may not undo actions: ask an approver (SOC_APPROVERS)`,
      );
    }
    try {
      const result = await this.desk.undo(caseId, person.approver);
      const lifted = result.undone.map((u) => u.action).join(", ") || "nothing was left to undo";
      await this.store.audit({ ...entry, outcome: "applied", detail: lifted });
      await this.outbox.add(caseId, {
        kind: "reply",
        message: `\`${caseId}\` undone by ${inert(person.approver, 64)}: ${lifted}`,
      });
      return result;
    } catch (error) {
      throw await this.#failed(entry, error);
    }
  }

  /** Audits a decision the fleet did not apply, by why; the error to throw on. */
  async #failed(entry: Omit<AuditEntry, "outcome">, error: unknown): Promise<SocError> {
    const failure = SocError.from(error);
    if (refusedBy.has(failure.code)) await this.refuse({ ...entry, detail: failure.message }, "policy");
    else
      await this.store.audit({
        ...entry,
        outcome: failure.code === "case_not_awaiting" ? "refused" : "failed",
        detail: failure.message,
      });
    return failure;
  }

  async #decide(
    via: Via,
    digest: string | null,
    person: Person,
    caseId: string,
    action: DecisionAction,
    reason: string | null,
  ) {
    const entry = {
      user: person.username,
      user_id: person.id,
      case_id: caseId,
      action,
      digest,
      via,
      detail: reason,
    };
    const by = person.approver;
    if (!by) {
      await this.refuse({ ...entry, detail: "not an approver" }, "not_approver");
      throw new SocError(
        "forbidden",
        `@${person.username} may not decide cases: ask an approver (SOC_APPROVERS)`,
      );
    }
    const final = action !== "investigate";
    if (final) {
      const claim = await this.store.claim(caseId, action, by);
      if (!claim.ok) {
        await this.refuse({ ...entry, detail: `already ${claim.action} by ${claim.by}` }, "already_decided");
        throw new SocError(
          "case_not_awaiting",
          `${caseId} was already ${pastTense[claim.action as DecisionAction] ?? claim.action} by @${claim.by}`,
        );
      }
    }
    try {
      const result = await this.desk.decide(caseId, action, by, reason);
      await this.store.audit({ ...entry, outcome: "applied" });
      this.component.log.info({ case: caseId, action, by, via }, "decision applied");
      if (final) await this.#followUp(result.case);
      else if (result.evidence) {
        await this.outbox.add(caseId, {
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
      // A case someone else decided stays claimed; any other outcome gives the claim back.
      if (final && failure.code !== "case_not_awaiting") await this.store.release(caseId);
      if (failure.code === "approval_pending") {
        // One approval of the several the policy asks for: kept by the coordinator, shown in the thread.
        await this.store.audit({ ...entry, outcome: "pending", detail: failure.message });
        await this.outbox.add(caseId, {
          kind: "reply",
          message: `Approval of \`${caseId}\` by ${inert(by, 64)} recorded: ${inert(failure.message, 300)}`,
        });
        throw failure;
      }
      this.component.log.warn({ case: caseId, action, by, err: causeChain(error) }, "decision not applied");
      throw await this.#failed(entry, failure);
    }
  }

  async #followUp(decided: Case): Promise<void> {
    const d = decided.decision;
    if (!d) return;
    const post = await this.store.post(decided.id);
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
    await this.outbox.add(decided.id, { kind: "decided", case: decided });
    await this.outbox.add(decided.id, {
      kind: "reply",
      message: `\`${decided.id}\` ${pastTense[d.action]} by ${inert(d.by, 64)} at ${d.at}${d.reason ? `: ${inert(d.reason, 500)}` : ""}`,
    });
  }
}
