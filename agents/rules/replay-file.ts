import { parse } from "yaml";
import { FalcoEvent } from "../../contracts/falco.js";
import { parseCondition } from "./condition.js";
import { exceptionCondition, type Exception } from "./exceptions.js";
import { replayOn, type RecordedEvent } from "./replay.js";
import type { RuleSet } from "./ruleset.js";

/** What one change of a rules file would have done to a stream of Falco events. */
export interface ChangeReplay {
  kind: "exception" | "rule";
  name: string;
  /** The rule an exception is appended to, or the rule a new rule narrows (its events are replayed). */
  rule: string | null;
  /** The events replayed: the rule's, or every event for a rule that narrows none. */
  events: number;
  /** Events it holds for (an exception spares them, a new rule matches them), by line. */
  hits: number[];
  per_day: number;
  unreplayable: number;
  missing_fields: string[];
}

export interface FileReplay {
  events: number;
  /** Lines that are not Falco events, with why: reported, never guessed at. */
  refused: { line: number; error: string }[];
  changes: ChangeReplay[];
}

interface DraftItem {
  rule?: string;
  condition?: string;
  exceptions?: Exception[];
  append?: boolean;
}

/**
 * Replays a rules file's changes (exceptions appended to rules, new rules) on falcosidekick's JSON
 * lines: which events each exception would have spared and each new rule matched, how many a day,
 * and which could not be told from what the output recorded. A recorded event met its own rule's
 * condition when Falco fired it: so an exception is evaluated on its rule's events, and a new rule
 * written as `(<an existing rule's condition>) and …`, as the fleet drafts them, by what it adds.
 */
export function replayFile(draftYaml: string, jsonLines: string, rules: RuleSet): FileReplay {
  const refused: FileReplay["refused"] = [];
  const events: (RecordedEvent & { rule: string; line: number })[] = [];
  jsonLines.split("\n").forEach((text, i) => {
    if (!text.trim()) return;
    try {
      const event = FalcoEvent.parse(JSON.parse(text));
      events.push({
        case_id: `line ${String(i + 1)}`,
        line: i + 1,
        rule: event.rule,
        time: event.time,
        fields: event.output_fields,
        decision: "open",
      });
    } catch (error) {
      refused.push({
        line: i + 1,
        error: error instanceof Error ? error.message.slice(0, 300) : String(error),
      });
    }
  });
  const items = (parse(draftYaml) as DraftItem[] | null) ?? [];
  const changes = items.flatMap((item): ChangeReplay[] => {
    if (!item.rule) return [];
    if (item.append && item.exceptions)
      return item.exceptions.map((exception) =>
        replayed("exception", exception.name, item.rule ?? null, exceptionCondition(exception)),
      );
    if (item.append || item.condition === undefined) return [];
    const narrowed = [...rules.rules.values()].find((r) =>
      item.condition?.startsWith(`(${r.text.condition.trim()}) and `),
    );
    const condition = narrowed
      ? item.condition.slice(`(${narrowed.text.condition.trim()}) and `.length)
      : item.condition;
    return [replayed("rule", item.rule, narrowed?.name ?? null, parseCondition(condition))];
  });
  return { events: events.length, refused, changes };

  function replayed(
    kind: ChangeReplay["kind"],
    name: string,
    rule: string | null,
    condition: ReturnType<typeof parseCondition>,
  ): ChangeReplay {
    const replayedOn = rule === null ? events : events.filter((e) => e.rule === rule);
    const replay = replayOn(condition, replayedOn, rules);
    return {
      kind,
      name,
      rule,
      events: replayedOn.length,
      hits: replay.hits.open.map((id) => Number(id.slice("line ".length))),
      per_day: replay.perDay,
      unreplayable: replay.unreplayable.length,
      missing_fields: [...new Set(replay.unreplayable.flatMap((u) => u.missing))].sort(),
    };
  }
}

/** The replay as the terminal shows it. */
export function renderFileReplay(r: FileReplay): string {
  return [
    `${String(r.events)} event(s) replayed${r.refused.length ? `; ${String(r.refused.length)} line(s) refused (first: line ${String(r.refused[0]?.line)}: ${r.refused[0]?.error ?? ""})` : ""}`,
    ...r.changes.map((c) => {
      const verb = c.kind === "exception" ? "spares" : "matches";
      const of = c.rule ? `of "${c.rule}"` : "of every rule";
      const missing = c.missing_fields.length ? ` (the output lacks ${c.missing_fields.join(", ")})` : "";
      return `${c.kind} ${c.name}: ${verb} ${String(c.hits.length)} of ${String(c.events)} event(s) ${of}, ${c.per_day.toFixed(1)} a day; ${String(c.unreplayable)} could not be replayed${missing}`;
    }),
  ].join("\n");
}
