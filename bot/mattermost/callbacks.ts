import express, { type Request, type Response } from "express";
import type { ProposedAction } from "../../contracts/analysis.js";
import type { Step } from "../../contracts/step.js";
import { commands, parse, run, type CaseDesk, type Invocation, type Reply } from "../../commands/index.js";
import type { Component } from "../../runtime/component.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import type { MattermostApi } from "./api.js";
import type { Decisions, Via } from "./decisions.js";
import { replyMessages } from "./reply.js";
import { callbackPaths, type Workspace } from "./setup.js";
import { actionDigest, sameSecret, type Grant, type Signer } from "./signing.js";

export interface CallbackContext {
  component: Component;
  api: MattermostApi;
  workspace: () => Workspace | undefined;
  signer: Signer;
  decisions: Decisions;
  /** The fleet as commands see it, without the decision gate (reads only here). */
  desk: CaseDesk;
  publicUrl: string;
}

/** Mattermost waits 30 s for an integration; answer well within it and follow up later. */
const ANSWER_WITHIN_MS = 2_500;
const DIALOG_TTL_MS = 15 * 60_000;

/** The proposed action as the analyst's step recorded it: what a button's digest vouches for. */
export function proposedAction(steps: readonly Step[]): ProposedAction | null {
  const classified = steps.filter((s) => s.skill === "classify" && !s.error).at(-1);
  return (classified?.output as { action?: ProposedAction } | undefined)?.action ?? null;
}

/**
 * Mattermost's callbacks to the bot: the `/soc` slash command (form-encoded, with the command's
 * token), button clicks and dialog submissions (JSON, unsigned by Mattermost: the signed grant in
 * the context or state is what they are checked by).
 */
export function callbackRoutes(ctx: CallbackContext): express.Router {
  const router = express.Router();
  router.post(callbackPaths.command, express.urlencoded({ extended: false, limit: "64kb" }), (req, res) => {
    void slash(ctx, req, res).catch((error: unknown) =>
      failed(ctx, res, error, { response_type: "ephemeral", text: "soc-fleet could not answer; try again" }),
    );
  });
  router.post(callbackPaths.action, express.json({ limit: "64kb" }), (req, res) => {
    void click(ctx, req, res).catch((error: unknown) =>
      failed(ctx, res, error, { ephemeral_text: "soc-fleet could not apply that; try again" }),
    );
  });
  router.post(callbackPaths.dialog, express.json({ limit: "64kb" }), (req, res) => {
    void submit(ctx, req, res).catch((error: unknown) =>
      failed(ctx, res, error, { error: "soc-fleet could not apply that; try again" }),
    );
  });
  return router;
}

function failed(ctx: CallbackContext, res: Response, error: unknown, body: object): void {
  ctx.component.log.error({ err: causeChain(error) }, "Mattermost callback failed");
  if (!res.headersSent) res.json(body);
}

function ephemeral(messages: string[]) {
  const [text = "", ...rest] = messages;
  return {
    response_type: "ephemeral",
    text,
    skip_slack_parsing: true,
    ...(rest.length > 0
      ? {
          extra_responses: rest.map((t) => ({
            response_type: "ephemeral",
            text: t,
            skip_slack_parsing: true,
          })),
        }
      : {}),
  };
}

