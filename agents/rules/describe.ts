import { modelAnswers } from "../../contracts/answers.js";
import type { Llm } from "../../runtime/llm/model.js";
import { quoted } from "../../runtime/llm/quoted.js";
import type { Draft } from "./draft.js";
import { describedAs } from "./tighten.js";

/**
 * A new rule's description in the words of the agent's language model, when it has one and it
 * answers; the template's otherwise. Exceptions have no words to give.
 */
export async function worded(
  llm: Llm,
  found: Draft,
  technique: string | null,
): Promise<{ found: Draft; describedBy: string | null }> {
  if (found.kind !== "rule" || !llm.model) return { found, describedBy: null };
  const user = [
    "Write the description of this drafted Falco rule.",
    quoted({
      narrows_rule: found.rule.name,
      new_rule: found.name,
      priority: found.rule.priority,
      technique,
      approved_cases: found.cases.length,
      rules_file: found.yaml,
    }),
  ].join("\n");
  const answer = await llm.ask({ purpose: "description", user, schema: modelAnswers.description.schema });
  return answer.value
    ? { found: describedAs(found, answer.value.description), describedBy: answer.model }
    : { found, describedBy: null };
}
