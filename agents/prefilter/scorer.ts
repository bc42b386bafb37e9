import { SocError } from "../../runtime/errors.js";
import { priorityRank, type FalcoEvent, type Priority } from "../../contracts/falco.js";
import { FEATURE_COUNT, type FeatureExtractor } from "./features/index.js";
import type { DriftWindow } from "./model/drift.js";
import type { IsolationForest } from "./model/scorer.js";

/** What the prefilter thinks of one event: its score, if a model gave one, and whether to forward it. */
export interface Judgement {
  score: number | null;
  forward: boolean;
}

/** Decides which events become cases; the model version and threshold go into every anomaly. */
export interface Scorer {
  readonly version: string;
  threshold(): number | string;
  /** Sets the score threshold the policy gives (a model's; the priority baseline has none). */
  setThreshold(threshold: number): void;
  judge(event: FalcoEvent): Judgement;
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

  setThreshold(): never {
    throw new SocError("no_threshold", "the priority baseline forwards by priority, not by score");
  }

  judge(event: FalcoEvent): Judgement {
    return { score: null, forward: priorityRank(event.priority) >= this.#rank };
  }
}

/**
 * The anomaly model: the 17 features of the event and its recent past, scored by the Isolation
 * Forest; forwarded when the score reaches the threshold the policy sets (changed while running).
 */
export class ModelScorer implements Scorer {
  readonly #x = new Float64Array(FEATURE_COUNT);
  #threshold: number;

  constructor(
    private readonly model: IsolationForest,
    private readonly features: FeatureExtractor,
    threshold: number,
    private readonly drift?: DriftWindow,
  ) {
    this.#threshold = threshold;
  }

  get version(): string {
    return this.model.version;
  }

  threshold(): number {
    return this.#threshold;
  }

  setThreshold(threshold: number): void {
    this.#threshold = threshold;
  }

  judge(event: FalcoEvent): Judgement {
    this.features.extract(event, this.#x);
    this.drift?.observe(this.#x);
    const score = this.model.score(this.#x);
    return { score, forward: score >= this.#threshold };
  }
}
