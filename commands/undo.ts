import { command, oneCase } from "./command.js";

export const undo = command({
  name: "undo",
  usage: "undo <case>",
  summary: "Undo what was carried out for a remediated case: the previous state is restored.",
  access: "decide",
  ...oneCase,
  async run(args, { desk, actor }) {
    const { case: undone, undone: actions } = await desk.undo(args.case, actor.name);
    const what = actions.map((a) => a.action).join(", ") || "nothing was left to undo";
    return {
      kind: "case",
      title: `${undone.id} undone by ${actor.name}: ${what}`,
      case: undone,
      evidence: null,
    };
  },
});
