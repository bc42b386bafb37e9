import type { Evidence } from "../../contracts/analysis.js";
import { AssetContext, emptyContext } from "../../contracts/cluster.js";
import type { WhyForwarded } from "../../contracts/anomaly.js";
import { workloadOf } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError } from "../../runtime/errors.js";
import type { McpPeer } from "../../runtime/mcp/client.js";
import type { Agent } from "../agent.js";

export const detect: Agent = {
  kind: "agent",
  name: "detect",
  description:
    "Gathers evidence for an event: recent related events of the same pod and image, and the live workload from the API server.",
  skills({ peers, mcp }) {
    const cluster = mcp("cluster-actions");
    return [
      handler(skills.gatherEvidence, async ({ event, trace_id, forwarded }) => {
        const w = workloadOf(event);
        const [related, context] = await Promise.all([
          peers.call(skills.recentEvents, {
            namespace: w.namespace,
            pod: w.pod,
            image: w.image,
            exclude_trace_id: trace_id,
          }),
          describe(cluster, { namespace: w.namespace, pod: w.pod, image: w.image }),
        ]);
        return evidence(event.rule, related.output, context, forwarded);
      }),
    ];
  },
};

/** The workload as the API server sees it; a cluster that cannot be asked is said so, never assumed. */
async function describe(
  cluster: McpPeer,
  target: { namespace: string | null; pod: string | null; image: string | null },
): Promise<AssetContext> {
  try {
    return AssetContext.parse(await cluster.call("describe_target", target));
  } catch (error) {
    return emptyContext("unavailable", `the workload could not be read: ${SocError.from(error).message}`);
  }
}

/** Pure: the evidence record and its one-line summary. */
export function evidence(
  rule: string,
  related: Pick<Evidence, "same_pod" | "same_image">,
  context: AssetContext,
  forwarded: WhyForwarded | null = null,
): Evidence {
  const distinct = [...new Set([rule, ...related.same_pod.map((e) => e.rule)])].sort();
  const parts = [
    `${related.same_pod.length} recent event(s) on the same pod`,
    `${related.same_image.length} on other pods of the same image`,
    `${distinct.length} distinct rule(s) on the pod`,
    `cluster: ${context.detail}`,
  ];
  return { ...related, distinct_rules: distinct, context, forwarded, summary: parts.join(", ") };
}
