import type { Request, Response } from "express";
import { parse, run, type Invocation } from "../../commands/index.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { answer, personOf, type CallbackContext } from "./context.js";
import { sameSecret } from "./signing.js";

/** Mattermost waits 30 s for an integration; answer well within it and follow up later. */
const ANSWER_WITHIN_MS = 2_500;

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

export async function slash(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
  const body = req.body as Record<string, string | undefined>;
  const workspace = ctx.workspace();
  const token = body.token ?? req.headers.authorization?.replace(/^Token\s+/i, "") ?? "";
  if (!workspace || !sameSecret(token, workspace.commandToken)) {
    await ctx.decisions.refuse(
      {
        user: `unknown:${String(body.user_id).slice(0, 40)}`,
        user_id: null,
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
  // Who asks is the user the request's user_id names, looked up: its user_name is not read.
  const person = await personOf(ctx, body.user_id);
  if (!person) {
    await ctx.decisions.refuse(
      {
        user: `unknown:${String(body.user_id).slice(0, 40)}`,
        user_id: null,
        case_id: null,
        action: invocation.command.name.slice(0, 16),
        digest: null,
        via: "command",
        detail: "unknown user",
      },
      "unknown_user",
    );
    res.json(ephemeral(["Refused: unknown user."]));
    return;
  }
  // Cases and their evidence are shown in the channel the fleet posts to, or to approvers.
  const elsewhere = body.channel_id !== workspace.channelId;
  if (
    invocation.command.access === "read" &&
    ctx.readers === "channel" &&
    elsewhere &&
    !ctx.decisions.mayDecide(person)
  ) {
    await ctx.decisions.refuse(
      {
        user: person.username,
        user_id: person.id,
        case_id: null,
        action: invocation.command.name,
        digest: null,
        via: "command",
        detail: "outside the channel",
      },
      "not_in_channel",
    );
    res.json(
      ephemeral([
        `Refused: \`/soc ${invocation.command.name}\` answers in ~${workspace.channelName} or to approvers.`,
      ]),
    );
    return;
  }
  const work = answer(run(invocation, ctx.decisions.deskFor("command", person), { name: person.username }));
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
