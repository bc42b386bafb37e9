import type { Case } from "../../contracts/case.js";
import type { Step } from "../../contracts/step.js";
import { formatToday, formatUsage, pastTense, type Reply } from "../../commands/index.js";
import { inert, splitMessage } from "./escape.js";

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
        ...(reply.evidence ? [`Evidence: ${inert(reply.evidence.summary, 600)}`] : []),
      ].join("\n");
    case "cases":
      return [inert(reply.title, 200), ...reply.cases.map((c) => `- ${caseLine(c)}`)].join("\n");
    case "trace":
      return [
        `**Case \`${reply.case.id}\` · trace_id \`${reply.case.trace_id}\`**`,
        caseLine(reply.case),
        "",
        "| # | agent | what it did | MCP calls | latency | tokens |",
        "|---|---|---|---|---|---|",
        ...reply.steps.map(stepRow),
      ].join("\n");
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
    case "help":
      return ["```", formatUsage(reply.commands).replace(/^usage: soc/, "usage: /soc"), "```"].join("\n");
  }
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
  return `| ${s.seq} | ${cell(inert(s.agent, 40))} · ${s.skill} | ${cell(summary)} | ${cell(mcp)} | ${Math.round(s.duration_ms)} ms | ${s.tokens.in}/${s.tokens.out} |`;
}
