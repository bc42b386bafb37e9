import { command, oneCase } from "./command.js";

export const approve = command({
  name: "approve",
  usage: "approve <case>",
  summary: "Approve the proposed action of an escalated case; remediate carries it out.",
  access: "decide",
  ...oneCase,
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
