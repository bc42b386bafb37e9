import { z } from "zod";
import { CaseId } from "../contracts/case.js";
import { command } from "./command.js";

export const investigate = command({
  name: "investigate",
  usage: "investigate <case>",
  summary: "Gather more evidence for an escalated case; it stays open for a decision.",
  access: "decide",
  flags: [],
  arity: 1,
  args: z.object({ case: CaseId }),
  read: ([id]) => ({ case: id?.toUpperCase() }),
  async run(args, { desk, actor }) {
    const {
      case: current,
      evidence,
      questions,
    } = await desk.decide(args.case, "investigate", actor.name, null);
    return { kind: "case", title: `more evidence on ${current.id}`, case: current, evidence, questions };
  },
});
