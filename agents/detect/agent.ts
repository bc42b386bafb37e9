import type { Evidence } from "../../contracts/analysis.js";
import { workloadOf } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";

export const detect: Agent = {
  kind: "agent",
  name: "detect",
  description: "Gathers evidence for an event: recent related events of the same pod and image.",
  skills({ peers }) {
    return [
      handler(skills.gatherEvidence, async ({ event, trace_id }) => {
        const w = workloadOf(event);
        const { output } = await peers.call(skills.recentEvents, {
          namespace: w.namespace,
          pod: w.pod,
          image: w.image,
          exclude_trace_id: trace_id,
        });
        return evidence(event.rule, output);
      }),
    ];
  },
};

/** Pure: the evidence record and its one-line summary. */
export function evidence(rule: string, related: Pick<Evidence, "same_pod" | "same_image">): Evidence {
  const distinct = [...new Set([rule, ...related.same_pod.map((e) => e.rule)])].sort();
  const parts = [
    `${related.same_pod.length} recent event(s) on the same pod`,
    `${related.same_image.length} on other pods of the same image`,
    `${distinct.length} distinct rule(s) on the pod`,
  ];
  return { ...related, distinct_rules: distinct, summary: parts.join(", ") };
}
