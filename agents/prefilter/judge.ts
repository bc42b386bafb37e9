import { existsSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { join } from "node:path";
import type { Anomaly } from "../../contracts/anomaly.js";
import { eventIdOf, workloadOf, type Priority } from "../../contracts/falco.js";
import type { Forwarding } from "../../contracts/policy.js";
import type { Component } from "../../runtime/component.js";
import { causeChain, type SocError } from "../../runtime/errors.js";
import { Thread } from "../../runtime/thread.js";
import { newTraceId } from "../../runtime/trace.js";
import type { DriftWindow } from "./model/drift.js";
import { loadModelScorer } from "./model-scorer.js";
import { PriorityScorer, type Scorer } from "./scorer.js";
import { validateEvent } from "./validate.js";
import { RecentEvents } from "./window.js";

/** An event judged worth a case, not yet forwarded. */
export interface Selected {
  kind: "selected";
  anomaly: Anomaly;
  /** namespace/pod: the Kafka key, so a workload's anomalies stay in order. */
  key: string;
  event_id: string;
}

/** What the judge decides of one event. */
export type Judged =
  | { kind: "rejected"; reason: string }
  /** in_flight: the first copy is still being forwarded, and may yet fail. */
  | { kind: "duplicate"; event_id: string; in_flight: boolean }
  | { kind: "dropped"; trace_id: string }
  | Selected;

/** A batch of messages judged: what needs more than a count, by the message's index in the batch. */
export interface BatchJudged {
  selected: { index: number; event: Selected }[];
  rejected: { index: number; reason: string }[];
  /** Duplicates of an event still being forwarded: done only once that forward is. */
  waiting: { index: number; event_id: string }[];
  duplicates: number;
  dropped: number;
}

/** How to build a judge in its own thread: the scorer, and how many event ids to remember. */
export interface JudgeOptions {
  scorer:
    { kind: "priority"; minimum: Priority } | { kind: "model"; modelPath: string; forwarding: Forwarding };
  remember?: number;
}

/** The judging thread's script: beside this module once built; run from the source tree (tests), the built one. */
export const JUDGE_WORKER = [
  join(import.meta.dirname, "judge-worker.js"),
  join(import.meta.dirname, "..", "..", "dist", "agents", "prefilter", "judge-worker.js"),
].find((path) => existsSync(path));

/**
 * The judging thread's heap: three quarters of the main thread's limit. Each thread has a heap of its
 * own, and V8 lets one grow towards its limit before it collects in earnest: the chart sets the main
 * thread's limit from the container's (NODE_OPTIONS), and the two heaps together must stay under it.
 */
export const judgeHeapMb = (): number => Math.floor((getHeapStatistics().heap_size_limit / 2 ** 20) * 0.75);

/**
 * Starts the process's judge in a thread of its own. Without it the prefilter cannot go on: if the
 * thread ends, so does the process (restarted, it fetches again what it had not committed).
 */
export async function startJudge(component: Component, options: JudgeOptions): Promise<Thread<Judge>> {
  if (!JUDGE_WORKER) throw new Error("judge-worker.js is missing: run `npm run build`");
  const ended = (error: SocError) => {
    component.log.fatal({ err: causeChain(error) }, "the judging thread ended; the prefilter stops");
    process.exit(1);
  };
  const thread = await Thread.start<Judge>(JUDGE_WORKER, options, ended, {
    maxOldGenerationSizeMb: judgeHeapMb(),
  });
  component.onStop(() => thread.stop());
  return thread;
}

export function buildJudge({ scorer, remember }: JudgeOptions): Judge {
  if (scorer.kind === "priority")
    return new Judge(new RecentEvents(), new PriorityScorer(scorer.minimum), { remember });
  const model = loadModelScorer(scorer.modelPath, scorer.forwarding);
  return new Judge(new RecentEvents(), model.scorer, { remember, drift: model.drift });
}

/**
 * Everything the prefilter decides about an event, synchronously and in microseconds: validate,
 * drop duplicates, remember it among the recent events, score it. Forwarding is someone else's
 * (`Pipeline`), who says with `settled` how it went: an event being forwarded counts as seen, so a
 * second copy arriving meanwhile is a duplicate; one whose forwarding failed is judged afresh when
 * it comes again.
 *
 * Its state is one per process, and it runs in a thread of its own (judge-worker.ts): the Kafka
 * client and the forwarding keep the main thread, and a batch is judged while the next is fetched.
 */
export class Judge {
  readonly #seen = new Set<string>();
  /** The ids of `#seen` by age: the next slot holds the oldest once the ring has gone round. */
  readonly #order: (string | undefined)[];
  #next = 0;
  readonly #inFlight = new Set<string>();
  readonly #remember: number;
  readonly #drift: DriftWindow | undefined;

  constructor(
    private readonly recent: RecentEvents,
    private readonly scorer: Scorer,
    { remember = 100_000, drift }: { remember?: number | undefined; drift?: DriftWindow | undefined } = {},
  ) {
    if (!Number.isInteger(remember) || remember < 1)
      throw new RangeError("remember must be a positive integer");
    this.#remember = remember;
    this.#order = new Array<string | undefined>(remember);
    this.#drift = drift;
  }

  /** Validates, deduplicates, remembers and scores one event. */
  judge(body: unknown): Judged {
    const validated = validateEvent(body);
    if (!validated.ok) return { kind: "rejected", reason: validated.reason };
    const event = validated.event;
    const eventId = eventIdOf(event);
    if (this.#inFlight.has(eventId)) return { kind: "duplicate", event_id: eventId, in_flight: true };
    if (this.#seen.has(eventId)) return { kind: "duplicate", event_id: eventId, in_flight: false };
    // A trace id for every event: the recent events name each by it.
    const traceId = newTraceId();
    this.recent.add(event, traceId);
    const { score, forward, floor, drivers } = this.scorer.judge(event);
    if (!forward) {
      this.#remembered(eventId);
      return { kind: "dropped", trace_id: traceId };
    }
    this.#inFlight.add(eventId);
    const w = workloadOf(event);
    return {
      kind: "selected",
      anomaly: {
        trace_id: traceId,
        event,
        received_at: new Date().toISOString(),
        score,
        model_version: this.scorer.version,
        threshold: this.scorer.threshold(),
        threshold_source: this.scorer.thresholdSource(),
        floor,
        drivers,
      },
      key: `${w.namespace ?? "-"}/${w.pod ?? w.node}`,
      event_id: eventId,
    };
  }

  /**
   * Judges a batch of messages: `bytes` holds them one after another as UTF-8 JSON, message i
   * ending at `ends[i]`. What is not JSON is rejected with the parser's reason.
   */
  judgeBatch(bytes: Uint8Array, ends: Uint32Array): BatchJudged {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const judged: BatchJudged = { selected: [], rejected: [], waiting: [], duplicates: 0, dropped: 0 };
    let start = 0;
    for (let index = 0; index < ends.length; index++) {
      const end = ends[index] ?? start;
      let body: unknown;
      try {
        body = JSON.parse(text.toString("utf8", start, end));
      } catch (error) {
        judged.rejected.push({
          index,
          reason: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
        });
        start = end;
        continue;
      }
      start = end;
      const one = this.judge(body);
      if (one.kind === "selected") judged.selected.push({ index, event: one });
      else if (one.kind === "rejected") judged.rejected.push({ index, reason: one.reason });
      else if (one.kind === "dropped") judged.dropped++;
      else {
        judged.duplicates++;
        if (one.in_flight) judged.waiting.push({ index, event_id: one.event_id });
      }
    }
    return judged;
  }

  /** How forwarding a selected event went: remembered if it was forwarded, judged afresh if it comes again. */
  settled(eventId: string, forwarded: boolean): void {
    this.#inFlight.delete(eventId);
    if (forwarded) this.#remembered(eventId);
  }

  /** Events of the same pod and of the same image, for detect's recent_events. */
  related(query: Parameters<RecentEvents["related"]>[0]): ReturnType<RecentEvents["related"]> {
    return this.recent.related(query);
  }

  /** Follows what the policy says to forward; throws, keeping what was in force, if the scorer cannot. */
  configure(forwarding: Forwarding): { threshold: number | string; source: string | null } {
    this.scorer.configure(forwarding);
    return this.inForce();
  }

  /** The threshold in force and where it came from. */
  inForce(): { threshold: number | string; source: string | null } {
    return { threshold: this.scorer.threshold(), source: this.scorer.thresholdSource() };
  }

  /** Each feature's population stability against the training data; null before any event or without a model. */
  psi(): number[] | null {
    return this.#drift && this.#drift.count > 0 ? Array.from(this.#drift.psi()) : null;
  }

  /**
   * Remembers the id, forgetting the oldest beyond `remember`, which `#order` holds in a ring. The
   * Set's own insertion order would do, but V8 leaves a deleted entry as a hole until it rehashes
   * and `values().next()` walks past every hole: once full, forgetting the oldest that way cost
   * more per event than everything else the judge does.
   */
  #remembered(eventId: string): void {
    if (this.#seen.has(eventId)) return;
    const slot = this.#next;
    const oldest = this.#order[slot];
    if (oldest !== undefined) this.#seen.delete(oldest);
    this.#order[slot] = eventId;
    this.#next = slot + 1 === this.#remember ? 0 : slot + 1;
    this.#seen.add(eventId);
  }
}
