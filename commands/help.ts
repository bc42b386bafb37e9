import { z } from "zod";
import { command, type Command } from "./command.js";

/** `help` lists the registry it is given, so it never drifts from the real commands. */
export function help(registry: () => readonly Command[]) {
  return command({
    name: "help",
    usage: "help",
    summary: "This list.",
    access: "anyone",
    flags: [],
    arity: 0,
    args: z.object({}),
    read: () => ({}),
    run: () =>
      Promise.resolve({
        kind: "help",
        commands: registry().map(({ name, usage, summary }) => ({ name, usage, summary })),
      }),
  });
}
