import type { RuleGate } from "../../contracts/rules.js";
import type { Validation } from "./validate.js";
import type { Draft } from "./draft.js";

/**
 * The pull request of a proposal: its branch, commit message, title and description. The
 * description carries what a reviewer needs to merge it: the change, the validator's verdict, the
 * replay on the recorded events, the policy's reasons and the cases it came from. Every value in
 * it came from Falco events (attacker-controlled): it is quoted in code blocks, never as markup.
 */
export function pullRequestOf(
  draft: Draft,
  checked: { validation: Validation; gate: RuleGate; confirmedBy: string | null; describedBy: string | null },
): { branch: string; message: string; title: string; body: string } {
  const what =
    draft.kind === "exception"
      ? `exception ${draft.name} to "${draft.rule.name}"`
      : `rule "${draft.name}" at ${draft.rule.priority}`;
  const title = `soc-fleet: ${what}`.slice(0, 250);
  const r = draft.replay;
  const replayLines =
    draft.kind === "exception"
      ? [
          `- spares ${String(r.spared_dismissed)} of the ${String(r.dismissed)} dismissed case(s) it was drafted from`,
          `- approved cases it would hide: ${r.spared_approved.join(", ") || "none"}`,
          `- open cases it would hide: ${r.spared_open.join(", ") || "none"}`,
        ]
      : [
          `- matches ${String(r.matched_approved)} of the ${String(r.approved)} approved case(s) it was drafted from`,
        ];
  const body = [
    `Drafted by soc-fleet from analysts' decisions on ${draft.cases.join(", ")}.`,
    "",
    "## The change",
    "",
    fenced("yaml", draft.yaml),
    "",
    "## Validation",
    "",
    checked.validation.ok
      ? "`falco-lang validate --strict` with the official rulesets, Falco's rules schema and the field catalogue: no errors, no warnings."
      : fenced("text", checked.validation.messages.join("\n")),
    "",
    `## Replay on ${String(r.events)} recorded event(s) of the rule`,
    "",
    ...replayLines,
    `- holds for ${String(r.hits.length)} recorded event(s), ${r.per_day.toFixed(1)} a day`,
    `- could not be replayed: ${String(r.unreplayable)}${r.missing_fields.length ? ` (records lack ${r.missing_fields.join(", ")})` : ""}`,
    "",
    `## Policy (${checked.gate.policy_version})`,
    "",
    ...checked.gate.reasons.map((reason) => `- ${reason}`),
    ...(checked.describedBy ? ["", `The rule's description is in the words of ${checked.describedBy}.`] : []),
    ...(checked.confirmedBy ? ["", `Confirmed by ${checked.confirmedBy}.`] : []),
  ].join("\n");
  return {
    branch: `soc/${draft.id}`,
    message: `${title}\n\nFrom ${draft.cases.join(", ")}; ${checked.gate.reasons.join("; ")}`,
    title,
    body,
  };
}

/** Text in a code block that no line of it can close. */
function fenced(language: string, text: string): string {
  const fence = "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return `${fence}${language}\n${text.trimEnd()}\n${fence}`;
}
