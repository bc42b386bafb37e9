import { command, oneCase } from "./command.js";

export const investigate = command({
  name: "investigate",
  usage: "investigate <case>",
  summary: "Gather more evidence for an escalated case; it stays open for a decision.",
  access: "decide",
  ...oneCase,
  async run(args, { desk, actor }) {
    const {
      case: current,
      evidence,
      questions,
    } = await desk.decide(args.case, "investigate", actor.name, null);
    return { kind: "case", title: `more evidence on ${current.id}`, case: current, evidence, questions };
  },
});
