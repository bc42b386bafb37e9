import type { Analysis, Evidence, Narrative } from "../../contracts/analysis.js";
import { modelAnswers } from "../../contracts/answers.js";
import type { FalcoEvent } from "../../contracts/falco.js";
import type { Llm } from "../../runtime/llm/model.js";
import { quoted } from "../../runtime/llm/quoted.js";
import { tactics } from "./techniques.js";

/**
 * Asks the analyst's model for the case's narrative, beside the classification computed from the
 * evidence (which stays as it is). Falco's fields go to the model as quoted data only.
 */
export async function narrate(
  llm: Llm,
  event: FalcoEvent,
  evidence: Evidence,
  analysis: Analysis,
): Promise<Narrative | null> {
  const model = llm.model;
  if (!model) return null;
  const user = [
    "Write the narrative of this case for the analyst on call: what happened, citing the evidence,",
    "and the most likely hypothesis. Keep the classification as it is. Name an alternative_action only",
    "if another response fits better than the proposed one; otherwise null.",
    quoted({
      falco_event: {
        rule: event.rule,
        priority: event.priority,
        time: event.time,
        source: event.source,
        tags: event.tags,
        output: event.output,
        output_fields: event.output_fields,
      },
      evidence: {
        summary: evidence.summary,
        distinct_rules: evidence.distinct_rules,
        same_pod: evidence.same_pod.length,
        same_image: evidence.same_image.length,
        workload: evidence.context.status,
      },
      classification: {
        tactic: analysis.tactic,
        technique: analysis.technique,
        severity: analysis.severity,
        confidence: analysis.confidence,
        proposed_action: analysis.action.type,
        rationale: analysis.rationale,
      },
    }),
  ].join("\n");
  const answer = await llm.ask({ purpose: "narrative", user, schema: modelAnswers.narrative.schema });
  const value = answer.value;
  const unsupported = value
    ? unsupportedClaims(`${value.narrative}\n${value.hypothesis}`, event, analysis)
    : [];
  return {
    model: answer.model,
    text: value?.narrative ?? null,
    hypothesis: value?.hypothesis ?? null,
    alternative_action:
      value?.alternative_action && value.alternative_action !== analysis.action.type
        ? value.alternative_action
        : null,
    unsupported,
    repairs: answer.repairs,
    fallback: answer.fallback,
  };
}

/**
 * The ATT&CK ids and CVEs a text names that neither the rule's tags, the classification nor the
 * alert itself names: the model's own inventions, flagged for the human, never used.
 */
export function unsupportedClaims(text: string, event: FalcoEvent, analysis: Analysis): string[] {
  const tactic = Object.entries(tactics).find(([, t]) => t.name === analysis.tactic)?.[0] ?? "";
  const technique = analysis.technique?.id ?? "";
  const known = new Set(
    [...event.tags, tactic, technique, technique.split(".")[0] ?? ""].map((t) => t.toUpperCase()),
  );
  const alert = `${event.output} ${JSON.stringify(event.output_fields)}`.toUpperCase();
  return namedIds(text)
    .filter((id) => !known.has(id) && !alert.includes(id))
    .map((id) => `${id} is named by neither the rule's tags, the classification nor the alert`);
}

/** The ATT&CK tactic and technique ids and the CVEs a text names, upper-cased, once each. */
export function namedIds(text: string): string[] {
  return [
    ...new Set(text.toUpperCase().match(/\b(?:TA\d{4}|T\d{4}(?:\.\d{3})?|CVE-\d{4}-\d{4,7})\b/g) ?? []),
  ];
}
