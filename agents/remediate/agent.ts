import { z } from "zod";
import { AppliedAction, UndoneAction } from "../../contracts/cluster.js";
import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import { SocError } from "../../runtime/errors.js";
import type { Agent } from "../agent.js";

export const remediate: Agent = {
  kind: "agent",
  name: "remediate",
  description:
    "Executes the response action a verdict or a human allowed, and nothing more, through cluster-actions.",
  skills({ component, config, mcp }) {
    const cluster = mcp("cluster-actions");
    return [
      handler(skills.execute, async ({ case_id, action, allowed_by, approved_by, idempotency_key }) => {
        if (action.type === "none") {
          const result = `nothing to do, allowed by ${allowed_by}`;
          return { ...nothing(config.remediateMode), result };
        }
        // Each action is its own tool; its parameters are read from the proposed target.
        // A tool the AgentConfig marks requireApproval runs only on a human's approval.
        const applied = AppliedAction.parse(
          await cluster.call(
            action.type,
            { case_id, parameters: action.target, idempotency_key },
            { approvedBy: approved_by },
          ),
        );
        component.log.info({ action: action.type, allowed_by, mode: applied.mode }, "action executed");
        // Sent but not found in effect: the case is not remediated, whatever the server answered.
        if (applied.verification?.ok === false)
          throw new SocError(
            "not_verified",
            `${describe(applied)}; nothing more is sent: a human decides what follows`,
          );
        return { ...applied, result: `${describe(applied)}, allowed by ${allowed_by}` };
      }),
      handler(skills.restore, async ({ case_id, by }) => {
        const { undone } = Undone.parse(await cluster.call("undo_case", { case_id, by }, { approvedBy: by }));
        component.log.info({ case: case_id, by, undone: undone.length }, "actions undone");
        return { undone };
      }),
    ];
  },
};

const Undone = z.object({ undone: z.array(UndoneAction) });

function nothing(mode: AppliedAction["mode"]): AppliedAction {
  return {
    mode,
    action: "none",
    server: null,
    requests: [],
    answers: [],
    verification: null,
    replayed: false,
  };
}

/** One line for the reasoning chain: what was sent, where, and what was found afterwards. */
export function describe(applied: AppliedAction): string {
  const count = `${applied.requests.length} request(s)`;
  if (applied.replayed) return `${applied.action} already carried out: nothing sent again`;
  if (!applied.server) return `${applied.action} would send ${count} (no cluster configured)`;
  if (applied.mode === "dry-run")
    return `${applied.action}: the API server accepted ${count} in dry run, nothing stored`;
  const verified = applied.verification?.ok ? "verified" : "NOT verified";
  return `${applied.action} sent ${count}, ${verified}: ${applied.verification?.detail ?? "not checked"}`;
}
