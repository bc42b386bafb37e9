import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { join } from "node:path";
import express from "express";
import type { FleetConfig } from "../../contracts/config.js";
import { skills, type McpServerName } from "../../contracts/skills.js";
import { handler, type SkillHandler } from "../../runtime/a2a/skill.js";
import type { AgentContext } from "../../runtime/agent.js";
import type { Component } from "../../runtime/component.js";
import { causeChain } from "../../runtime/errors.js";
import { a2aDesk } from "../desk.js";
import { MattermostApi, unreachable, type Attachment, type Button } from "./api.js";
import { callbackRoutes } from "./callbacks.js";
import { proposedAction } from "./context.js";
import { Decisions } from "./decisions.js";
import { proposalMarkdown } from "./reply.js";
import { inert } from "./escape.js";
import { Outbox } from "./outbox.js";
import { buttonNames, escalationAttachment, groupKey, stepMessage, type ButtonAction } from "./posts.js";
import { callbackPaths, setUp, type Workspace } from "./setup.js";
import { actionDigest, proposalDigest, Signer } from "./signing.js";
import { BotStore } from "./store.js";
import { privateDir } from "../../runtime/private-dir.js";
import { leaseHolder, Leases } from "../../runtime/sql/lease.js";
import { openSql } from "../../runtime/sql/open.js";

type Settings = NonNullable<FleetConfig["mattermost"]>;

const buttonStyles = { approve: "primary", dismiss: "danger", investigate: "default" } as const;

/**
 * Mattermost as the front end: escalations and case updates go to the channel through the outbox,
 * and Mattermost's callbacks (slash command, buttons, dialogs) are served on their own plain-HTTP
 * port, as Mattermost calls integrations without client certificates.
 */
export async function mattermostFrontEnd(
  { component, config, peers }: AgentContext<FleetConfig, McpServerName>,
  settings: Settings,
): Promise<SkillHandler[]> {
  privateDir(config.dataDir);
  const sql = await openSql(config.databaseUrl, join(config.dataDir, "mattermost-bot.db"));
  const store = await BotStore.open(sql);
  component.onStop(() => store.close());
  // Replicas share the database: one delivers the outbox, one at a time sets Mattermost up.
  const leases = await Leases.open(sql, leaseHolder("notify", config), config.leaseMs);
  leases.keepAlive((error) =>
    component.log.error({ err: causeChain(error) }, "the bot's leases not renewed"),
  );
  component.onStop(() => leases.stop());
  const signer = new Signer(
    settings.secret ?? (await store.setting("secret", () => randomBytes(32).toString("hex"))),
  );
  const api = new MattermostApi(settings.url, settings.token, settings.requestTimeoutMs);
  let workspace: Workspace | undefined;
  const outbox = new Outbox(component, store, api, () => workspace, settings.groupWindowMs, leases);
  component.onStop(() => outbox.stop());
  const desk = a2aDesk(peers);
  const decisions = new Decisions(component, store, desk, outbox);

  const app = express();
  app.disable("x-powered-by");
  app.use(
    callbackRoutes({
      component,
      api,
      workspace: () => workspace,
      signer,
      decisions,
      desk,
      publicUrl: settings.publicUrl,
      readers: settings.readers,
    }),
  );
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.listenPort, config.host, resolve);
  });
  component.onStop(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // A configuration error stops the start with every problem in one message. Mattermost being
  // down does not: setup keeps trying in the background and escalations wait in the outbox.
  const ready = (found: Workspace) => {
    workspace = found;
    component.log.info({ channel: found.channelId, bot: found.botUsername }, "Mattermost front end ready");
    outbox.start();
  };
  // Two replicas starting together would each create the /soc command.
  const setUpOnce = () => leases.during("bot/setup", () => setUp(api, settings));
  try {
    ready(await setUpOnce());
  } catch (error) {
    if (!unreachable(error)) throw error;
    void retrySetUp(component, setUpOnce).then(ready);
  }

  /** A button whose click comes back with `action` on the case granted, signed, for the buttons' lifetime. */
  const signedButton = (
    caseId: string,
    action: string,
    digest: string,
    name: string,
    style: Button["style"] = "default",
  ): Button => ({
    id: action,
    type: "button",
    name,
    style,
    integration: {
      url: `${settings.publicUrl}${callbackPaths.action}`,
      context: {
        grant: signer.sign({ case_id: caseId, action, digest, expires: Date.now() + settings.buttonTtlMs }),
      },
    },
  });

  return [
    handler(skills.escalate, async ({ case: escalated, analysis, steps }) => {
      const digest = actionDigest(proposedAction(steps));
      const buttons = (Object.keys(buttonNames) as ButtonAction[]).map((action) =>
        signedButton(escalated.id, action, digest, buttonNames[action], buttonStyles[action]),
      );
      const queued = await outbox.addEscalation(
        escalated.id,
        {
          kind: "escalation",
          message: `**Escalated \`${escalated.id}\`** · ${analysis.severity} · awaiting a decision`,
          attachment: escalationAttachment(escalated, analysis, steps, buttons),
          group_key: groupKey(escalated),
          escalated_at: Date.now(),
        },
        steps.map((step) => ({ kind: "reply" as const, message: stepMessage(step) })),
      );
      if (queued) component.log.info({ case: escalated.id }, "escalation queued for Mattermost");
      return { ok: true as const };
    }),
    handler(skills.caseUpdate, async ({ case: updated, note, proposal }) => {
      if (updated.decision && updated.decision.action !== "investigate") {
        await outbox.add(updated.id, { kind: "decided", case: updated });
      }
      // From the thread, whoever may approve can undo what was carried out and confirm a rule change
      // the policy sent to an analyst first: buttons on a reply of their own, as Mattermost keeps a
      // post's buttons as they were created.
      const actions = [
        ...(updated.resolution === "remediated"
          ? [signedButton(updated.id, "undo", actionDigest({ undo: updated.id }), "Undo")]
          : []),
        ...(proposal?.state === "escalated"
          ? [signedButton(updated.id, "rule", proposalDigest(proposal.id), "Confirm the rule change")]
          : []),
      ];
      const attachment: Attachment | undefined =
        actions.length > 0
          ? {
              fallback: `${actions.map((a) => a.name).join(" or ")} for ${updated.id}`,
              color: "#3db887",
              actions,
            }
          : undefined;
      await outbox.add(updated.id, {
        kind: "reply",
        message: [
          `\`${updated.id}\` ${inert(note, 500)}`,
          ...(proposal ? proposalMarkdown(proposal) : []),
        ].join("\n"),
        ...(attachment ? { attachment } : {}),
      });
      return { ok: true as const };
    }),
  ];
}

async function retrySetUp(component: Component, attempt: () => Promise<Workspace>): Promise<Workspace> {
  for (let backoff = 500; ; backoff = Math.min(backoff * 2, 10_000)) {
    component.log.warn({ retry_in_ms: backoff }, "Mattermost unreachable; setup waits");
    await new Promise((resolve) => setTimeout(resolve, backoff));
    try {
      return await attempt();
    } catch (error) {
      if (!unreachable(error)) {
        component.log.fatal({ err: causeChain(error) }, "the Mattermost front end cannot start");
        process.exit(1);
      }
    }
  }
}
