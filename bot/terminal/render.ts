import type { Analysis, Evidence, Narrative } from "../../contracts/analysis.js";
import { describeForwarding } from "../../contracts/anomaly.js";
import type { Case } from "../../contracts/case.js";
import type { RuleProposal } from "../../contracts/rules.js";
import type { Step } from "../../contracts/step.js";
import {
  caseTokens,
  formatToday,
  formatTokens,
  formatUsage,
  pastTense,
  type Reply,
} from "../../commands/index.js";
import { contextLines, type Medium } from "../asset-context.js";

/**
 * Plain text for a terminal. Falco fields are attacker-controlled: control characters (escape
 * sequences, newlines) are replaced so they cannot rewrite the operator's screen.
 */
export function safe(value: string | null | undefined, max = 120): string {
  if (value === null || value === undefined) return "-";
  // Control characters, and the bidi and line-separator marks that can reorder what is shown.
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, "␣");
  // By code point, so truncation never splits a surrogate pair.
  const chars = Array.from(clean);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : clean;
}

export function asset(c: Case): string {
  return `${safe(c.namespace)}/${safe(c.pod)} (${safe(c.image)})`;
}

const terminal: Medium = { value: safe, name: (name) => `${name}:` };

/** The evidence summary, then what the cluster says of the workload, its fields indented below. */
function evidenceLines(evidence: Evidence, c: Case): string[] {
  const [status = "", ...fields] = contextLines(evidence.context, c, terminal);
  return [
    `evidence: ${safe(evidence.summary, 300)}`,
    ...(evidence.forwarded
      ? [`why it reached you: ${safe(describeForwarding(evidence.forwarded), 600)}`]
      : []),
    status,
    ...fields.map((field) => `  ${field}`),
  ];
}

function caseLine(c: Case): string {
  const decided = c.decision ? ` ${pastTense[c.decision.action]} by ${safe(c.decision.by)}` : "";
  return `${c.id}  ${c.status.padEnd(14)} ${(c.outcome ?? "-").padEnd(12)} ${safe(c.rule, 48).padEnd(48)} ${asset(c)}${decided}`;
}

function stepLine(s: Step): string {
  const mcp = s.mcp_calls
    .map((m) => `${m.server}.${m.tool} ${m.latency_ms}ms${m.error ? " failed" : ""}`)
    .join(", ");
  const tokens = formatTokens(s.tokens) && ` ${formatTokens(s.tokens)}`;
  return `  ${String(s.seq).padStart(2)}. ${s.at}  ${safe(s.agent, 24).padEnd(12)} ${s.skill.padEnd(16)} ${Math.round(s.duration_ms)}ms${tokens}${mcp ? ` [mcp: ${mcp}]` : ""}\n      ${safe(s.summary, 200)}${s.error ? `  (error: ${s.error})` : ""}`;
}

function proposalLine(p: RuleProposal): string {
  return `${p.id}  ${p.case_id}  ${p.kind.padEnd(9)} ${p.state.padEnd(9)} ${safe(p.rule.name, 48).padEnd(48)} ${p.pull_request ? safe(p.pull_request.url, 200) : "-"}`;
}

/** A proposal in full: its line, its change, the checks it passed or failed. */
function proposalLines(p: RuleProposal): string[] {
  const r = p.replay;
  return [
    proposalLine(p),
    ...p.yaml
      .trimEnd()
      .split("\n")
      .map((line) => `  | ${safe(line, 300)}`),
    `validation: ${p.validation.ok ? "clean" : p.validation.messages.map((m) => safe(m, 300)).join("; ")}`,
    `replay: ${String(r.events)} recorded events; holds for ${String(r.hits.length)} (${r.per_day.toFixed(1)}/day); could not replay ${String(r.unreplayable)}${r.missing_fields.length ? ` (lack ${r.missing_fields.join(", ")})` : ""}`,
    `policy ${safe(p.gate.policy_version)}: ${p.gate.reasons.map((m) => safe(m, 300)).join("; ")}`,
  ];
}

export function renderReply(reply: Reply): string {
  switch (reply.kind) {
    case "case":
      return [
        reply.title,
        caseLine(reply.case),
        ...(reply.evidence ? evidenceLines(reply.evidence, reply.case) : []),
        ...(reply.questions?.questions.length
          ? [
              `questions to answer next (${safe(reply.questions.model)}'s words):`,
              ...reply.questions.questions.map(
                (q) => `  - ${safe(q.question, 200)} (settled by: ${safe(q.evidence, 200)})`,
              ),
            ]
          : []),
      ].join("\n");
    case "cases":
      return [reply.title, ...reply.cases.map(caseLine)].join("\n");
    case "trace": {
      const spent = formatTokens(caseTokens(reply.steps));
      return [
        `${reply.case.id} trace ${reply.case.trace_id}`,
        caseLine(reply.case),
        ...reply.steps.map(stepLine),
        ...(spent ? [`language model, whole case: ${spent}`] : []),
      ].join("\n");
    }
    case "status": {
      const counts =
        Object.entries(reply.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "no cases";
      const oldest = reply.oldest_waiting
        ? `oldest awaiting a decision: ${reply.oldest_waiting.id} since ${reply.oldest_waiting.created_at}`
        : "nothing awaits a decision";
      const down = Object.entries(reply.health)
        .filter(([, state]) => state === "down")
        .map(([name]) => name);
      const health = down.length ? `fleet: down ${down.join(", ")}` : "fleet: all ready";
      const mode = `remediation: ${reply.remediation}`;
      return `${health}\n${mode}\ncases: ${counts}\n${oldest}\ntoday: ${formatToday(reply.today)}`;
    }
    case "proposal":
      return [
        reply.title,
        safe(reply.note, 600),
        ...(reply.proposal ? proposalLines(reply.proposal) : []),
      ].join("\n");
    case "proposals":
      return [reply.title, ...reply.proposals.map(proposalLine)].join("\n");
    case "help":
      return formatUsage(reply.commands);
  }
}

/** The escalation as the terminal front end shows it. */
export function renderEscalation(c: Case, analysis: Analysis): string {
  const technique = analysis.technique
    ? `${analysis.technique.id} ${analysis.technique.name}`
    : "no technique";
  return [
    `ESCALATED ${c.id}  trace ${c.trace_id}`,
    `  ${safe(c.rule)} on ${asset(c)}`,
    `  ${technique}, ${analysis.severity}, confidence ${analysis.confidence}; proposes ${analysis.action.type} (blast radius pods ${analysis.action.blast_radius.pods})`,
    `  why: ${c.reasons.map((r) => safe(r)).join("; ")}`,
    ...narrativeLines(analysis.narrative),
    `  decide: npx soc approve ${c.id} | npx soc dismiss ${c.id} <reason> | npx soc investigate ${c.id}`,
  ].join("\n");
}

/** The analyst's model's words, marked as its own, with what it claimed that nothing supports. */
function narrativeLines(narrative: Narrative | null): string[] {
  if (!narrative) return [];
  if (!narrative.text) return [`  narrative (${narrative.model}): none, ${safe(narrative.fallback, 200)}`];
  return [
    `  narrative (${narrative.model}): ${safe(narrative.text, 600)}`,
    `  hypothesis: ${safe(narrative.hypothesis, 300)}`,
    ...narrative.unsupported.map((claim) => `  unsupported: ${safe(claim)}`),
  ];
}
