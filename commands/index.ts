import type { DecisionFigures } from "../contracts/skills.js";
import type { Step, Tokens } from "../contracts/step.js";
import { SocError } from "../runtime/errors.js";
import { approve } from "./approve.js";
import { cases } from "./cases.js";
import type { Actor, CaseDesk, Command, Reply } from "./command.js";
import { dismiss } from "./dismiss.js";
import { help } from "./help.js";
import { investigate } from "./investigate.js";
import { rule } from "./rule.js";
import { rules } from "./rules.js";
import { status } from "./status.js";
import { trace } from "./trace.js";
import { undo } from "./undo.js";

export type { Actor, CaseDesk, Command, Reply } from "./command.js";

/** Every subcommand, in the order help lists them. Adding one is a file and a line here. */
export const commands: readonly Command[] = [
  approve,
  dismiss,
  investigate,
  undo,
  trace,
  cases,
  rule,
  rules,
  status,
  help(() => commands),
];

export interface Invocation {
  command: Command;
  args: unknown;
}

/**
 * Splits the known `--flag value`, `--flag=value` and `--flag` from the words; `--json` takes no
 * value. Anything else, `--see` in a dismiss reason included, stays a word.
 */
export function splitFlags(
  argv: readonly string[],
  known: readonly string[],
): { words: string[]; flags: Record<string, string | true> } {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    const name = flag?.[1];
    if (!name || (name !== "json" && !known.includes(name))) {
      words.push(word);
    } else if (flag[2] !== undefined) {
      flags[name] = flag[2];
    } else if (name !== "json" && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--")) {
      flags[name] = argv[++i] ?? "";
    } else {
      flags[name] = true;
    }
  }
  return { words, flags };
}

/** Finds and validates a command; a bad one is a `usage` error carrying what to type instead. */
export function parse(argv: readonly string[]): Invocation {
  const name = argv.find((word) => !word.startsWith("--"));
  const found = commands.find((c) => c.name === name);
  if (!found) {
    throw new SocError("usage", `${name ? `unknown command "${name}"` : "no command given"}\n${usage()}`);
  }
  const { words, flags } = splitFlags(
    argv.filter((word, i) => i !== argv.indexOf(found.name)),
    found.flags,
  );
  if (words.length > found.arity) {
    throw new SocError(
      "usage",
      `too many arguments: ${words.slice(found.arity).join(" ")}\nusage: soc ${found.usage}`,
    );
  }
  const parsed = found.args.safeParse(found.read(words, flags));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`)
      .join("; ");
    throw new SocError("usage", `${problems}\nusage: soc ${found.usage}`);
  }
  return { command: found, args: parsed.data };
}

/** The command list as text: one formatter for usage errors and for `help` in every front end. */
export function formatUsage(list: readonly Pick<Command, "usage" | "summary">[] = commands): string {
  return ["usage: soc <command> [--json]", ...list.map((c) => `  ${c.usage.padEnd(44)} ${c.summary}`)].join(
    "\n",
  );
}

export function usage(): string {
  return formatUsage();
}

export function run({ command, args }: Invocation, desk: CaseDesk, actor: Actor): Promise<Reply> {
  return command.run(args, { desk, actor });
}

/** How every front end words a decision that was taken. */
export const pastTense = { approve: "approved", dismiss: "dismissed", investigate: "investigated" } as const;

/** A step's (or a case's) language-model tokens in/out and their cost, or "" when it asked no model. */
export function formatTokens(tokens: Tokens): string {
  if (tokens.in + tokens.out === 0) return "";
  return `tokens ${tokens.in}/${tokens.out}${tokens.cost > 0 ? ` · cost ${tokens.cost.toPrecision(3)}` : ""}`;
}

/** What a case's steps spent on language models, all together. */
export function caseTokens(steps: readonly Pick<Step, "tokens">[]): Tokens {
  return steps.reduce(
    (sum, s) => ({ in: sum.in + s.tokens.in, out: sum.out + s.tokens.out, cost: sum.cost + s.tokens.cost }),
    { in: 0, out: 0, cost: 0 },
  );
}

/** Today's human decisions in one line, for every front end. */
export function formatToday(t: DecisionFigures): string {
  const percent = (rate: number | null) => (rate === null ? "-" : `${Math.round(rate * 100)}%`);
  const wait = t.median_wait_s === null ? "-" : `${Math.round(t.median_wait_s)} s`;
  return `${t.approved} approved, ${t.dismissed} dismissed; dismiss rate ${percent(t.dismiss_rate)}, override rate ${percent(t.override_rate)}, median wait ${wait}`;
}
