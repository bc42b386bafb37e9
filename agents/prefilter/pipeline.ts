import { createHash } from "node:crypto";
import { Counter } from "prom-client";
import type { Anomaly } from "../../contracts/anomaly.js";
import { FalcoEvent, workloadOf } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Component } from "../../runtime/component.js";
import { newTrace, withTrace } from "../../runtime/trace.js";
import type { Scorer } from "./scorer.js";
import type { RecentEvents } from "./window.js";

export type Outcome =
  | { kind: "rejected"; reason: string }
  | { kind: "duplicate"; event_id: string }
  | { kind: "dropped"; trace_id: string }
  | { kind: "forwarded"; trace_id: string; case_id: string };

/** Where anomalies go besides the coordinator (Kafka's soc.anomalies when configured). */
export type AnomalySink = (anomaly: Anomaly, key: string) => Promise<void>;

/**
 * What happens to every Falco event after ingest, whichever way it came (Falco's http_output or
 * Kafka): validate, drop duplicates, remember it, score it, and forward what the scorer selects.
 * It throws only when forwarding failed, so the caller keeps the event and tries again.
 */
export class Pipeline {
  readonly #seen = new Set<string>();
  readonly #counted: Counter<"result">;

  constructor(
    private readonly component: Component,
    private readonly peers: Pick<Peers, "call">,
    private readonly recent: RecentEvents,
    private readonly scorer: Scorer,
    private readonly sinks: readonly AnomalySink[] = [],
    private readonly remember = 100_000,
  ) {
    this.#counted = new Counter({
      name: "soc_prefilter_events_total",
      help: "Falco events received, by what became of them",
      labelNames: ["result"],
      registers: [component.metrics.registry],
    });
  }

  async process(body: unknown): Promise<Outcome> {
    const parsed = FalcoEvent.safeParse(body);
    if (!parsed.success) {
      this.#counted.inc({ result: "rejected" });
      const reason = parsed.error.issues
        .map((i) => `${i.path.join(".") || "event"}: ${i.message}`)
        .join("; ");
      this.component.log.warn({ reason }, "event rejected");
      return { kind: "rejected", reason };
    }
    const event = parsed.data;
    const eventId = event.uuid ?? digest(event);
    if (this.#seen.has(eventId)) {
      this.#counted.inc({ result: "duplicate" });
      return { kind: "duplicate", event_id: eventId };
    }
    const trace = newTrace();
    return withTrace(trace, async () => {
      this.recent.add(event, trace.traceId);
      const { score, forward } = this.scorer.judge(event);
      if (!forward) {
        this.#remember(eventId);
        this.#counted.inc({ result: "dropped" });
        this.component.log.debug(
          { rule: event.rule, priority: event.priority, score },
          "event below threshold",
        );
        return { kind: "dropped", trace_id: trace.traceId };
      }
      const anomaly: Anomaly = {
        trace_id: trace.traceId,
        event,
        received_at: new Date().toISOString(),
        score,
        model_version: this.scorer.version,
        threshold: this.scorer.threshold(),
      };
      const w = workloadOf(event);
      const key = `${w.namespace ?? "-"}/${w.pod ?? w.node}`;
      const [{ output }] = await Promise.all([
        this.peers.call(skills.openCase, anomaly),
        ...this.sinks.map((sink) => sink(anomaly, key)),
      ]);
      // Remembered only once forwarded: an event whose forwarding failed is tried again, not lost.
      this.#remember(eventId);
      this.#counted.inc({ result: "forwarded" });
      this.component.log.info(
        { rule: event.rule, priority: event.priority, score, case: output.case_id },
        "event forwarded",
      );
      return { kind: "forwarded", trace_id: trace.traceId, case_id: output.case_id };
    });
  }

  #remember(eventId: string): void {
    this.#seen.add(eventId);
    // A Set iterates in insertion order: dropping the first entry forgets the oldest id.
    if (this.#seen.size > this.remember) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

/** Falco's own alerts carry no id: the same time, rule and fields are the same event. */
function digest(event: FalcoEvent): string {
  return createHash("sha256")
    .update(JSON.stringify([event.time, event.rule, event.hostname, event.output_fields]))
    .digest("hex");
}
