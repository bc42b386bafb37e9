import { z } from "zod";
import { command } from "./command.js";

export const rules = command({
  name: "rules",
  usage: "rules [--limit N]",
  summary: "Rule changes drafted from cases, newest first: case, kind, state and pull request.",
  access: "read",
  flags: ["limit"],
  arity: 0,
  args: z.object({
    limit: z
      .string("give a number of proposals")
      .regex(/^\d+$/, "give a number of proposals")
      .transform(Number)
      .pipe(z.number().int().min(1).max(1000)),
  }),
  read: (_words, flags) => ({ limit: flags.limit ?? "50" }),
  async run(args, { desk }) {
    const proposals = await desk.rules(args.limit);
    return { kind: "proposals", title: `${String(proposals.length)} rule change(s)`, proposals };
  },
});