async function slash(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
  const body = req.body as Record<string, string | undefined>;
  const workspace = ctx.workspace();
  const token = body.token ?? req.headers.authorization?.replace(/^Token\s+/i, "") ?? "";
  if (!workspace || !sameSecret(token, workspace.commandToken)) {
    ctx.decisions.refuse(
      {
        user: body.user_name ?? "unknown",
        case_id: null,
        action: "command",
        digest: null,
        via: "command",
        detail: "bad command token",
      },
      "bad_token",
    );
    res.status(401).json({
      response_type: "ephemeral",
      text: "refused: this request does not carry the /soc command's token",
    });
    return;
  }
  const words = (body.text ?? "").trim().split(/\s+/).filter(Boolean);
  let invocation: Invocation;
  try {
    invocation = parse(words.length > 0 ? words : ["help"]);
  } catch (error) {
    const usage = SocError.from(error).message.replace(/\bsoc /g, "/soc ");
    res.json(ephemeral([`\`\`\`\n${usage}\n\`\`\``]));
    return;
  }
  const user = body.user_name ?? "";
  const work = answer(run(invocation, ctx.decisions.deskFor("command"), { name: user }));
  const first = await Promise.race([
    work,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ANSWER_WITHIN_MS)),
  ]);
  if (first) {
    res.json(ephemeral(first));
    return;
  }
  res.json(ephemeral([`Working on \`/soc ${invocation.command.name}\`; the answer follows here.`]));
  const later = await work;
  if (body.response_url) await followUp(ctx, body.response_url, later);
}

