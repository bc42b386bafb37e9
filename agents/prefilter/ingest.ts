import { appendFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { Counter } from "prom-client";
import type { z } from "zod";
import type { Anomaly } from "../../contracts/anomaly.js";
import { FalcoEvent, priorityRank, type Priority } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Component } from "../../runtime/component.js";
import { SocError, causeChain } from "../../runtime/errors.js";
import { newTrace, withTrace } from "../../runtime/trace.js";
import type { RecentEvents } from "./window.js";

export type IngestResult = z.output<typeof skills.ingest.output>;

export interface IngestOptions {
  minPriority: Priority;
  /** JSON lines file where rejected input is kept for inspection. */
  rejectedPath: string;
}

/**
 * The ingest path every event takes, whether it arrives from Falco's http_output or over A2A:
 * validate, give it a trace_id, remember it, and forward it when it reaches the priority threshold.
 */
export function ingestor(component: Component, peers: Peers, recent: RecentEvents, options: IngestOptions) {
  const counted = new Counter({
    name: "soc_prefilter_events_total",
    help: "Falco events received, by what became of them",
    labelNames: ["result"],
    registers: [component.metrics.registry],
  });
  const threshold = priorityRank(options.minPriority);

  const reject = async (reason: string, body: unknown): Promise<never> => {
    counted.inc({ result: "rejected" });
    await appendFile(
      options.rejectedPath,
      `${JSON.stringify({ at: new Date().toISOString(), reason, body })}\n`,
    );
    component.log.warn({ reason }, "event rejected");
    throw new SocError("invalid_event", reason);
  };

  async function ingest(body: unknown): Promise<IngestResult> {
    const parsed = FalcoEvent.safeParse(body);
    if (!parsed.success) {
      return reject(
        parsed.error.issues.map((i) => `${i.path.join(".") || "event"}: ${i.message}`).join("; "),
        body,
      );
    }
    const event = parsed.data;
    const trace = newTrace();
    return withTrace(trace, async () => {
      recent.add(event, trace.traceId);
      if (priorityRank(event.priority) < threshold) {
        counted.inc({ result: "dropped" });
        component.log.debug({ rule: event.rule, priority: event.priority }, "event below threshold");
        return { trace_id: trace.traceId, forwarded: false, case_id: null };
      }
      const anomaly: Anomaly = {
        trace_id: trace.traceId,
        event,
        received_at: new Date().toISOString(),
        score: null,
        model_version: "priority-baseline",
        threshold: options.minPriority,
      };
      const { output } = await peers.call(skills.openCase, anomaly);
      counted.inc({ result: "forwarded" });
      component.log.info(
        { rule: event.rule, priority: event.priority, case: output.case_id },
        "event forwarded",
      );
      return { trace_id: trace.traceId, forwarded: true, case_id: output.case_id };
    });
  }
  return { ingest, reject };
}
export type Ingestor = ReturnType<typeof ingestor>;

/** Falco's `http_output` target: one JSON event per POST on plain HTTP (Falco sends no client certificate). */
export async function serveIngest(
  component: Component,
  host: string,
  port: number,
  { ingest, reject }: Ingestor,
): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "256kb", type: () => true }));
  app.post("/falco", (req: Request, res: Response) => {
    ingest(req.body).then(
      (result) => res.status(200).json(result),
      (error: unknown) => {
        const failure = SocError.from(error);
        res.status(failure.code === "invalid_event" ? 400 : 503).json({ error: failure.toJSON() });
      },
    );
  });
  // Body that is not JSON at all: still a 400 with the reason, and kept like any rejected event.
  app.use((error: Error, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const reason = `body is not JSON: ${error.message}`;
    reject(reason, (error as { body?: unknown }).body ?? null).catch((failure: unknown) => {
      res.status(400).json({ error: SocError.from(failure).toJSON() });
    });
    component.log.debug({ err: causeChain(error), path: req.path }, "ingest body unreadable");
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  component.onStop(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}
