import type { Questions } from "../../contracts/analysis.js";
import { describeForwarding } from "../../contracts/anomaly.js";
import type { Case } from "../../contracts/case.js";
import type { AssetContext } from "../../contracts/cluster.js";
import type { Step } from "../../contracts/step.js";
import {
  caseTokens,
  formatToday,
  formatTokens,
  formatUsage,
  pastTense,
  type Reply,
} from "../../commands/index.js";
import { contextLines, type Medium, type Target } from "../asset-context.js";
import type { RuleProposal } from "../../contracts/rules.js";
import { inert, inertBlock, splitMessage } from "./escape.js";

/** A command's reply as Mattermost markdown, split into messages that fit in a post. */
export function replyMessages(reply: Reply): string[] {
  return splitMessage(replyText(reply));
}

function replyText(reply: Reply): string {
  switch (reply.kind) {
    case "case":
      return [
        // Titles carry names and reasons people typed: inert like any other text from outside.
        inert(reply.title, 400),
        caseLine(reply.case),
        ...(reply.evidence
          ? [
              `Evidence: ${inert(reply.evidence.summary, 600)}`,
              ...(reply.evidence.forwarded
                ? [`**Why it reached you:** ${inert(describeForwarding(reply.evidence.forwarded), 600)}`]
                : []),
              ...contextMarkdown(reply.evidence.context, reply.case),
            ]
          : []),
        ...questionsMarkdown(reply.questions ?? null),
      ].join("\n");
    case "cases":
      return [inert(reply.title, 200), ...reply.cases.map((c) => `- ${caseLine(c)}`)].join("\n");
    case "trace": {
      const spent = formatTokens(caseTokens(reply.steps));
      return [
        `**Case \`${reply.case.id}\` · trace_id \`${reply.case.trace_id}\`**`,
        caseLine(reply.case),
        "",
        "| # | agent | what it did | MCP calls | latency | language model |",
        "|---|---|---|---|---|---|",
        ...reply.steps.map(stepRow),
        ...(spent ? ["", `**Language model, whole case:** ${spent}`] : []),
      ].join("\n");
    }
    case "status": {
      const down = Object.entries(reply.health).filter(([, s]) => s === "down");
      const counts =
        Object.entries(reply.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "no cases";
      return [
        down.length ? `**Fleet:** down: ${down.map(([n]) => n).join(", ")}` : "**Fleet:** all ready",
        `**Remediation:** ${reply.remediation}`,
        `**Cases:** ${counts}`,
        reply.oldest_waiting
          ? `**Oldest awaiting a decision:** \`${reply.oldest_waiting.id}\` since ${reply.oldest_waiting.created_at}`
          : "**Oldest awaiting a decision:** none",
        `**Today:** ${formatToday(reply.today)}`,
      ].join("\n");
    }
    case "proposal":
      return [
        inert(reply.title, 200),
        inert(reply.note, 600),
        ...(reply.proposal ? proposalMarkdown(reply.proposal) : []),
      ].join("\n");
    case "proposals":
      return [
        inert(reply.title, 200),
        ...(reply.proposals.length
          ? ["| proposal | case | kind | state | rule | pull request |", "|---|---|---|---|---|---|"]
          : []),
        ...reply.proposals.map(
          (p) =>
            `| \`${p.id}\` | \`${p.case_id}\` | ${p.kind} | ${p.state} | ${inert(p.rule.name, 80).replace(/\|/g, "\\|")} | ${p.pull_request ? `[#${String(p.pull_request.number)}](${encodeURI(p.pull_request.url)})` : "-"} |`,
        ),
      ].join("\n");
    case "help":
      return ["```", formatUsage(reply.commands).replace(/^usage: soc/, "usage: /soc"), "```"].join("\n");
  }
}

/** A proposal as the thread and the slash command show it: its change, the checks and where it went. */
export function proposalMarkdown(p: RuleProposal): string[] {
  const r = p.replay;
  return [
    `**Rule change** \`${p.id}\` (${p.kind} for ${inert(p.rule.name, 100)}) · **${p.state}**${p.pull_request ? ` · [pull request #${String(p.pull_request.number)}](${encodeURI(p.pull_request.url)})` : ""}`,
    inertBlock(p.yaml, "yaml"),
    `**Validation:** ${p.validation.ok ? "falco-lang, schema and fields: clean" : p.validation.messages.map((m) => inert(m, 300)).join("; ")}`,
    `**Replay:** ${String(r.events)} recorded events; holds for ${String(r.hits.length)} (${r.per_day.toFixed(1)}/day); could not replay ${String(r.unreplayable)}`,
    `**Policy** (${inert(p.gate.policy_version, 64)}): ${p.gate.reasons.map((m) => inert(m, 300)).join("; ")}`,
  ];
}

const markdown: Medium = {
  value: inert,
  name: (name) => `**${name.charAt(0).toUpperCase()}${name.slice(1)}:**`,
};

/** The analyst's model's next questions, marked as its words, each value inert. */
export function questionsMarkdown(questions: Questions | null): string[] {
  if (!questions?.questions.length) return [];
  return [
    `**Questions to answer next** (${inert(questions.model, 64)}'s words):`,
    ...questions.questions.map((q) => `- ${inert(q.question, 200)} Settled by: ${inert(q.evidence, 200)}`),
  ];
}

/**
 * What the cluster says of a case's workload, as the slash command's reply and the thread show it:
 * the status line, then its fields as a list.
 */
export function contextMarkdown(context: AssetContext, target: Target): string[] {
  const [status = "", ...fields] = contextLines(context, target, markdown);
  return [status, ...fields.map((field) => `- ${field}`)];
}

function caseLine(c: Case): string {
  const decided = c.decision ? ` · ${pastTense[c.decision.action]} by ${inert(c.decision.by, 64)}` : "";
  return `\`${c.id}\` ${c.status} · ${inert(c.rule, 100)} on ${inert(`${c.namespace ?? "-"}/${c.pod ?? "-"}`, 100)}${decided}`;
}

function stepRow(s: Step): string {
  const mcp =
    s.mcp_calls.map((m) => `${m.server}.${m.tool} ${m.latency_ms} ms${m.error ? " ✗" : ""}`).join("<br>") ||
    "-";
  const summary = `${inert(s.summary, 300)}${s.error ? ` (error ${inert(s.error, 200)})` : ""}`;
  // A table cell ends at a pipe; code spans keep it, but escape it for the table parser too.
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  return `| ${s.seq} | ${cell(inert(s.agent, 40))} · ${s.skill} | ${cell(summary)} | ${cell(mcp)} | ${Math.round(s.duration_ms)} ms | ${formatTokens(s.tokens) || "-"} |`;
}
