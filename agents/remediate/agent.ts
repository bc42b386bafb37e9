import { z } from "zod";
import { KubeRequest } from "../../contracts/cluster.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";

const Applied = z.object({ mode: z.enum(["dry-run", "enforce"]), requests: z.array(KubeRequest) });

export const remediate: Agent = {
  kind: "agent",
  name: "remediate",
  description:
    "Executes the response action a verdict or a human allowed, and nothing more, through cluster-actions.",
  skills({ component, config, mcp }) {
    const cluster = mcp("cluster-actions");
    return [
      handler(skills.execute, async ({ case_id, action, allowed_by, idempotency_key }) => {
        if (action.type === "none") {
          return { mode: config.remediateMode, requests: [], result: `nothing to do, allowed by ${allowed_by}` };
        }
        // Each action is its own tool; its parameters are read from the proposed target.
        const applied = Applied.parse(
          await cluster.call(action.type, { case_id, parameters: action.target, idempotency_key }),
        );
        component.log.info({ action: action.type, allowed_by, mode: applied.mode }, "action executed");
        const verb = applied.mode === "dry-run" ? "would send" : "sent";
        return {
          mode: applied.mode,
          requests: applied.requests,
          result: `${action.type} ${verb} ${applied.requests.length} request(s), allowed by ${allowed_by}`,
        };
      }),
    ];
  },
};
