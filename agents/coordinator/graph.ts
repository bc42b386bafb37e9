import {
  Annotation,
  END,
  START,
  StateGraph,
  interrupt,
  type BaseCheckpointSaver,
} from "@langchain/langgraph";
import type { Analysis, Evidence } from "../../contracts/analysis.js";
import type { Decision } from "../../contracts/case.js";
import type { PolicyDecision } from "../../contracts/policy.js";
import { WhyForwarded, type Anomaly } from "../../contracts/anomaly.js";
import { skills } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Logger } from "../../runtime/log.js";
import type { RuleDrafts } from "./rule-drafts.js";
import type { CaseStore } from "./store.js";
import { StepRunner } from "./steps.js";

const CaseState = Annotation.Root({
  caseId: Annotation<string>,
  evidence: Annotation<Evidence | null>,
  analysis: Annotation<Analysis | null>,
  verdict: Annotation<PolicyDecision | null>,
  decision: Annotation<Decision | null>,
  resolution: Annotation<"remediated" | "rejected" | "dismissed" | "failed" | null>,
});
type State = typeof CaseState.State;

export interface GraphDependencies {
  store: CaseStore;
  peers: Peers;
  log: Logger;
  /** True once the process is stopping: retries give up and the case resumes on the next start. */
  stopping?: () => boolean;
  /**
   * Whether this replica still holds the case's lease: no agent is called for a case once another
   * replica may have taken it over.
   */
  holds?: (caseId: string) => boolean;
  /** Drafts the rule change a human decision calls for, once the case is closed. */
  drafts?: RuleDrafts;
}

/** How long an escalation waits between tries while the front end is unreachable. */
const NOTIFY_RETRY_MS = { first: 1_000, max: 5_000 };

/** What the interrupt carries, so a resume can be matched to the case it is for. */
export interface AwaitingDecision {
  case_id: string;
}

/**
 * One case's state machine: detect → analyse → review → by verdict: remediate, close, or escalate
 * and wait for a human. A failed or silent agent never stalls a case: it escalates.
 */
