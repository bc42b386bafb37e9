import { Counter } from "prom-client";
import type { Anomaly } from "../../contracts/anomaly.js";
import { workloadOf, eventIdOf } from "../../contracts/falco.js";
import { skills } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Component } from "../../runtime/component.js";
import { newTrace, newTraceId, withTrace, type TraceContext } from "../../runtime/trace.js";
import type { Scorer } from "./scorer.js";
import { validateEvent } from "./validate.js";
import type { RecentEvents } from "./window.js";

export type Outcome =
  | { kind: "rejected"; reason: string }
  | { kind: "duplicate"; event_id: string }
  | { kind: "dropped"; trace_id: string }
  /** case_id is null when the coordinator takes the anomaly from soc.anomalies rather than a call. */
  | { kind: "forwarded"; trace_id: string; case_id: string | null };

/** An event judged worth a case, not yet forwarded. */
export interface Selected {
  kind: "selected";
  anomaly: Anomaly;
  /** namespace/pod: the Kafka key, so a workload's anomalies stay in order. */
  key: string;
  event_id: string;
  trace: TraceContext;
}

/** What `judge` decides without waiting for anything. */
export type Judged = Exclude<Outcome, { kind: "forwarded" }> | Selected;

/** Where anomalies go besides the coordinator (Kafka's soc.anomalies when configured). */
export type AnomalySink = (anomaly: Anomaly, key: string) => Promise<void>;

/**
 * What happens to every Falco event after ingest, whichever way it came (Falco's http_output or
 * Kafka): validate, drop duplicates, remember it, score it, and forward what the scorer selects.
 *
 * In two halves, so that a consumer can judge a whole batch at CPU speed and wait only for the few
 * forwards, together: `judge` is synchronous (microseconds), `forward` waits for the coordinator
 * and the sinks and throws when forwarding failed, so the caller keeps the event and tries again.
 * An event being forwarded counts as seen: a second copy arriving meanwhile is a duplicate.
 */
export class Pipeline {
  readonly #seen = new Set<string>();
  /** The ids of `#seen` by age: the next slot holds the oldest once the ring has gone round. */
  readonly #order: (string | undefined)[];
  #next = 0;
  readonly #inFlight = new Set<string>();
  readonly #counted: Record<"rejected" | "duplicate" | "dropped" | "forwarded", Counter.Internal>;

  constructor(
    private readonly component: Component,
    private readonly peers: Pick<Peers, "call">,
    private readonly recent: RecentEvents,
    private readonly scorer: Scorer,
    private readonly sinks: readonly AnomalySink[] = [],
    private readonly remember = 100_000,
    /**
     * Whether forwarding calls the coordinator's open_case. With Kafka the coordinator consumes
     * soc.anomalies instead, and an anomaly is forwarded once it is on the topic.
     */
    private readonly openCases = true,
  ) {
    if (!Number.isInteger(remember) || remember < 1)
      throw new RangeError("remember must be a positive integer");
    this.#order = new Array<string | undefined>(remember);
    const counter = new Counter({
      name: "soc_prefilter_events_total",
      help: "Falco events received, by what became of them",
      labelNames: ["result"],
      registers: [component.metrics.registry],
    });
    // Bound once: looking the label up again for every event cost more than the count itself.
    this.#counted = {
      rejected: counter.labels({ result: "rejected" }),
      duplicate: counter.labels({ result: "duplicate" }),
      dropped: counter.labels({ result: "dropped" }),
      forwarded: counter.labels({ result: "forwarded" }),
    };
  }

  /** Both halves, one after the other: the HTTP ingest's way. */
  async process(body: unknown): Promise<Outcome> {
    const judged = this.judge(body);
    return judged.kind === "selected" ? this.forward(judged) : judged;
  }

  /** Validates, deduplicates, remembers and scores one event; forwards nothing yet. */
  judge(body: unknown): Judged {
    const validated = validateEvent(body);
    if (!validated.ok) {
      this.#counted.rejected.inc();
      this.component.log.warn({ reason: validated.reason }, "event rejected");
      return { kind: "rejected", reason: validated.reason };
    }
    const event = validated.event;
    const eventId = eventIdOf(event);
    if (this.#seen.has(eventId) || this.#inFlight.has(eventId)) {
      this.#counted.duplicate.inc();
      return { kind: "duplicate", event_id: eventId };
    }
    // A trace id for every event (the recent events name each by it); the span, which only an
    // outgoing call needs, is made for the few forwarded.
    const traceId = newTraceId();
    this.recent.add(event, traceId);
    const { score, forward } = this.scorer.judge(event);
    if (!forward) {
      this.#remember(eventId);
      this.#counted.dropped.inc();
      if (this.component.log.isLevelEnabled("debug")) {
        withTrace(newTrace(traceId), () =>
          this.component.log.debug(
            { rule: event.rule, priority: event.priority, score },
            "event below threshold",
          ),
        );
      }
      return { kind: "dropped", trace_id: traceId };
    }
    this.#inFlight.add(eventId);
    const w = workloadOf(event);
    const anomaly: Anomaly = {
      trace_id: traceId,
      event,
      received_at: new Date().toISOString(),
      score,
      model_version: this.scorer.version,
      threshold: this.scorer.threshold(),
    };
    return {
      kind: "selected",
      anomaly,
      key: `${w.namespace ?? "-"}/${w.pod ?? w.node}`,
      event_id: eventId,
      trace: newTrace(traceId),
    };
  }

  /** Opens the case and feeds the sinks; throws (and forgets the event) when either fails. */
  forward(selected: Selected): Promise<Outcome> {
    const { anomaly, key, event_id: eventId, trace } = selected;
    return withTrace(trace, async (): Promise<Outcome> => {
      try {
        const [opened] = await Promise.all([
          this.openCases ? this.peers.call(skills.openCase, anomaly) : null,
          ...this.sinks.map((sink) => sink(anomaly, key)),
        ]);
        const caseId = opened?.output.case_id ?? null;
        // Remembered only once forwarded: an event whose forwarding failed is tried again, not lost.
        this.#remember(eventId);
        this.#counted.forwarded.inc();
        const { rule, priority } = anomaly.event;
        this.component.log.info({ rule, priority, score: anomaly.score, case: caseId }, "event forwarded");
        return { kind: "forwarded", trace_id: trace.traceId, case_id: caseId };
      } finally {
        this.#inFlight.delete(eventId);
      }
    });
  }

  /**
   * Remembers the id, forgetting the oldest beyond `remember`, which `#order` holds in a ring. The
   * Set's own insertion order would do, but V8 leaves a deleted entry as a hole until it rehashes
   * and `values().next()` walks past every hole: once full, forgetting the oldest that way cost
   * more per event than everything else the pipeline does.
   */
  #remember(eventId: string): void {
    if (this.#seen.has(eventId)) return;
    const slot = this.#next;
    const oldest = this.#order[slot];
    if (oldest !== undefined) this.#seen.delete(oldest);
    this.#order[slot] = eventId;
    this.#next = slot + 1 === this.remember ? 0 : slot + 1;
    this.#seen.add(eventId);
  }
}
