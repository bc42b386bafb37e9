import { SocError } from "../runtime/errors.js";
import { approve } from "./approve.js";
import { cases } from "./cases.js";
import type { Actor, CaseDesk, Command, Reply } from "./command.js";
import { dismiss } from "./dismiss.js";
import { help } from "./help.js";
import { investigate } from "./investigate.js";
import { status } from "./status.js";
import { trace } from "./trace.js";

export type { Actor, CaseDesk, Command, Reply } from "./command.js";

/** Every subcommand, in the order help lists them. Adding one is a file and a line here. */
export const commands: readonly Command[] = [
  approve,
  dismiss,
  investigate,
  trace,
  cases,
  status,
  help(() => commands),
];

export interface Invocation {
  command: Command;
  args: unknown;
}

/** Splits `--flag value` and `--flag` from the words. */
export function splitFlags(argv: readonly string[]): {
  words: string[];
  flags: Record<string, string | true>;
} {
  const words: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (!flag?.[1]) {
      words.push(word);
    } else if (flag[2] !== undefined) {
      flags[flag[1]] = flag[2];
    } else if (argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--") && flag[1] !== "json") {
      flags[flag[1]] = argv[++i] ?? "";
    } else {
      flags[flag[1]] = true;
    }
  }
  return { words, flags };
}

/** Finds and validates a command; a bad one is a `usage` error carrying what to type instead. */
export function parse(argv: readonly string[]): Invocation {
  const { words, flags } = splitFlags(argv);
  const [name, ...rest] = words;
  const found = commands.find((c) => c.name === name);
  if (!found) {
    throw new SocError("usage", `${name ? `unknown command "${name}"` : "no command given"}\n${usage()}`);
  }
  const parsed = found.args.safeParse(found.read(rest, flags));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`)
      .join("; ");
    throw new SocError("usage", `${problems}\nusage: soc ${found.usage}`);
  }
  return { command: found, args: parsed.data };
}

export function usage(): string {
  return [
    "usage: soc <command> [--json]",
    ...commands.map((c) => `  ${c.usage.padEnd(44)} ${c.summary}`),
  ].join("\n");
}

export function run({ command, args }: Invocation, desk: CaseDesk, actor: Actor): Promise<Reply> {
  return command.run(args, { desk, actor });
}
