import { z } from "zod";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { Agent } from "../agent.js";

const Applied = z.object({
  mode: z.enum(["dry-run", "enforce"]),
  requests: z.array(
    z.object({ method: z.string(), path: z.string(), contentType: z.string(), body: z.unknown() }),
  ),
});

export const remediate: Agent = {
  kind: "agent",
  name: "remediate",
  description:
    "Executes the response action a verdict or a human allowed, and nothing more, through cluster-actions.",
  skills({ component, mcp }) {
    const cluster = mcp("cluster-actions");
    return [
      handler(skills.execute, async ({ case_id, action, allowed_by, idempotency_key }) => {
        const applied = Applied.parse(
          await cluster.call("apply_action", { case_id, action, idempotency_key }),
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
