import { createServer } from "node:http";
import { createServer as createTlsServer } from "node:https";
import express, { type NextFunction, type Request, type Response } from "express";
import { ingestCallers } from "../../contracts/skills.js";
import { callersOnly } from "../../runtime/callers.js";
import type { Component } from "../../runtime/component.js";
import { causeChain, SocError } from "../../runtime/errors.js";
import { serverTls } from "../../runtime/tls.js";
import type { Outcome, Pipeline } from "./pipeline.js";
import { RejectedLog } from "./rejected.js";

/** One Falco event is a few kB; its fields are bounded far below this (contracts/falco.ts). */
const BODY_LIMIT = "256kb";

/**
 * Falco's `http_output` target (or falcosidekick's webhook): one JSON event per POST. With `mtls`,
 * HTTPS that takes only the client certificates of `ingestCallers`, refused as every server of the
 * fleet refuses (runtime/callers.ts) before the body is read; plain HTTP only on loopback
 * (contracts/config.ts). Rejected input gets a 400 with the reason and is kept in `rejectedPath`,
 * bounded (rejected.ts).
 */
export async function serveHttpIngest(
  component: Component,
  {
    host,
    port,
    tls,
    rejectedPath,
  }: { host: string; port: number; tls: "mtls" | "plain"; rejectedPath: string },
  pipeline: Pipeline,
): Promise<void> {
  const rejected = new RejectedLog(component, rejectedPath);
  const answer = async (res: Response, outcome: Outcome, body: unknown, status = 400) => {
    switch (outcome.kind) {
      case "rejected":
        await rejected.keep(outcome.reason, body);
        res
          .status(status)
          .json({ error: { code: "invalid_event", message: outcome.reason, retryable: false } });
        return;
      case "duplicate":
        res.status(200).json({ forwarded: false, duplicate: true, case_id: null });
        return;
      case "dropped":
        res.status(200).json({ trace_id: outcome.trace_id, forwarded: false, case_id: null });
        return;
      case "forwarded":
        res.status(200).json({ trace_id: outcome.trace_id, forwarded: true, case_id: outcome.case_id });
    }
  };

  const app = express();
  app.disable("x-powered-by");
  if (tls === "mtls") app.use(callersOnly(component, ingestCallers));
  app.use(express.json({ limit: BODY_LIMIT, type: () => true }));
  app.post("/falco", (req: Request, res: Response) => {
    pipeline
      .process(req.body)
      .then((outcome) => answer(res, outcome, req.body))
      .catch((error: unknown) => {
        // Forwarding failed: 503 tells the sender to try again; nothing was remembered.
        res.status(503).json({ error: SocError.from(error).toJSON() });
      });
  });
  // A body that is not JSON at all, or too large to read: a 400 (413) with the reason, kept like
  // any rejected event (what of it was read).
  app.use(
    (error: Error & { type?: string; body?: unknown }, req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) {
        next(error);
        return;
      }
      const tooLarge = error.type === "entity.too.large";
      component.metrics.badRequests.inc({ reason: tooLarge ? "too_large" : "not_json" });
      const reason = tooLarge
        ? `body over ${BODY_LIMIT}: ${error.message}`
        : `body is not JSON: ${error.message}`;
      component.log.warn({ reason, err: causeChain(error), path: req.path }, "event rejected");
      answer(res, { kind: "rejected", reason }, error.body ?? null, tooLarge ? 413 : 400).catch(
        (failed: unknown) => {
          component.log.error({ err: causeChain(failed) }, "rejected event not answered");
        },
      );
    },
  );
  const server = tls === "mtls" ? createTlsServer(serverTls(component.identity), app) : createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  if (tls === "plain")
    component.log.warn(
      { host, port },
      "Falco ingest on plain HTTP: loopback only, any process here may send events",
    );
  else component.log.info({ host, port, callers: ingestCallers }, "Falco ingest over mutual TLS");
  component.onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}
