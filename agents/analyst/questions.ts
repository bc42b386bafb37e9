import type { Analysis, Evidence, Questions } from "../../contracts/analysis.js";
import { modelAnswers } from "../../contracts/answers.js";
import type { FalcoEvent } from "../../contracts/falco.js";
import type { Llm } from "../../runtime/llm/model.js";
import { quoted } from "../../runtime/llm/quoted.js";

/**
 * For an analyst who asked to investigate: the questions the model would answer next and the
 * evidence that would settle each. Words for the human; nothing is run from them.
 */
export async function nextQuestions(
  llm: Llm,
  event: FalcoEvent,
  evidence: Evidence,
  analysis: Analysis,
): Promise<Questions | null> {
  if (!llm.model) return null;
  const user = [
    "An analyst is investigating this case before deciding it. List up to five questions to answer",
    "next, each with the evidence that would settle it (a log, a file, a Kubernetes object, a command).",
    quoted({
      falco_event: {
        rule: event.rule,
        priority: event.priority,
        output: event.output,
        output_fields: event.output_fields,
      },
      evidence: {
        summary: evidence.summary,
        distinct_rules: evidence.distinct_rules,
        workload: evidence.context.detail,
      },
      classification: {
        tactic: analysis.tactic,
        technique: analysis.technique,
        severity: analysis.severity,
        proposed_action: analysis.action.type,
      },
    }),
  ].join("\n");
  const answer = await llm.ask({ purpose: "questions", user, schema: modelAnswers.questions.schema });
  return { model: answer.model, questions: answer.value?.questions ?? [], fallback: answer.fallback };
}
