import { Counter, Histogram } from "prom-client";
import type { Case, DecisionAction } from "../../contracts/case.js";
import type { CaseDesk } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { inert } from "./escape.js";
import type { Outbox } from "./outbox.js";
import { pastTense } from "./posts.js";
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
    private readonly approvers: readonly string[],
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
    return this.approvers.includes(username);
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
    };
  }

  async #decide(
    via: Via,
    digest: string | null,
    caseId: string,
    action: DecisionAction,
    by: string,
    reason: string | null,
  ) {
    const entry = { user: by, case_id: caseId, action, digest, via, detail: reason };
    if (!this.mayDecide(by)) {
      this.refuse({ ...entry, detail: "not an approver" }, "not_approver");
      throw new SocError("forbidden", `@${by} may not decide cases: ask an approver (SOC_APPROVERS)`);
    }
    const final = action !== "investigate";
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
          message: `**More evidence** for \`${caseId}\`, asked by ${inert(by, 64)}:\n${inert(result.evidence.summary, 1_500)}`,
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
