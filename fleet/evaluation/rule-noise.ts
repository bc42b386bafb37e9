import { join } from "node:path";
import { parse } from "yaml";
import { draft } from "../../agents/rules/draft.js";
import { evaluate } from "../../agents/rules/evaluate.js";
import { exceptionCondition, type Exception } from "../../agents/rules/exceptions.js";
import { RuleSet } from "../../agents/rules/ruleset.js";
import type { Condition } from "../../agents/rules/condition.js";
import { FalcoEvent, priorityRank, type Priority } from "../../contracts/falco.js";
import type { RecordedEvent } from "../../contracts/rules.js";
import type { CorpusItem } from "../sample/generate-corpus.js";
import { falcoVendor } from "../tools/falco-lang.js";

/** The official rulesets the corpus generator's rules come from: stable, incubating and sandbox. */
export function corpusRules(): RuleSet {
  return RuleSet.fromFiles(
    ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"].map((file) =>
      join(falcoVendor, "falco-rules", file),
    ),
  );
}

/** What the exceptions drafted from one day's dismissals do to the next day's cases. */
export interface RuleNoise {
  /** Cases of each day (events at or above the priority analysts see), benign and of attacks. */
  cases: { first: { benign: number; attack: number }; next: { benign: number; attack: number } };
  /** Exceptions drafted from the first day's dismissals, and those the gate's replay checks refuse. */
  drafted: number;
  refused: number;
  /** The next day's benign cases the merged exceptions spare, as a share of them. */
  suppressedShare: number;
  /** The next day's attack episodes with a case: caught before the exceptions, and after. */
  episodes: { total: number; caughtAfter: number };
  /** Attack cases an exception spared, by episode (must be none). */
  sparedAttacks: string[];
}

interface Decided {
  id: string;
  event: FalcoEvent;
  label: string;
  day: string;
}

/**
 * The SOC's noise after a day of decisions, on a labelled corpus: analysts see every event at or
 * above `minPriority` (the priority pre-filter) as a case, dismiss the benign ones of the first day
 * and approve the attacks'. The fleet drafts an exception for each rule and workload dismissed at
 * least twice (as the coordinator asks the rules agent), the drafts whose replay spares an approved
 * case or misses a dismissed one are refused (data.soc.rules), the rest are merged (an analyst
 * confirms those the policy escalates). Then the next day's cases meet the merged exceptions.
 */
export function ruleNoise(
  items: readonly CorpusItem[],
  rules: RuleSet,
  minPriority: Priority = "Warning",
): RuleNoise {
  const cases: Decided[] = items
    .map(({ event, label }, i) => ({ id: `case-${String(i)}`, event: FalcoEvent.parse(event), label }))
    .filter(({ event }) => priorityRank(event.priority) >= priorityRank(minPriority))
    .map((c) => ({ ...c, day: c.event.time.slice(0, 10) }));
  const [first = "", next = ""] = [...new Set(cases.map((c) => c.day))].sort();
  const firstDay = cases.filter((c) => c.day === first);
  const nextDay = cases.filter((c) => c.day === next);

  const merged = new Map<string, Condition[]>();
  let drafted = 0;
  let refused = 0;
  const byRule = groupBy(firstDay, (c) => c.event.rule);
  for (const [rule, decided] of byRule) {
    const history: RecordedEvent[] = decided.map((c) => ({
      case_id: c.id,
      time: c.event.time,
      fields: c.event.output_fields,
      decision: c.label === "benign" ? "dismissed" : "approved",
    }));
    const asked = new Set<string>();
    for (const c of decided.filter((d) => d.label === "benign")) {
      const found = draft(
        { case_id: c.id, trigger: "dismissed", event: c.event, finding: null, history },
        rules,
      );
      if (typeof found === "string" || asked.has(found.id)) continue;
      asked.add(found.id);
      drafted++;
      const r = found.replay;
      if (r.spared_approved.length > 0 || r.spared_dismissed < r.dismissed) {
        refused++;
        continue;
      }
      const [item] = parse(found.yaml) as [{ exceptions: Exception[] }];
      merged.set(rule, [...(merged.get(rule) ?? []), ...item.exceptions.map(exceptionCondition)]);
    }
  }

  const spares = (c: Decided) =>
    (merged.get(c.event.rule) ?? []).some(
      (condition) => evaluate(condition, c.event.output_fields, rules).matches === true,
    );
  const benign = nextDay.filter((c) => c.label === "benign");
  const attacks = nextDay.filter((c) => c.label !== "benign");
  const episodes = groupBy(attacks, (c) => c.label);
  return {
    cases: {
      first: count(firstDay),
      next: count(nextDay),
    },
    drafted,
    refused,
    suppressedShare: benign.length ? benign.filter(spares).length / benign.length : 0,
    episodes: {
      total: episodes.size,
      caughtAfter: [...episodes.values()].filter((alerts) => alerts.some((c) => !spares(c))).length,
    },
    sparedAttacks: [...new Set(attacks.filter(spares).map((c) => c.label))],
  };
}

function count(cases: readonly Decided[]): { benign: number; attack: number } {
  const benign = cases.filter((c) => c.label === "benign").length;
  return { benign, attack: cases.length - benign };
}

function groupBy<T>(values: readonly T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const group = groups.get(key(value));
    if (group) group.push(value);
    else groups.set(key(value), [value]);
  }
  return groups;
}
