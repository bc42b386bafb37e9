import { priorityRank, type FalcoEvent } from "../../contracts/falco.js";
import type { ForwardFloor } from "../../contracts/policy.js";

/**
 * Why the policy's floor forwards this event whatever its score, or null: a severe alert from a
 * rule the Falco project marks stable, a rule or a tactic the SOC lists. The model can never lower
 * it. The reason names the clause, never the event's own text.
 */
export function floorReason(floor: ForwardFloor | null, event: FalcoEvent): string | null {
  if (!floor) return null;
  if (priorityRank(event.priority) >= priorityRank(floor.min_priority)) {
    const maturity = floor.maturities.find((m) => event.tags.includes(m));
    if (maturity) return `floor: ${floor.min_priority} or above from a ${maturity} rule`;
  }
  if (floor.rules.includes(event.rule)) return "floor: a rule the SOC always forwards";
  const tactic = floor.tactics.find((t) => event.tags.includes(t));
  if (tactic) return `floor: tactic ${tactic} is always forwarded`;
  return null;
}