export function caseGraph(
  { store, peers, log, stopping = () => false, holds, drafts }: GraphDependencies,
  checkpointer: BaseCheckpointSaver,
) {
  const steps = new StepRunner(store, peers, {
    holds,
    repeated: (caseId, key) =>
      log.warn({ case: caseId, step: key }, "step already recorded by another run of the case: done twice"),
  });
  const escalateWith = (state: State, reason: string): Partial<State> => ({
    verdict: {
      outcome: "escalate",
      reasons: [...(state.verdict?.reasons ?? []), reason],
      policy_version: state.verdict?.policy_version ?? "none",
    },
  });

  const detect = async (state: State): Promise<Partial<State>> => {
    await store.update(state.caseId, { status: "reviewing" });
    const anomaly = await store.anomaly(state.caseId);
    const result = await steps.call(
      state.caseId,
      "detect",
      skills.gatherEvidence,
      evidenceRequest(anomaly),
      (e) => e.summary,
    );
    return result.ok ? { evidence: result.output } : escalateWith(state, result.error);
  };

  const analyse = async (state: State): Promise<Partial<State>> => {
    if (!state.evidence) return {};
    const { event } = await store.anomaly(state.caseId);
    const result = await steps.call(
      state.caseId,
      "analyse",
      skills.classify,
      { event, evidence: state.evidence },
      (a) =>
        `${a.technique?.id ?? a.tactic ?? "no MITRE technique"} ${a.severity}, confidence ${a.confidence}, proposes ${a.action.type}${narrated(a)}`,
    );
    if (!result.ok) return escalateWith(state, result.error);
    const a = result.output;
    await store.update(state.caseId, {
      technique: a.technique?.id ?? null,
      severity: a.severity,
      confidence: a.confidence,
    });
    return { analysis: a };
  };

  const review = async (state: State): Promise<Partial<State>> => {
    if (!state.analysis) return {};
    const result = await steps.call(
      state.caseId,
      "review",
      skills.review,
      { case_id: state.caseId, analysis: state.analysis },
      (r) =>
        `${r.decision.outcome}: ${r.decision.reasons.join("; ")}${r.explanation ? ` · ${r.explanation.text ? "explained" : "not explained"} by ${r.explanation.model}` : ""}`,
    );
    if (!result.ok) return escalateWith(state, result.error);
    return { verdict: result.output.decision };
  };

  const remediate = async (state: State): Promise<Partial<State>> => {
    if (!state.analysis) return { resolution: "failed" };
    await store.update(state.caseId, { status: "executing" });
    const allowedBy = state.decision
      ? state.decision.by
      : `policy ${state.verdict?.policy_version ?? "unknown"}`;
    const input = {
      case_id: state.caseId,
      action: state.analysis.action,
      allowed_by: allowedBy,
      approved_by: state.decision?.by ?? null,
      idempotency_key: `${state.caseId}/remediate`,
    };
    const result = await steps.call(
      state.caseId,
      "remediate",
      skills.execute,
      input,
      (r) => `${r.mode}: ${r.result}`,
    );
    if (result.ok) return { resolution: "remediated" };
    // An action the policy allowed but could not run goes to a human; one a human approved is reported as failed.
    return state.decision ? { resolution: "failed" } : escalateWith(state, result.error);
  };

  const escalate = async (state: State): Promise<Partial<State>> => {
    const current = await store.update(state.caseId, {
      status: "awaiting_human",
      outcome: "escalate",
      reasons: state.verdict?.reasons ?? [],
    });
    const analysis = state.analysis ?? unknownAnalysis;
    // A case nobody was shown would wait for a decision forever: the escalation is tried until the
    // front end has it (it keeps its own durable outbox from there). Each failed try is a step.
    for (let wait = NOTIFY_RETRY_MS.first; ; wait = Math.min(wait * 2, NOTIFY_RETRY_MS.max)) {
      const shown = await steps.call(
        state.caseId,
        "notify",
        skills.escalate,
        { case: current, analysis, steps: await store.steps(state.caseId) },
        () => "escalation shown to the humans on call",
      );
      // Shown, or decided meanwhile by someone who saw it elsewhere (`npx soc`): move on to the decision.
      if (shown.ok || (await store.get(state.caseId))?.decision) return {};
      if (stopping())
        throw new Error(`stopping before ${state.caseId} was shown: it resumes on the next start`);
      log.warn({ err: shown.error, retry_in_ms: wait }, "escalation not shown; trying again");
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };

  const awaitDecision = async (state: State): Promise<Partial<State>> => {
    const decision = interrupt<AwaitingDecision, Decision>({ case_id: state.caseId });
    await steps.record(state.caseId, "decision", {
      agent: decision.by,
      skill: decision.action,
      summary: `${decision.action} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ""}`,
      input: null,
      output: decision,
    });
    return { decision, resolution: decision.action === "dismiss" ? "dismissed" : null };
  };

  const close = async (state: State): Promise<Partial<State>> => {
    const resolution = state.resolution ?? "rejected";
    const closed = await store.update(state.caseId, {
      status: "closed",
      resolution,
      ...(state.decision
        ? {}
        : { outcome: state.verdict?.outcome ?? null, reasons: state.verdict?.reasons ?? [] }),
    });
    await steps.record(state.caseId, "close", {
      agent: "coordinator",
      skill: "close",
      summary: `closed: ${resolution}`,
      input: null,
      output: { resolution },
    });
    log.info({ resolution, outcome: closed.outcome }, "case closed");
    if (closed.decision || resolution === "failed") {
      await steps.call(
        state.caseId,
        "notify-close",
        skills.caseUpdate,
        { case: closed, note: `closed: ${resolution}` },
        () => "case update shown",
      );
    }
    await drafts?.afterDecision(steps, state.caseId, state.decision);
    return {};
  };

  return new StateGraph(CaseState)
    .addNode("detect", detect)
    .addNode("analyse", analyse)
    .addNode("review", review)
    .addNode("remediate", remediate)
    .addNode("escalate", escalate)
    .addNode("await_decision", awaitDecision)
    .addNode("close", close)
    .addEdge(START, "detect")
    .addConditionalEdges("detect", (s) => (s.evidence ? "analyse" : "escalate"), ["analyse", "escalate"])
    .addConditionalEdges("analyse", (s) => (s.analysis ? "review" : "escalate"), ["review", "escalate"])
    .addConditionalEdges("review", routeVerdict, ["remediate", "escalate", "close"])
    .addConditionalEdges("remediate", (s) => (s.resolution ? "close" : "escalate"), ["close", "escalate"])
    .addEdge("escalate", "await_decision")
    .addConditionalEdges(
      "await_decision",
      (s) => (s.decision?.action === "approve" ? "remediate" : "close"),
      ["remediate", "close"],
    )
    .addEdge("close", END)
    .compile({ checkpointer });
}

function routeVerdict(state: State): "remediate" | "escalate" | "close" {
  switch (state.verdict?.outcome) {
    case "auto_execute":
      return "remediate";
    case "auto_reject":
      return "close";
    default:
      return "escalate";
  }
}

/** What the analyst's model added, in the step's one line. */
function narrated(a: Analysis): string {
  const n = a.narrative;
  if (!n) return "";
  if (n.fallback) return ` · no narrative from ${n.model}: ${n.fallback}`;
  const flagged = n.unsupported.length ? `, ${String(n.unsupported.length)} unsupported claims flagged` : "";
  return ` · narrative by ${n.model}${flagged}`;
}

/** What the humans see when the analyst could not classify the case. */
const unknownAnalysis: Analysis = {
  tactic: null,
  technique: null,
  severity: "high",
  confidence: 0,
  action: {
    type: "none",
    target: { kind: "None", namespace: null, name: null, labels: {}, image: null },
    blast_radius: { pods: 0, nodes: 0, namespaces: 0 },
    description: "no action proposed",
  },
  asset_tags: [],
  rationale: "the analyst did not answer",
  narrative: null,
};

export type CaseGraph = ReturnType<typeof caseGraph>;

/** What detect is asked for a case's evidence: its event, and why the prefilter forwarded it. */
export function evidenceRequest(anomaly: Anomaly) {
  return { event: anomaly.event, trace_id: anomaly.trace_id, forwarded: WhyForwarded.parse(anomaly) };
}
