import { skills } from "../../contracts/skills.js";
import { handler } from "../../runtime/a2a/skill.js";
import type { FleetConfig } from "../../contracts/config.js";
import type { McpServerName } from "../../contracts/skills.js";
import type { Agent } from "../../runtime/agent.js";
import { renderEscalation, safe } from "../terminal/render.js";

/**
 * The front end's agent: Mattermost when MATTERMOST_URL is set; otherwise the terminal, where
 * escalations and case updates are written for people on stderr (stdout carries the JSON logs).
 */
export const notify: Agent<FleetConfig, McpServerName> & { name: "notify" } = {
  kind: "agent",
  name: "notify",
  description: "Shows escalations and case updates to the humans who decide them.",
  async skills(context) {
    if (context.config.mattermost) {
      const { mattermostFrontEnd } = await import("../mattermost/front-end.js");
      return mattermostFrontEnd(context, context.config.mattermost);
    }
    const { component } = context;
    const show = (text: string) => process.stderr.write(`${text}\n`);
    return [
      handler(skills.escalate, ({ case: escalated, analysis }) => {
        show(renderEscalation(escalated, analysis));
        component.log.info({ case: escalated.id }, "escalation shown");
        return Promise.resolve({ ok: true as const });
      }),
      handler(skills.caseUpdate, ({ case: updated, note, proposal }) => {
        const pr = proposal?.pull_request;
        show(
          `UPDATE ${updated.id}  ${safe(note)}${updated.decision ? ` (${updated.decision.action} by ${safe(updated.decision.by)})` : ""}${pr ? `\n  pull request #${String(pr.number)}: ${safe(pr.url, 300)}` : ""}`,
        );
        return Promise.resolve({ ok: true as const });
      }),
    ];
  },
};
