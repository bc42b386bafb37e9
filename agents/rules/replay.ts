import type { Condition } from "./condition.js";
import type { RecordedEvent } from "../../contracts/rules.js";
import { evaluate } from "./evaluate.js";
import type { RuleSet } from "./ruleset.js";

export type { RecordedEvent };

export interface Replay {
  /** The cases whose event the condition holds for, by what analysts made of them. */
  hits: Record<RecordedEvent["decision"], string[]>;
  /** Events it holds for per day, over the days recorded (at least one). */
  perDay: number;
  /** Events whose record lacks a field it reads: not replayed. */
  unreplayable: { case_id: string; missing: string[] }[];
}

/** Replays `condition` on recorded events: which it holds for, how often, and which it cannot tell. */
export function replayOn(condition: Condition, events: readonly RecordedEvent[], rules: RuleSet): Replay {
  const hits: Replay["hits"] = { dismissed: [], approved: [], open: [] };
  const unreplayable: Replay["unreplayable"] = [];
  for (const event of events) {
    const { matches, missing } = evaluate(condition, event.fields, rules);
    if (matches === null) unreplayable.push({ case_id: event.case_id, missing });
    else if (matches) hits[event.decision].push(event.case_id);
  }
  const count = hits.dismissed.length + hits.approved.length + hits.open.length;
  const times = events.map((e) => Date.parse(e.time)).filter(Number.isFinite);
  const days = times.length ? Math.max(1, (Math.max(...times) - Math.min(...times)) / 86_400_000) : 1;
  return { hits, perDay: count / days, unreplayable };
}
