import { Counter } from "prom-client";
import { skills } from "../../contracts/skills.js";
import type { Peers } from "../../runtime/a2a/client.js";
import type { Component } from "../../runtime/component.js";
import type { Calls } from "../../runtime/thread.js";
import { newTrace, withTrace } from "../../runtime/trace.js";
import type { Anomaly } from "../../contracts/anomaly.js";
import { limited } from "../../runtime/slots.js";
import type { BatchJudged, Judge, Judged, Selected } from "./judge.js";

export type Outcome =
  | Exclude<Judged, Selected>
  /** case_id is null when the coordinator takes the anomaly from soc.anomalies rather than a call. */
  | { kind: "forwarded"; trace_id: string; case_id: string | null };

/** Where anomalies go besides the coordinator (Kafka's soc.anomalies when configured). */
export type AnomalySink = (anomaly: Anomaly, key: string) => Promise<void>;

/**
 * What happens to every Falco event after ingest, whichever way it came (Falco's http_output or
 * Kafka): the judge (in its own thread) validates, deduplicates and scores it, and what it selects
 * is forwarded to the coordinator and the sinks here.
 *
 * In two halves, so that a consumer can judge a whole batch at once and wait only for the few
 * forwards, together: `judgeBatch` (or `process` for one event) asks the judge, `forward` waits for
 * the coordinator and the sinks and throws when forwarding failed, so the caller keeps the event
 * and tries again. Either way the judge hears how it went.
 */
export class Pipeline {
  readonly #counted: Record<Outcome["kind"], Counter.Internal>;
  readonly #floored: Counter;
  /**
   * Forwards under way, by event id, kept until the judge has taken their outcome: a batch the
   * judge answered before that holds a duplicate it was told is in flight, and the batch is done
   * only once this forward is (had it counted as done, a failed forward would be lost).
   */
  readonly #forwarding = new Map<string, Promise<Outcome>>();
  /**
   * At most `forwardsInFlight` forwards at a time, from Kafka and HTTP alike. The coordinator
   * answers open_case in tens of ms when idle but takes seconds once it is busy with the cases it
   * opened: unbounded, a backlog's forwards (or a flood of POSTs) all went at once, timed out, and
   * were all tried again.
   */
  readonly #send: (selected: Selected) => Promise<[{ output: { case_id: string } } | null, ...unknown[]]>;

  constructor(
    private readonly component: Component,
    private readonly judge: Calls<Judge>,
    private readonly peers: Pick<Peers, "call">,
    private readonly sinks: readonly AnomalySink[] = [],
    /**
     * Whether forwarding calls the coordinator's open_case. With Kafka the coordinator consumes
     * soc.anomalies instead, and an anomaly is forwarded once it is on the topic.
     */
    private readonly openCases = true,
    forwardsInFlight = 16,
  ) {
    this.#send = limited(forwardsInFlight, ({ anomaly, key }: Selected) =>
      Promise.all([
        this.openCases ? this.peers.call(skills.openCase, anomaly) : null,
        ...this.sinks.map((sink) => sink(anomaly, key)),
      ]),
    );
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
    this.#floored = new Counter({
      name: "soc_prefilter_floor_forwarded_total",
      help: "Events forwarded by the policy's floor alone (their score was below the threshold): what the floor costs",
      registers: [component.metrics.registry],
    });
  }

  /** One event, judged and, if selected, forwarded: the HTTP ingest's way. */
  async process(body: unknown): Promise<Outcome> {
    // A body nested deeper than any event cannot cross to the judge's thread (the structured clone
    // runs out of stack): refused here, as the judge would refuse it.
    if (nestedDeeperThan(body, MAX_EVENT_DEPTH)) {
      const reason = `event: nested deeper than ${MAX_EVENT_DEPTH} levels, no Falco event is`;
      this.#rejected(reason);
      return { kind: "rejected", reason };
    }
    const judged = await this.judge.call("judge", [body]);
    if (judged.kind === "selected") return this.forward(judged);
    if (judged.kind === "rejected") this.#rejected(judged.reason);
    else this.#counted[judged.kind].inc();
    return judged;
  }

  /**
   * Judges a batch of message values (JSON, as Kafka carries them). They cross to the judge's
   * thread as one buffer, moved rather than copied.
   */
  async judgeBatch(values: readonly (Buffer | null)[]): Promise<BatchJudged> {
    let size = 0;
    for (const value of values) size += value?.length ?? 0;
    const bytes = new Uint8Array(size);
    const ends = new Uint32Array(values.length);
    let at = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value) bytes.set(value, at);
      at += value?.length ?? 0;
      ends[i] = at;
    }
    const judged = await this.judge.call("judgeBatch", [bytes, ends], [bytes.buffer, ends.buffer]);
    this.#counted.duplicate.inc(judged.duplicates);
    this.#counted.dropped.inc(judged.dropped);
    for (const { reason } of judged.rejected) this.#rejected(reason);
    return judged;
  }

  /** Opens the case and feeds the sinks; throws (and the judge forgets the event) when either fails. */
  forward(selected: Selected): Promise<Outcome> {
    const { anomaly, event_id: eventId } = selected;
    const outcome = withTrace(newTrace(anomaly.trace_id), async (): Promise<Outcome> => {
      const [opened] = await this.#send(selected);
      const caseId = opened?.output.case_id ?? null;
      this.#counted.forwarded.inc();
      if (anomaly.floor) this.#floored.inc();
      const { rule, priority } = anomaly.event;
      this.component.log.info(
        { rule, priority, score: anomaly.score, floor: anomaly.floor, case: caseId },
        "event forwarded",
      );
      return { kind: "forwarded", trace_id: anomaly.trace_id, case_id: caseId };
    });
    this.#forwarding.set(eventId, outcome);
    // Remembered only once forwarded: an event whose forwarding failed is judged afresh, not lost.
    void outcome
      .then(
        () => true,
        () => false,
      )
      .then((forwarded) => this.judge.call("settled", [eventId, forwarded]))
      // Fails only if the judge's thread ended, and the process ends with it (startJudge).
      .catch(() => undefined)
      .finally(() => this.#forwarding.delete(eventId));
    return outcome;
  }

  /** The forward under way of an event the judge said is in flight (see `BatchJudged.waiting`). */
  forwarding(eventId: string): Promise<Outcome> | undefined {
    return this.#forwarding.get(eventId);
  }

  /** Events of the same pod and of the same image, newest first: detect's recent_events. */
  related(query: Parameters<Judge["related"]>[0]): Promise<ReturnType<Judge["related"]>> {
    return this.judge.call("related", [query]);
  }

  #rejected(reason: string): void {
    this.#counted.rejected.inc();
    this.component.log.warn({ reason }, "event rejected");
  }
}

/** A Falco event is an object of fields, one of them an object of values: 3 levels with its tags. */
const MAX_EVENT_DEPTH = 8;

/** Whether `value` has objects or arrays nested more than `limit` deep; stops at the first. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth] = top;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
