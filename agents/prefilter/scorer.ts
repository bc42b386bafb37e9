import { SocError } from "../../runtime/errors.js";
import { priorityRank, type FalcoEvent, type Priority } from "../../contracts/falco.js";
import type { Forwarding, ForwardFloor } from "../../contracts/policy.js";
import { FEATURE_COUNT, type FeatureExtractor } from "./features/index.js";
import { floorReason } from "./floor.js";
import { drivers, type Driver } from "./model/drivers.js";
import type { DriftWindow } from "./model/drift.js";
import type { IsolationForest } from "./model/scorer.js";

/**
 * What the prefilter thinks of one event: its score, if a model gave one, whether to forward it,
 * and, when the score alone would not have, the floor clause that does.
 */
export interface Judgement {
  score: number | null;
  forward: boolean;
  floor: string | null;
  /** For a forwarded event, the features furthest from the model's training window. */
  drivers: Driver[];
}

/** Decides which events become cases; the model version and threshold go into every anomaly. */
export interface Scorer {
  readonly version: string;
  threshold(): number | string;
  /** Where the threshold in force comes from, for every anomaly: the policy's budget or threshold. */
  thresholdSource(): string | null;
  /** Follows what the policy says to forward (a model's; the priority baseline forwards by priority). */
  configure(forwarding: Forwarding): void;
  judge(event: FalcoEvent): Judgement;
}

/** An explicit score threshold and no floor, as a policy could set it: for tools and tests. */
export function thresholdOnly(threshold: number): Forwarding {
  return { threshold, budget: null, source: "threshold", floor: null };
}

/** The rule-based baseline: forward every event at or above a Falco priority. */
export class PriorityScorer implements Scorer {
  readonly version = "priority-baseline";
  readonly #rank: number;

  constructor(private readonly minimum: Priority) {
    this.#rank = priorityRank(minimum);
  }

  threshold(): string {
    return this.minimum;
  }

  thresholdSource(): null {
    return null;
  }

  configure(): never {
    throw new SocError("no_threshold", "the priority baseline forwards by priority, not by score");
  }

  judge(event: FalcoEvent): Judgement {
    return { score: null, forward: priorityRank(event.priority) >= this.#rank, floor: null, drivers: [] };
  }
}

/**
 * The anomaly model: the 17 features of the event and its recent past, scored by the Isolation
 * Forest; forwarded when the score reaches the threshold the policy sets, or the one that forwards
 * the policy's budget of the model's training window, or when the policy's floor covers the event
 * (all changed while running).
 */
export class ModelScorer implements Scorer {
  readonly #x = new Float64Array(FEATURE_COUNT);
  #threshold = 1;
  #source: string | null = null;
  #floor: ForwardFloor | null = null;

  constructor(
    private readonly model: IsolationForest,
    private readonly features: FeatureExtractor,
    forwarding: Forwarding,
    private readonly drift?: DriftWindow,
  ) {
    this.configure(forwarding);
  }

  get version(): string {
    return this.model.version;
  }

  threshold(): number {
    return this.#threshold;
  }

  thresholdSource(): string | null {
    return this.#source;
  }

  /** Throws, keeping what was in force, when the policy sets nothing this model can follow. */
  configure({ threshold, budget, source, floor }: Forwarding): void {
    if (threshold !== null) {
      this.#threshold = threshold;
      this.#source = `${source === "threshold_override" ? "live" : "bundle"} threshold`;
    } else if (budget !== null) {
      this.#threshold = this.model.thresholdFor(budget);
      this.#source = `${source === "budget_override" ? "live" : "bundle"} budget ${String(budget)} on ${String(this.model.calibration?.rows)} training events`;
    } else {
      throw new SocError(
        "threshold_undefined",
        `the policy sets neither a threshold nor a budget (${source})`,
      );
    }
    this.#floor = floor;
  }

  judge(event: FalcoEvent): Judgement {
    this.features.extract(event, this.#x);
    this.drift?.observe(this.#x);
    const score = this.model.score(this.#x);
    const floor = score >= this.#threshold ? null : floorReason(this.#floor, event);
    if (score < this.#threshold && floor === null) return { score, forward: false, floor, drivers: [] };
    // Only what is forwarded is explained: a few microseconds, for the few.
    return {
      score,
      forward: true,
      floor,
      drivers: drivers(this.model.featureNames, this.model.distribution, this.#x),
    };
  }
}
