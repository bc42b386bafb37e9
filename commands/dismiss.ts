import { z } from "zod";
import { CaseId } from "../contracts/case.js";
import { command } from "./command.js";

export const dismiss = command({
  name: "dismiss",
  usage: "dismiss <case> <reason…>",
  summary: "Close an escalated case without action, with the reason (a benign label for the model).",
  access: "decide",
  flags: [],
  arity: Infinity,
  args: z.object({
    case: CaseId,
    reason: z.string().trim().min(3, "give a reason of a few words").max(2000),
  }),
  read: ([id, ...reason]) => ({ case: id?.toUpperCase(), reason: reason.join(" ") }),
  async run(args, { desk, actor }) {
    const { case: decided } = await desk.decide(args.case, "dismiss", actor.name, args.reason);
    return {
      kind: "case",
      title: `${decided.id} dismissed by ${decided.decision?.by ?? actor.name}: ${args.reason}`,
      case: decided,
      evidence: null,
    };
  },
});
