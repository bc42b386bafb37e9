import { Gauge } from "prom-client";
import { Analysis, type Severity } from "../../contracts/analysis.js";
import type { Anomaly } from "../../contracts/anomaly.js";
import type { Decision } from "../../contracts/case.js";
import { priorityRank, type Priority } from "../../contracts/falco.js";
import { shapeOf, type DraftTrigger, type RuleProposal } from "../../contracts/rules.js";
import { skills, type SkillOutput } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Component } from "../../runtime/component.js";
import { SocError } from "../../runtime/errors.js";
import type { Logger } from "../../runtime/log.js";
import type { Proposals } from "./proposals.js";
import type { StepRunner } from "./steps.js";
import type { CaseStore } from "./store.js";

/** The most recent recorded events of a rule a draft is replayed on. */
const HISTORY_LIMIT = 5_000;

/**
 * Whether a human decision calls for a rule change: every dismissal (an exception, once enough
 * cases of the workload are dismissed), and an approval of what Falco rated low: below Warning,
 * below the severity the analysis found (corroborated by other rules on the pod), or put forward
 * by the anomaly model's score alone. Such a rule should have said it louder.
 */
export function draftTrigger(
  anomaly: Anomaly,
  decision: Decision | null,
  severity: Severity | null,
): DraftTrigger | null {
  if (decision?.action === "dismiss") return "dismissed";
  if (decision?.action !== "approve") return null;
  const rank = priorityRank(anomaly.event.priority);
  const low = rank < priorityRank("Warning");
  const belowFinding = severity !== null && rank < priorityRank(priorityOfSeverity[severity]);
  const byScore = anomaly.score !== null && !anomaly.floor;
  return low || belowFinding || byScore ? "approved" : null;
}

/** The Falco priority that says what the analysis found. */
const priorityOfSeverity = {
  critical: "Critical",
  high: "Error",
  medium: "Warning",
  low: "Notice",
} as const satisfies Record<Severity, Priority>;

/** A rule change drafted for a case, or why none was (the rules agent's answer). */
export type Drafted = SkillOutput<typeof skills.draftRule>;

/**
 * Rule changes from cases, as the coordinator asks for them: the rules agent drafts, checks and
 * ships; the coordinator keeps each proposal, records the hop in the case's chain, and tells the
 * case's thread of a pull request opened or a proposal an approver must confirm.
 */
export class RuleDrafts {
  constructor(
    private readonly store: CaseStore,
    private readonly proposals: Proposals,
    private readonly peers: Peers,
    private readonly log: Logger,
  ) {}

  /** Asks for a draft from a case; throws when the rules agent could not answer. */
  async draft(
    steps: StepRunner,
    caseId: string,
    trigger: DraftTrigger,
    {
      key,
      confirmedBy = null,
      read,
    }: {
      key: string;
      confirmedBy?: string | null;
      /** The case's anomaly and analysis, when the caller has read them already. */
      read?: { anomaly: Anomaly; analysed: Analysis | null };
    },
  ): Promise<Drafted> {
    const { anomaly, analysed } = read ?? (await this.#read(caseId));
    // Each event's workload, what drafts read and replay on: the rule's history fits in one request.
    const history = (await this.store.recordedEvents(anomaly.event.rule, HISTORY_LIMIT)).map((e) => ({
      ...e,
      fields: shapeOf(e.fields),
    }));
    const request = {
      case_id: caseId,
      trigger,
      event: anomaly.event,
      finding: analysed ? { severity: analysed.severity, technique: analysed.technique?.id ?? null } : null,
      history,
      confirmed_by: confirmedBy,
    };
    const result = await steps.call(caseId, key, skills.draftRule, request, (d) => d.note, {
      // The chain keeps what was asked, not the rule's whole history again.
      ...request,
      history: `${String(history.length)} recorded events of ${anomaly.event.rule}`,
    });
    if (!result.ok) throw new SocError("draft_failed", result.error, { retryable: true });
    const drafted = result.output.proposal;
    const proposal = drafted ? await this.proposals.save(drafted) : null;
    // The same change settled or confirmed before stays as it was (Proposals.save): said so, not shown again.
    const unchanged = proposal !== null && proposal.state !== drafted?.state;
    const note = unchanged
      ? `${proposal.id} drafted again the same: ${proposal.state}${proposal.confirmed_by ? `, confirmed by ${proposal.confirmed_by}` : ""}`
      : result.output.note;
    if (proposal && !unchanged && (proposal.state === "open" || proposal.state === "escalated")) {
      const current = await this.store.get(caseId);
      if (current)
        await steps.call(
          caseId,
          `${key}/notify`,
          skills.caseUpdate,
          { case: current, note: `rule change: ${note}`, proposal },
          () => "rule change shown",
        );
    }
    return { proposal, note };
  }

  /** After a decision: the draft it calls for, if any; a failure is logged, the case is closed anyway. */
  async afterDecision(steps: StepRunner, caseId: string, decision: Decision | null): Promise<void> {
    const read = await this.#read(caseId);
    const trigger = draftTrigger(read.anomaly, decision, read.analysed?.severity ?? null);
    if (!trigger) return;
    try {
      await this.draft(steps, caseId, trigger, { key: "rules", read });
    } catch (error) {
      this.log.warn({ case: caseId, err: SocError.from(error).message }, "no rule change drafted");
    }
  }

  /** The case's anomaly, and what the analyst found when it answered. */
  async #read(caseId: string): Promise<{ anomaly: Anomaly; analysed: Analysis | null }> {
    const analysed = Analysis.safeParse((await this.store.step(caseId, "analyse"))?.output);
    return { anomaly: await this.store.anomaly(caseId), analysed: analysed.success ? analysed.data : null };
  }

  /**
   * Brings the open pull requests' states up to date with the forge: merged or closed by a human.
   * A forge that cannot be asked is logged and asked again next time.
   */
  async refresh(): Promise<void> {
    try {
      const open = await this.proposals.open();
      if (open.length === 0) return;
      const { output } = await this.peers.call(skills.pullRequests, { numbers: open });
      for (const pr of output.pull_requests)
        if (pr.state !== "open") await this.proposals.settle(pr.number, pr.state);
    } catch (error) {
      this.log.warn({ err: SocError.from(error).message }, "pull request states not refreshed");
    }
  }

  async list(limit: number): Promise<RuleProposal[]> {
    await this.refresh();
    return this.proposals.list(limit);
  }
}

/**
 * The proposals as gauges, read when scraped: how many of each kind are in each state (the merged
 * share is merged over all opened), and how many of the rule's events a day the merged exceptions
 * spare, as replayed when they were drafted: the noise the SOC no longer sees.
 */
export function exportProposalGauges(component: Component, proposals: Pick<Proposals, "figures">): void {
  const registers = [component.metrics.registry];
  const byState = new Gauge({
    name: "soc_rule_proposals",
    help: "Rule changes drafted from cases, by kind and state (rejected, escalated, kept, open, merged, closed, failed)",
    labelNames: ["kind", "state"],
    registers,
    async collect() {
      byState.reset();
      for (const { kind, state, n } of (await proposals.figures()).states) byState.set({ kind, state }, n);
    },
  });
  const spared = new Gauge({
    name: "soc_rule_exceptions_spared_events_per_day",
    help: "Events a day the merged exceptions spare, as replayed on the recorded events when drafted",
    registers,
    async collect() {
      spared.set((await proposals.figures()).sparedPerDay);
    },
  });
}