/** A command's reply as messages, or its refusal or failure as one message: never a throw. */
async function answer(reply: Promise<Reply>): Promise<string[]> {
  try {
    return replyMessages(await reply);
  } catch (error) {
    const failure = SocError.from(error);
    const text = failure.message.replace(/[`@<>[\]]/g, "");
    return [failure.code === "approval_pending" ? `**Recorded:** ${text}` : `**Not done:** ${text}`];
  }
}

async function followUp(ctx: CallbackContext, responseUrl: string, messages: string[]): Promise<void> {
  // Mattermost gives every slash command a response_url on its own site: post nowhere else.
  if (!responseUrl.startsWith(`${ctx.api.url}/`)) return;
  for (const text of messages) {
    await fetch(responseUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", text, skip_slack_parsing: true }),
    }).catch((error: unknown) =>
      ctx.component.log.warn({ err: causeChain(error) }, "slash follow-up failed"),
    );
  }
}

interface Checked {
  grant: Grant;
  user: string;
}

/**
 * Checks a button's or a dialog's signed grant, who acts, and that the case still awaits a
 * decision on the same proposed action. Refusals are audited and answered with `refusal`.
 */
async function check(
  ctx: CallbackContext,
  via: Via,
  signed: unknown,
  userId: unknown,
): Promise<Checked | { refusal: string }> {
  const verified = ctx.signer.verify(signed);
  const claimed = (signed ?? {}) as Partial<Grant>;
  const user =
    typeof userId === "string" && /^[a-z0-9]{26}$/.test(userId)
      ? await ctx.api.user(userId).then(
          (u) => u.username,
          () => null,
        )
      : null;
  const entry = {
    user: user ?? `unknown:${String(userId).slice(0, 40)}`,
    case_id: typeof claimed.case_id === "string" ? claimed.case_id.slice(0, 16) : null,
    action: typeof claimed.action === "string" ? claimed.action.slice(0, 16) : "unknown",
    digest: typeof claimed.digest === "string" ? claimed.digest.slice(0, 64) : null,
    via,
  };
  const refuse = (reason: string, text: string) => {
    ctx.decisions.refuse({ ...entry, detail: text }, reason);
    return { refusal: text };
  };
  if (!verified.ok)
    return refuse(
      verified.reason.replace(/ /g, "_"),
      `Refused: ${verified.reason === "expired" ? "this button has expired; use /soc in the channel" : "this request was not issued by soc-fleet"}.`,
    );
  if (!user) return refuse("unknown_user", "Refused: unknown user.");
  if (!ctx.decisions.mayDecide(user))
    return refuse("not_approver", `Refused: @${user} may not decide cases. Ask an approver.`);
  const { case: current, steps } = await ctx.desk.trace(verified.grant.case_id);
  if (current.status !== "awaiting_human" || current.decision) {
    const by = current.decision ? ` (${current.decision.action} by @${current.decision.by})` : "";
    return refuse("not_awaiting", `Refused: ${current.id} no longer awaits a decision${by}.`);
  }
  if (actionDigest(proposedAction(steps)) !== verified.grant.digest) {
    return refuse(
      "action_changed",
      `Refused: the proposed action of ${current.id} has changed since this was posted.`,
    );
  }
  return { grant: verified.grant, user };
}

async function click(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
  const body = req.body as { user_id?: unknown; trigger_id?: unknown; context?: { grant?: unknown } };
  const checked = await check(ctx, "button", body.context?.grant, body.user_id);
  if ("refusal" in checked) {
    res.json({ ephemeral_text: checked.refusal, skip_slack_parsing: true });
    return;
  }
  const { grant, user } = checked;
  const desk = ctx.decisions.deskFor("button", grant.digest);
  switch (grant.action) {
    case "approve": {
      const messages = await answer(
        run(invocationOf("approve", { case: grant.case_id }), desk, { name: user }),
      );
      res.json({ ephemeral_text: messages.join("\n"), skip_slack_parsing: true });
      return;
    }
    case "dismiss": {
      const state = ctx.signer.sign({
        ...grant,
        expires: Math.min(grant.expires, Date.now() + DIALOG_TTL_MS),
      });
      await ctx.api.openDialog(String(body.trigger_id), `${ctx.publicUrl}${callbackPaths.dialog}`, {
        callback_id: "dismiss",
        title: `Dismiss ${grant.case_id}`,
        submit_label: "Dismiss",
        state: JSON.stringify(state),
        elements: [
          {
            type: "textarea",
            name: "reason",
            display_name: "Why is this benign?",
            min_length: 3,
            max_length: 2000,
            help_text: "Recorded with the case and used as a benign label for the anomaly model.",
          },
        ],
      });
      res.json({});
      return;
    }
    case "investigate": {
      // Gathering evidence can take a while: answer now, the evidence follows in the thread.
      void answer(run(invocationOf("investigate", { case: grant.case_id }), desk, { name: user }));
      res.json({
        ephemeral_text: `Gathering more evidence on ${grant.case_id}; it will appear in the thread.`,
        skip_slack_parsing: true,
      });
      return;
    }
    default:
      res.json({ ephemeral_text: "Refused: unknown action.", skip_slack_parsing: true });
  }
}

async function submit(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
  const body = req.body as {
    cancelled?: boolean;
    callback_id?: unknown;
    state?: unknown;
    user_id?: unknown;
    submission?: { reason?: unknown };
  };
  if (body.cancelled) {
    res.json({});
    return;
  }
  let state: unknown = null;
  try {
    state = JSON.parse(String(body.state));
  } catch {
    // Left null: refused as not issued by soc-fleet below.
  }
  const checked = await check(ctx, "dialog", state, body.user_id);
  if ("refusal" in checked) {
    res.json({ error: checked.refusal });
    return;
  }
  if (checked.grant.action !== "dismiss" || body.callback_id !== "dismiss") {
    ctx.decisions.refuse(
      {
        user: checked.user,
        case_id: checked.grant.case_id,
        action: checked.grant.action,
        digest: checked.grant.digest,
        via: "dialog",
        detail: "dialog for another action",
      },
      "wrong_dialog",
    );
    res.json({ error: "Refused: this dialog does not dismiss a case." });
    return;
  }
  const reason = typeof body.submission?.reason === "string" ? body.submission.reason : "";
  const dismissCommand = commands.find((c) => c.name === "dismiss");
  const args = dismissCommand?.args.safeParse({ case: checked.grant.case_id, reason });
  if (!dismissCommand || !args?.success) {
    res.json({ errors: { reason: args?.error?.issues[0]?.message ?? "give a reason" } });
    return;
  }
  try {
    await run(
      { command: dismissCommand, args: args.data },
      ctx.decisions.deskFor("dialog", checked.grant.digest),
      { name: checked.user },
    );
    res.json({});
  } catch (error) {
    res.json({ error: `Not done: ${SocError.from(error).message}` });
  }
}

function invocationOf(name: string, args: Record<string, unknown>): Invocation {
  const found = commands.find((c) => c.name === name);
  if (!found) throw new SocError("internal", `no command ${name}`);
  return { command: found, args: found.args.parse(args) };
}
