import express, { type NextFunction, type Request, type Response } from "express";
import { causeChain } from "../../runtime/errors.js";
import type { CallbackContext } from "./context.js";
import { click, submit } from "./interactions.js";
import { callbackPaths } from "./setup.js";
import { slash } from "./slash.js";

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
  // A body too large or not in its format: refused with the reason before any handler, and counted.
  router.use((error: Error & { type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const tooLarge = error.type === "entity.too.large";
    ctx.component.metrics.badRequests.inc({ reason: tooLarge ? "too_large" : "not_json" });
    ctx.component.log.warn({ path: req.path, err: causeChain(error) }, "Mattermost callback refused");
    res.status(tooLarge ? 413 : 400).json({ error: tooLarge ? "body over 64kb" : "body is not JSON" });
  });
  return router;
}

function failed(ctx: CallbackContext, res: Response, error: unknown, body: object): void {
  ctx.component.log.error({ err: causeChain(error) }, "Mattermost callback failed");
  if (!res.headersSent) res.json(body);
}
