import type { Request, Response } from "express";
import { commands, run } from "../../commands/index.js";
import { SocError } from "../../runtime/errors.js";
import { answer, invocationOf, personOf, proposedAction, type CallbackContext } from "./context.js";
import type { Person, Via } from "./decisions.js";
import { callbackPaths } from "./setup.js";
import { actionDigest, proposalDigest, type Grant } from "./signing.js";

const DIALOG_TTL_MS = 15 * 60_000;
/** How many of the latest rule changes a confirming click looks for the one it shows among. */
const PROPOSALS_SEARCHED = 200;

interface Checked {
  grant: Grant;
  person: Person;
}

/**
 * Checks a button's or a dialog's signed grant, who acts (an approver; for a dialog, the user it was
 * opened for), and that the case still awaits a decision on the same proposed action (for Undo:
 * that it was remediated; for a rule change, that the one shown still waits for an analyst).
 * Refusals are audited and answered with `refusal`.
 */
async function check(
  ctx: CallbackContext,
  via: Via,
  signed: unknown,
  userId: unknown,
): Promise<Checked | { refusal: string }> {
  const verified = ctx.signer.verify(signed);
  const claimed = (signed ?? {}) as Partial<Grant>;
  const person = await personOf(ctx, userId);
  const entry = {
    user: person?.username ?? `unknown:${String(userId).slice(0, 40)}`,
    user_id: person?.id ?? null,
    case_id: typeof claimed.case_id === "string" ? claimed.case_id.slice(0, 16) : null,
    action: typeof claimed.action === "string" ? claimed.action.slice(0, 16) : "unknown",
    digest: typeof claimed.digest === "string" ? claimed.digest.slice(0, 64) : null,
    via,
  };
  const refuse = async (reason: string, text: string) => {
    await ctx.decisions.refuse({ ...entry, detail: text }, reason);
    return { refusal: text };
  };
  if (!verified.ok)
    return refuse(
      verified.reason.replace(/ /g, "_"),
      `Refused: ${verified.reason === "expired" ? "this button has expired; use /soc in the channel" : "this request was not issued by soc-fleet"}.`,
    );
  if (!person) return refuse("unknown_user", "Refused: unknown user.");
  if (verified.grant.user !== undefined && verified.grant.user !== person.id)
    return refuse("not_opener", "Refused: this dialog was opened by someone else.");
  if (!ctx.decisions.mayDecide(person))
    return refuse("not_approver", `Refused: @${person.username} may not decide cases. Ask an approver.`);
  const { case: current, steps } = await ctx.desk.trace(verified.grant.case_id);
  if (verified.grant.action === "undo") {
    // What was carried out is undone from the recorded state: the proposal no longer matters.
    if (current.resolution === "remediated") return { grant: verified.grant, person };
    return refuse("not_remediated", `Refused: nothing was carried out for ${current.id} to undo.`);
  }
  if (verified.grant.action === "rule") {
    // Confirmed as `/soc rule` confirms, and only while the change shown is still the case's and
    // still waits for an analyst: a redrafted change is shown anew, and confirmed from there.
    const shown = (await ctx.desk.rules(PROPOSALS_SEARCHED)).find(
      (p) => p.case_id === current.id && proposalDigest(p.id) === verified.grant.digest,
    );
    if (shown?.state === "escalated") return { grant: verified.grant, person };
    return refuse(
      "not_escalated",
      `Refused: the rule change shown for ${current.id} ${shown ? `is ${shown.state} now` : "is no longer proposed"}.`,
    );
  }
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
  return { grant: verified.grant, person };
}

export async function click(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
  const body = req.body as { user_id?: unknown; trigger_id?: unknown; context?: { grant?: unknown } };
  const checked = await check(ctx, "button", body.context?.grant, body.user_id);
  if ("refusal" in checked) {
    res.json({ ephemeral_text: checked.refusal, skip_slack_parsing: true });
    return;
  }
  const { grant, person } = checked;
  const desk = ctx.decisions.deskFor("button", person, grant.digest);
  const as = { name: person.username };
  switch (grant.action) {
    case "approve": {
      const messages = await answer(run(invocationOf("approve", { case: grant.case_id }), desk, as));
      res.json({ ephemeral_text: messages.join("\n"), skip_slack_parsing: true });
      return;
    }
    case "dismiss": {
      // The dialog's state is a grant for the user who opened it alone.
      const state = ctx.signer.sign({
        ...grant,
        expires: Math.min(grant.expires, Date.now() + DIALOG_TTL_MS),
        user: person.id,
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
    case "undo":
    case "rule": {
      const messages = await answer(run(invocationOf(grant.action, { case: grant.case_id }), desk, as));
      res.json({ ephemeral_text: messages.join("\n"), skip_slack_parsing: true });
      return;
    }
    case "investigate": {
      // Gathering evidence can take a while: answer now, the evidence follows in the thread.
      void answer(run(invocationOf("investigate", { case: grant.case_id }), desk, as));
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

export async function submit(ctx: CallbackContext, req: Request, res: Response): Promise<void> {
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
  if (
    checked.grant.action !== "dismiss" ||
    checked.grant.user === undefined ||
    body.callback_id !== "dismiss"
  ) {
    await ctx.decisions.refuse(
      {
        user: checked.person.username,
        user_id: checked.person.id,
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
      ctx.decisions.deskFor("dialog", checked.person, checked.grant.digest),
      { name: checked.person.username },
    );
    res.json({});
  } catch (error) {
    res.json({ error: `Not done: ${SocError.from(error).message}` });
  }
}
