import { actionTypes, type ActionType, type Evidence } from "../../contracts/analysis.js";
import { emptyContext } from "../../contracts/cluster.js";
import { FalcoEvent, priorityRank } from "../../contracts/falco.js";
import { DEFAULT_CORPUS_START, generateCorpus } from "../sample/generate-corpus.js";

/** One labelled case for the analyst: an alert, its evidence, and what an analyst would accept. */
export interface Scenario {
  id: string;
  kind: "attack" | "benign";
  event: FalcoEvent;
  evidence: Evidence;
  /** The ATT&CK technique the rule's authors tagged it with; null when the rule names none. */
  technique: string | null;
  /** Responses an analyst would accept for it. */
  acceptable: readonly ActionType[];
}

const containment = actionTypes.filter((a) => a !== "none");

/**
 * `attacks` attack episodes, of every kind the corpus generator has in turn (each episode's first alert at Warning
 * or above, with the episode's earlier rules as its evidence) and benign look-alikes (benign
 * alerts at Warning or above: CI jobs, engineers, node maintenance), from one seed of the corpus.
 */
export function scenarios({
  seed = 7,
  attacks = 18,
  benign = 8,
}: { seed?: number; attacks?: number; benign?: number } = {}): Scenario[] {
  const items = generateCorpus({ seed, benign: 4_000, episodes: attacks, start: DEFAULT_CORPUS_START });
  const warning = priorityRank("Warning");
  const out: Scenario[] = [];
  const seenEpisodes = new Set<string>();
  const rulesSoFar = new Map<string, string[]>();
  let benignLeft = benign;
  for (const item of items) {
    const event = FalcoEvent.parse(item.event);
    const rules = rulesSoFar.get(item.label) ?? [];
    rulesSoFar.set(item.label, [...new Set([...rules, event.rule])]);
    if (priorityRank(event.priority) < warning) continue;
    const attack = item.label !== "benign";
    if (attack ? seenEpisodes.has(item.label) : benignLeft <= 0) continue;
    if (attack) seenEpisodes.add(item.label);
    else benignLeft -= 1;
    const evidence: Evidence = {
      same_pod: [],
      same_image: [],
      distinct_rules: attack ? (rulesSoFar.get(item.label) ?? []) : [event.rule],
      context: emptyContext("unavailable", "no cluster in the evaluation"),
      forwarded: null,
      summary: attack
        ? `episode rules so far: ${String(rulesSoFar.get(item.label)?.length ?? 0)}`
        : "one alert",
    };
    out.push({
      id: attack ? item.label : `benign-${String(out.length)}`,
      kind: attack ? "attack" : "benign",
      event,
      evidence,
      technique: event.tags.find((t) => /^T\d{4}(\.\d{3})?$/.test(t)) ?? null,
      acceptable: attack ? containment : ["none", "label_pod"],
    });
  }
  return out;
}
