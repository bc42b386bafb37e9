import type { ProposedAction } from "../../contracts/analysis.js";
import type { Step } from "../../contracts/step.js";
import { commands, type CaseDesk, type Invocation, type Reply } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError } from "../../runtime/errors.js";
import type { MattermostApi } from "./api.js";
import type { Decisions } from "./decisions.js";
import { replyMessages } from "./reply.js";
import type { Workspace } from "./setup.js";
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
 * The username of the Mattermost user `userId` names, as the server knows it now: what a request
 * says its user is called is never taken from the request itself (a user may be renamed, and a
 * body may say anything). Null for what is not a user id or not a user.
 */
export async function userOf(ctx: Pick<CallbackContext, "api">, userId: unknown): Promise<string | null> {
  if (typeof userId !== "string" || !/^[a-z0-9]{26}$/.test(userId)) return null;
  return ctx.api.user(userId).then(
    (u) => u.username,
    () => null,
  );
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
