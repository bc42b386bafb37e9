import { z } from "zod";
import { CaseStatus } from "../contracts/case.js";
import { command } from "./command.js";

export const cases = command({
  name: "cases",
  usage: "cases [--state open|reviewing|awaiting_human|escalated|executing|closed] [--limit N]",
  summary: "List cases, newest first.",
  access: "read",
  flags: ["state", "limit"],
  arity: 0,
  args: z.object({
    state: CaseStatus.nullable(),
    limit: z
      .string("give a number of cases")
      .regex(/^\d+$/, "give a number of cases")
      .transform(Number)
      .pipe(z.number().int().min(1).max(1000)),
  }),
  read: (_words, flags) => ({
    // "escalated" is what analysts say for a case awaiting a human.
    state: flags.state === "escalated" ? "awaiting_human" : (flags.state ?? null),
    limit: flags.limit ?? "50",
  }),
  async run(args, { desk }) {
    const found = await desk.cases(args.state, args.limit);
    return {
      kind: "cases",
      title: `${found.length} case(s)${args.state ? ` ${args.state}` : ""}`,
      cases: found,
    };
  },
});
