import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { Analysis, type Evidence } from "../../contracts/analysis.js";
import { describeForwarding, WhyForwarded, type Anomaly } from "../../contracts/anomaly.js";
import type { Decision } from "../../contracts/case.js";
import type { FalcoEvent } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { newTrace, withCase, withTrace } from "../../runtime/trace.js";
import type { Agent } from "../agent.js";
import { Counter } from "prom-client";
import { ApprovalGate } from "./approvals.js";
import { Feedback, feedbackTopicSink } from "./feedback.js";
import { consumeAnomalies } from "./anomalies.js";
import { decider } from "./deciders.js";
import { exportCaseGauges } from "./gauges.js";
import { caseGraph, evidenceRequest, type CaseGraph } from "./graph.js";
import { fleetHealth } from "./health.js";
import { StepRunner } from "./steps.js";
import { openStorage, type Storage } from "./storage.js";
import { CaseRuns } from "./runs.js";
import { exportProposalGauges, RuleDrafts } from "./rule-drafts.js";
import { caseLease } from "./store.js";
import { privateDir } from "../../runtime/private-dir.js";

/** How often the open pull requests' states are read from the forge. */
const PULL_REQUESTS_EVERY_MS = 300_000;

export const coordinator: Agent = {
  kind: "agent",
  name: "coordinator",
  description: "Owns every case: runs its state machine from triage to verdict to the human decision.",
  async skills({ component, config, peers, mcp }) {
    privateDir(config.dataDir);
    const storage = await openStorage(config);
    const { store, checkpointer, leases, proposals } = storage;
    exportCaseGauges(component, store);
    exportProposalGauges(component, proposals);
    const drafts = new RuleDrafts(store, proposals, peers, component.log);
    // Pull requests humans merge or close are followed, so the proposals' gauges say so.
    const following = setInterval(() => void drafts.refresh(), PULL_REQUESTS_EVERY_MS);
    following.unref();
    component.onStop(() => clearInterval(following));
    const graph = caseGraph(
      {
        store,
        peers,
        drafts,
        log: component.log,
        stopping: () => runs.stopping,
        holds: (id) => leases.holds(caseLease(id)),
      },
      checkpointer,
    );
    const runs = new CaseRuns(store, leases, component.log, (caseId) => runGraph(graph, store, caseId));
    const steps = new StepRunner(store, peers);
    const gate = new ApprovalGate(store, steps, mcp("policy-engine"));
    // Analysts' decisions become training labels for the prefilter's next model.
    const feedback = new Feedback(
      join(config.home, "feedback.jsonl"),
      config.kafka.brokers.length > 0 ? feedbackTopicSink(config.kafka, component.name) : null,
      component.log,
    );
    component.onStop(() => feedback.close());
    component.onStop(async () => {
      await runs.stop();
      await storage.close();
    });

    /**
     * After an investigation: the analyst's model's next questions on the case as it was analysed,
     * or null (no model, no analysis yet, or the analyst failed: the evidence stands on its own).
     */
    const askNext = async (caseId: string, at: string, event: FalcoEvent, evidence: Evidence) => {
      const analysed = Analysis.safeParse((await store.step(caseId, "analyse"))?.output);
      if (!analysed.success) return null;
      const result = await steps.call(
        caseId,
        `questions@${at}`,
        skills.nextQuestions,
        { event, evidence, analysis: analysed.data },
        (q) =>
          q.questions
            ? `${String(q.questions.questions.length)} questions from ${q.questions.model}${q.questions.fallback ? `: ${q.questions.fallback}` : ""}`
            : "no language model: no questions",
      );
      return result.ok ? result.output.questions : null;
    };

    await runs.start();

    /** Opens a case for an anomaly and starts its triage; an anomaly seen before returns its case. */
    const openCase = async (anomaly: Anomaly) => {
      const { case: opened, duplicate } = await store.open(anomaly);
      if (!duplicate) {
        await withCase(opened.id, async () => {
          await steps.record(opened.id, "open", {
            agent: "prefilter",
            skill: "open_case",
            summary: `${anomaly.event.priority} ${anomaly.event.rule} forwarded: ${describeForwarding(anomaly)}`,
            input: null,
            output: WhyForwarded.parse(anomaly),
          });
          component.log.info({ rule: anomaly.event.rule }, "case opened");
        });
        // With every slot taken, the case waits in the store for the first replica with room.
        if (runs.hasRoom) void runs.advance(opened.id);
      }
      return { case_id: opened.id, trace_id: opened.trace_id, duplicate };
    };

    if (config.kafka.brokers.length > 0) {
      // The pre-filter's anomalies arrive on soc.anomalies. At most `MAX_TRIAGING` cases are worked on
      // at once by a replica: a burst waits on Kafka, not in memory.
      await consumeAnomalies(component, config.kafka, runs, openCase);
    }

    const refusals = new Counter({
      name: "soc_decisions_refused_total",
      help: "Decisions and undos the coordinator refused, by reason and by the front end that carried them",
      labelNames: ["reason", "via"],
      registers: [component.metrics.registry],
    });
    /**
     * Runs a check of who decides (deciders.ts, the approvals policy): a refusal is counted and
     * logged with who asked, and thrown on; a pending approval passes through.
     */
    const gated = async <T>(caller: string, named: string, caseId: string, check: () => T | Promise<T>) => {
      try {
        return await check();
      } catch (error) {
        const refusal = SocError.from(error);
        if (refusal.code === "not_approver" || refusal.code === "forbidden") {
          refusals.inc({ reason: refusal.code, via: caller });
          component.log.warn({ caller, named, case: caseId, err: causeChain(error) }, "decision refused");
        }
        throw error;
      }
    };

    return [
      handler(skills.openCase, openCase),
      handler(skills.decide, async ({ case_id, action, by: named, reason: given }, { caller }) => {
        const approver = await gated(caller, named, case_id, () => decider(config, caller, named));
        const by = approver.id;
        const current = await store.get(case_id);
        if (!current) throw new SocError("case_not_found", `no case ${case_id}`);
        return withTrace({ ...newTrace(current.trace_id), caseId: case_id }, async () => {
          if (current.status !== "awaiting_human" || current.decision) {
            throw new SocError(
              "case_not_awaiting",
              `case ${case_id} is ${current.status}${current.decision ? `, already ${current.decision.action}ed by ${current.decision.by}` : ""}: nothing to decide`,
            );
          }
          // Every approval is put to the approvals policy, whatever reason comes with it.
          const approvedBy =
            action === "approve"
              ? await gated(caller, named, case_id, () => gate.approve(case_id, approver))
              : null;
          const reason = given ?? approvedBy;
          const decision: Decision = { action, by, reason, at: new Date().toISOString() };
          if (action === "investigate") {
            const request = evidenceRequest(await store.anomaly(case_id));
            const result = await steps.call(
              case_id,
              `investigate@${decision.at}`,
              skills.gatherEvidence,
              request,
              (e) => `investigation for ${by}: ${e.summary}`,
            );
            if (!result.ok) throw new SocError("investigation_failed", result.error, { retryable: true });
            return {
              case: (await store.get(case_id)) ?? current,
              evidence: result.output,
              questions: await askNext(case_id, decision.at, request.event, result.output),
            };
          }
          if (action === "dismiss" && !reason)
            throw new SocError("reason_required", "dismiss needs a reason");
          if (!(await store.decide(case_id, decision)))
            throw new SocError("case_not_awaiting", `case ${case_id} was decided by someone else`);
          component.log.info({ action, by }, "decision recorded");
          await feedback.record(case_id, await store.anomaly(case_id), decision);
          await runs.advance(case_id);
          return { case: (await store.get(case_id)) ?? current, evidence: null };
        });
      }),
      handler(skills.undo, async ({ case_id, by: named }, { caller }) => {
        const approver = await gated(caller, named, case_id, () => decider(config, caller, named));
        const by = approver.id;
        const current = await store.get(case_id);
        if (!current) throw new SocError("case_not_found", `no case ${case_id}`);
        return withTrace({ ...newTrace(current.trace_id), caseId: case_id }, async () => {
          if (current.resolution !== "remediated")
            throw new SocError(
              "nothing_to_undo",
              `case ${case_id} is ${current.status}${current.resolution ? `, ${current.resolution}` : ""}: nothing was carried out to undo`,
            );
          await gated(caller, named, case_id, () => gate.mayUndo(case_id, approver));
          const result = await steps.call(
            case_id,
            `undo@${new Date().toISOString()}`,
            skills.restore,
            { case_id, by },
            (r) => `undone by ${by}: ${r.undone.map((u) => u.action).join(", ") || "nothing left to undo"}`,
          );
          if (!result.ok) throw new SocError("undo_failed", result.error);
          component.log.info({ by, undone: result.output.undone.length }, "actions undone");
          return { case: (await store.get(case_id)) ?? current, undone: result.output.undone };
        });
      }),
      handler(skills.proposeRule, async ({ case_id, by: named }, { caller }) => {
        const approver = await gated(caller, named, case_id, () => decider(config, caller, named));
        const current = await store.get(case_id);
        if (!current) throw new SocError("case_not_found", `no case ${case_id}`);
        return withTrace({ ...newTrace(current.trace_id), caseId: case_id }, async () => {
          // An approver asking again confirms what the policy sent to an analyst first.
          const escalated = (await proposals.forCase(case_id)).some((p) => p.state === "escalated");
          return drafts.draft(steps, case_id, "asked", {
            key: `rule@${new Date().toISOString()}`,
            confirmedBy: escalated ? approver.id : null,
          });
        });
      }),
      handler(skills.listProposals, async ({ limit }) => ({ proposals: await drafts.list(limit) })),
      handler(skills.listCases, async ({ status, limit }) => ({ cases: await store.list(status, limit) })),
      handler(skills.trace, async ({ id }) => {
        const found = await store.get(id);
        if (!found) throw new SocError("case_not_found", `no case or trace ${id}`);
        return { case: found, steps: await store.steps(found.id) };
      }),
      handler(skills.status, async () => ({
        counts: await store.counts(),
        oldest_waiting: await store.oldestWaiting(),
        today: await store.todaysDecisions(),
        health: await fleetHealth(config),
        remediation: config.remediateMode,
      })),
    ];
  },
};

async function runGraph(graph: CaseGraph, store: Storage["store"], caseId: string): Promise<void> {
  const current = await store.get(caseId);
  if (!current || current.status === "closed") return;
  // Checkpoint when the graph stops (at the human interrupt or the end), not after every node: the
  // step store already journals each hop, and a node re-run after a crash reuses its recorded step.
  const config = { configurable: { thread_id: caseId }, durability: "exit" as const };
  await withTrace({ ...newTrace(current.trace_id), caseId }, async () => {
    const state = await graph.getState(config);
    const waiting = state.tasks.some((task) => task.interrupts.length > 0);
    if (waiting) {
      if (current.decision) await graph.invoke(new Command({ resume: current.decision }), config);
    } else if (state.next.length > 0) {
      await graph.invoke(null, config);
    } else if (!(state.values as { caseId?: string }).caseId) {
      await graph.invoke(
        { caseId, evidence: null, analysis: null, verdict: null, decision: null, resolution: null },
        config,
      );
    }
  });
}
