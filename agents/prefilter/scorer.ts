import { priorityRank, type FalcoEvent, type Priority } from "../../contracts/falco.js";

/** What the prefilter thinks of one event: its score, if a model gave one, and whether to forward it. */
export interface Judgement {
  score: number | null;
  forward: boolean;
}

/** Decides which events become cases; the model version and threshold go into every anomaly. */
export interface Scorer {
  readonly version: string;
  threshold(): number | string;
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

  judge(event: FalcoEvent): Judgement {
    return { score: null, forward: priorityRank(event.priority) >= this.#rank };
  }
}
