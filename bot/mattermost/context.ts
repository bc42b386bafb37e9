import type { ProposedAction } from "../../contracts/analysis.js";
import type { Step } from "../../contracts/step.js";
import { commands, type CaseDesk, type Invocation, type Reply } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError } from "../../runtime/errors.js";
import type { MattermostApi } from "./api.js";
import type { Decisions, Person } from "./decisions.js";
import { replyMessages } from "./reply.js";
import { mattermostId, type Workspace } from "./setup.js";
import type { Signer } from "./signing.js";

/** What every Mattermost callback handler works with. */
export interface CallbackContext {
  component: Component;
  api: MattermostApi;
  workspace: () => Workspace | undefined;
  signer: Signer;
  decisions: Decisions;
  /** The fleet as commands see it, without the decision gate (reads only here). */
  desk: CaseDesk;
  publicUrl: string;
  /** Who read commands answer (SOC_BOT_READERS). */
  readers: "channel" | "team";
}

/**
 * Who the Mattermost user `userId` names is, as the server knows them now, and the approver that id
 * was resolved to at start: neither the name a request gives nor a username is taken as who acts (a
 * user may be renamed, and a body may say anything). A deactivated user or a bot is nobody's
 * approver. Null for what is not a user id or not a user.
 */
export async function personOf(
  ctx: Pick<CallbackContext, "api" | "workspace">,
  userId: unknown,
): Promise<Person | null> {
  if (typeof userId !== "string" || !mattermostId.test(userId)) return null;
  const user = await ctx.api.user(userId).catch(() => null);
  if (!user) return null;
  const approver = user.delete_at === 0 && !user.is_bot ? ctx.workspace()?.approvers.get(user.id) : undefined;
  return { id: user.id, username: user.username, approver: approver ?? null };
}

/** The proposed action as the analyst's step recorded it: what a button's digest vouches for. */
export function proposedAction(steps: readonly Step[]): ProposedAction | null {
  const classified = steps.filter((s) => s.skill === "classify" && !s.error).at(-1);
  return (classified?.output as { action?: ProposedAction } | undefined)?.action ?? null;
}

/** A command's reply as messages, or its refusal or failure as one message: never a throw. */
export async function answer(reply: Promise<Reply>): Promise<string[]> {
  try {
    return replyMessages(await reply);
  } catch (error) {
    const failure = SocError.from(error);
    const text = failure.message.replace(/[`@<>[\]]/g, "");
    return [failure.code === "approval_pending" ? `**Recorded:** ${text}` : `**Not done:** ${text}`];
  }
}

/** A command with arguments the bot itself built (from a verified grant), validated like typed ones. */
export function invocationOf(name: string, args: Record<string, unknown>): Invocation {
  const found = commands.find((c) => c.name === name);
  if (!found) throw new SocError("internal", `no command ${name}`);
  return { command: found, args: found.args.parse(args) };
}
