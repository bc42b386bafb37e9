import { command, oneCase } from "./command.js";

export const rule = command({
  name: "rule",
  usage: "rule <case>",
  summary:
    "Draft a Falco rule change from a decided case: validated, replayed on the recorded events, gated by policy, opened as a pull request; confirms one the policy escalated.",
  access: "decide",
  ...oneCase,
  async run(args, { desk, actor }) {
    const { proposal, note } = await desk.rule(args.case, actor.name);
    return {
      kind: "proposal",
      title: proposal ? `${args.case}: ${proposal.id} ${proposal.state}` : `${args.case}: no rule change`,
      proposal,
      note,
    };
  },
});
