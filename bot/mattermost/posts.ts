import type { Analysis, Narrative } from "../../contracts/analysis.js";
import { describeForwarding } from "../../contracts/anomaly.js";
import type { Case } from "../../contracts/case.js";
import { skills } from "../../contracts/skills.js";
import type { Step } from "../../contracts/step.js";
import { formatTokens, pastTense } from "../../commands/index.js";
import type { Attachment, Button } from "./api.js";
import { inert } from "./escape.js";

/**
 * What the bot posts, as Mattermost message attachments. Every value that came from a Falco event
 * (rule, pod, image, command lines in summaries and reasons) goes through `inert`.
 */

const colours: Record<string, string> = {
  critical: "#8b0000",
  high: "#d24b4e",
  medium: "#f5a623",
  low: "#2389d7",
};
const decidedColour = "#3db887";

export const buttonNames = { approve: "Approve", dismiss: "Dismiss", investigate: "Investigate" } as const;
export type ButtonAction = keyof typeof buttonNames;

export function escalationAttachment(
  c: Case,
  analysis: Analysis,
  steps: readonly Step[],
  buttons: readonly Button[],
): Attachment {
  const technique = analysis.technique ? `${analysis.technique.id} ${analysis.technique.name}` : null;
  const radius = analysis.action.blast_radius;
  const target = analysis.action.target;
  return {
    fallback: `Case ${c.id} escalated: ${analysis.severity}, needs a decision`,
    color: colours[analysis.severity] ?? colours.medium ?? "",
    title: `Case ${c.id} needs a decision`,
    text: [`Rule ${inert(c.rule, 120)}`, "**Reasoning chain**", ...steps.map(chainLine)].join("\n"),
    fields: [
      { title: "Case", value: `\`${c.id}\``, short: true },
      { title: "trace_id", value: `\`${c.trace_id}\``, short: true },
      {
        title: "Asset",
        value: `${inert(`${c.namespace ?? "-"}/${c.pod ?? "-"}`, 120)} ${inert(c.image, 120)}`,
        short: false,
      },
      { title: "MITRE technique", value: inert(technique, 120), short: true },
      { title: "Severity", value: analysis.severity, short: true },
      { title: "Confidence", value: analysis.confidence.toFixed(2), short: true },
      {
        title: "Proposed action",
        value: `${analysis.action.type} ${inert(`${target.kind} ${target.namespace ?? "-"}/${target.name ?? "-"}`, 120)}`,
        short: true,
      },
      {
        title: "Blast radius",
        value: `${radius.pods} pods, ${radius.nodes} nodes, ${radius.namespaces} namespaces`,
        short: true,
      },
      {
        title: "Why escalated",
        value: c.reasons.map((r) => `- ${inert(r, 200)}`).join("\n") || "-",
        short: false,
      },
      ...forwardedFields(steps),
      ...narrativeFields(analysis.narrative),
      ...explanationFields(steps),
    ],
    actions: [...buttons],
    footer: "soc-fleet",
  };
}

/**
 * The analyst's model's words, marked as such: the model's text is as untrusted as Falco's (it
 * read Falco's fields), so it is shown inert, with what it claimed that nothing supports.
 */
function narrativeFields(narrative: Narrative | null): NonNullable<Attachment["fields"]> {
  if (!narrative) return [];
  if (!narrative.text)
    return [
      {
        title: `Narrative (${narrative.model})`,
        value: `none: ${inert(narrative.fallback, 200)}`,
        short: false,
      },
    ];
  return [
    {
      title: `Narrative (${narrative.model}; its words, not the verdict)`,
      value: [
        inert(narrative.text, 1_200),
        `Hypothesis: ${inert(narrative.hypothesis, 400)}`,
        ...(narrative.alternative_action ? [`Would rather: ${narrative.alternative_action}`] : []),
        ...narrative.unsupported.map((claim) => `Unsupported: ${inert(claim, 200)}`),
      ].join("\n"),
      short: false,
    },
  ];
}

/** Why the prefilter forwarded the event, from the evidence step: its threshold or the floor, and the features that drove its score. */
function forwardedFields(steps: readonly Step[]): NonNullable<Attachment["fields"]> {
  const detect = steps.find((step) => step.skill === skills.gatherEvidence.id && !step.error);
  const forwarded = skills.gatherEvidence.output.safeParse(detect?.output).data?.forwarded;
  if (!forwarded) return [];
  return [{ title: "Why this reached you", value: inert(describeForwarding(forwarded), 600), short: false }];
}

/** The reviewer's model's account of the verdict, from the review step, marked as its words. */
function explanationFields(steps: readonly Step[]): NonNullable<Attachment["fields"]> {
  const review = steps.findLast((step) => step.skill === "review" && !step.error);
  const parsed = skills.review.output.safeParse(review?.output);
  const explanation = parsed.success ? parsed.data.explanation : null;
  if (!explanation?.text) return [];
  return [
    {
      title: `The verdict in words (${explanation.model}; the policy decided)`,
      value: inert(explanation.text, 800),
      short: false,
    },
  ];
}

/** The same attachment once decided: no buttons, who decided what and when. */
export function decidedAttachment(original: Attachment, c: Case): Attachment {
  const rest: Attachment = { ...original };
  delete rest.actions;
  const d = c.decision;
  const decided = d
    ? `${pastTense[d.action]} by ${inert(d.by, 64)} at ${d.at}${d.reason ? `: ${inert(d.reason, 300)}` : ""}`
    : c.status;
  const resolution = c.resolution ? ` · ${c.resolution}` : "";
  return {
    ...rest,
    color: decidedColour,
    title: `Case ${c.id}: ${d ? pastTense[d.action] : c.status}${resolution}`,
    fields: [
      ...(rest.fields ?? []).filter((f) => f.title !== "Decision"),
      { title: "Decision", value: decided, short: false },
    ],
  };
}

function chainLine(step: Step): string {
  return `${step.seq}. **${step.agent}** ${step.skill}: ${inert(step.summary, 160)}`;
}

/** One hop of the reasoning chain as a reply in the case's thread. */
export function stepMessage(step: Step): string {
  const mcp = step.mcp_calls.map(
    (m) => `${m.server}.${m.tool} ${m.latency_ms} ms${m.error ? " (failed)" : ""}`,
  );
  const tokens = formatTokens(step.tokens) && ` · ${formatTokens(step.tokens)}`;
  return [
    `**${step.seq}. ${step.agent}** · ${step.skill} · ${Math.round(step.duration_ms)} ms${tokens}`,
    inert(step.summary, 400),
    ...(mcp.length > 0 ? [`MCP: ${mcp.join(", ")}`] : []),
    ...(step.error ? [`error: ${inert(step.error, 300)}`] : []),
  ].join("\n");
}

/**
 * Escalations of one rule on one workload with one technique share a thread. A workload is its
 * pod name without the generated suffixes of Deployments and ReplicaSets.
 */
export function groupKey(c: Case): string {
  const workload = (c.pod ?? "-").replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, "").replace(/-[a-z0-9]{5}$/, "");
  return JSON.stringify([c.rule, c.namespace, workload, c.technique]);
}
