import type { FalcoEvent } from "../../contracts/falco.js";
import type { DraftTrigger, RecordedEvent, ReplayReport, RuleChangeKind } from "../../contracts/rules.js";
import type { Severity } from "../../contracts/analysis.js";
import { draftException, exceptionYaml, replayException } from "./exceptions.js";
import type { Replay } from "./replay.js";
import type { RuleSet } from "./ruleset.js";
import { sameWorkload } from "./shape.js";
import { draftRule, replayRule } from "./tighten.js";

/** What a draft is drawn from: one case, the analysts' decisions on its rule's recorded events. */
export interface DraftRequest {
  case_id: string;
  trigger: DraftTrigger;
  event: FalcoEvent;
  finding: { severity: Severity; technique: string | null } | null;
  history: readonly RecordedEvent[];
}

/** A rule change drawn and replayed, before it is validated and put to the policy. */
export interface Draft {
  id: string;
  kind: RuleChangeKind;
  /** The rule it changes or narrows, and the priority the gate weighs: the rule's, or the new rule's. */
  rule: { name: string; priority: string };
  name: string;
  yaml: string;
  cases: string[];
  replay: ReplayReport;
}

/**
 * How many dismissed cases of one workload set an exception off by themselves: one dismissal may
 * be a judgement on that event, two are a pattern. Someone asking (`/soc rule`) needs one.
 */
export const MIN_DISMISSED = 2;

/**
 * Draws the rule change a case calls for, or says why there is none: an exception for the workload
 * of a dismissed case, from every dismissed case of its rule and workload; a new, narrower rule
 * at the analysis's priority for an approved one, from every approved case of its rule and
 * workload. Built on the rule as `rules` (the rulesets Falco runs) defines it.
 */
export function draft(request: DraftRequest, rules: RuleSet): Draft | string {
  const rule = rules.rules.get(request.event.rule);
  if (!rule) return `rule "${request.event.rule}" is not in the rulesets drafts are built on`;
  const own = request.history.find((e) => e.case_id === request.case_id)?.decision;
  const kind = request.trigger === "asked" ? own : request.trigger;
  if (kind !== "dismissed" && kind !== "approved")
    return `case ${request.case_id} is not decided: an exception comes from a dismissal, a rule from an approval`;
  const workload = request.history.filter(
    (e) => e.decision === kind && sameWorkload(e.fields, request.event.output_fields),
  );
  const events = request.history.length;
  if (kind === "dismissed") {
    const needed = request.trigger === "asked" ? 1 : MIN_DISMISSED;
    if (workload.length < needed)
      return `${String(workload.length)} dismissed case(s) of this workload: an exception is drafted from ${String(needed)}`;
    const exception = draftException(
      rule.name,
      workload.map((e) => e.fields),
    );
    if (!exception) return "the dismissed cases of this workload share no field to describe them by";
    const replay = replayException(exception, request.history, rules);
    const spared = new Set(replay.hits.dismissed);
    return {
      id: exception.name,
      kind: "exception",
      rule: { name: rule.name, priority: rule.text.priority ?? request.event.priority },
      name: exception.name,
      yaml: exceptionYaml(rule.name, exception),
      cases: workload.map((e) => e.case_id),
      replay: report(replay, events, {
        dismissed: workload.length,
        spared_dismissed: workload.filter((e) => spared.has(e.case_id)).length,
        spared_approved: replay.hits.approved,
        spared_open: replay.hits.open,
      }),
    };
  }
  if (!request.finding) return "the analyst did not classify the case: nothing to rank a new rule by";
  const drafted = draftRule(
    rule,
    workload.map((e) => e.fields),
    request.finding,
  );
  if (!drafted) return "the approved cases of this workload share no field to describe them by";
  const replay = replayRule(drafted, request.history, rules);
  const matched = new Set(replay.hits.approved);
  return {
    id: drafted.id,
    kind: "rule",
    rule: { name: rule.name, priority: drafted.priority },
    name: drafted.name,
    yaml: drafted.yaml,
    cases: workload.map((e) => e.case_id),
    replay: report(replay, events, {
      approved: workload.length,
      matched_approved: workload.filter((e) => matched.has(e.case_id)).length,
    }),
  };
}

function report(
  replay: Replay,
  events: number,
  counts: Partial<
    Pick<
      ReplayReport,
      "dismissed" | "spared_dismissed" | "spared_approved" | "spared_open" | "approved" | "matched_approved"
    >
  >,
): ReplayReport {
  return {
    events,
    dismissed: 0,
    spared_dismissed: 0,
    spared_approved: [],
    spared_open: [],
    approved: 0,
    matched_approved: 0,
    ...counts,
    hits: [...replay.hits.dismissed, ...replay.hits.approved, ...replay.hits.open],
    per_day: replay.perDay,
    unreplayable: replay.unreplayable.length,
    missing_fields: [...new Set(replay.unreplayable.flatMap((u) => u.missing))].sort(),
  };
}
