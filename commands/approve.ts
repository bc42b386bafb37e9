import { z } from "zod";
import { CaseId } from "../contracts/case.js";
import { command } from "./command.js";

export const approve = command({
  name: "approve",
  usage: "approve <case>",
  summary: "Approve the proposed action of an escalated case; remediate carries it out.",
  access: "decide",
  flags: [],
  arity: 1,
  args: z.object({ case: CaseId }),
  read: ([id]) => ({ case: id?.toUpperCase() }),
  async run(args, { desk, actor }) {
    const { case: decided } = await desk.decide(args.case, "approve", actor.name, null);
    return {
      kind: "case",
      title: `${decided.id} approved by ${decided.decision?.by ?? actor.name}`,
      case: decided,
      evidence: null,
    };
  },
});
