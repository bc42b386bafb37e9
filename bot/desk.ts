import { peerOptions, type FleetConfig } from "../contracts/config.js";
import { skills } from "../contracts/skills.js";
import { Peers } from "../runtime/a2a/client.js";
import { clientComponent } from "../runtime/component.js";
import type { CaseDesk } from "../commands/index.js";

/**
 * The commands' view of the fleet, over A2A to the coordinator. Given a maker, the peers are made
 * at the first call: a command that asks the fleet nothing (`help`) needs no certificate.
 */
export function a2aDesk(peers: Peers | (() => Peers)): CaseDesk {
  let made = typeof peers === "function" ? undefined : peers;
  const fleet = () => (made ??= (peers as () => Peers)());
  return {
    decide: async (caseId, action, by, reason) =>
      (await fleet().call(skills.decide, { case_id: caseId, action, by, reason })).output,
    undo: async (caseId, by) => (await fleet().call(skills.undo, { case_id: caseId, by })).output,
    cases: async (status, limit) => (await fleet().call(skills.listCases, { status, limit })).output.cases,
    trace: async (id) => (await fleet().call(skills.trace, { id })).output,
    status: async () => (await fleet().call(skills.status, {})).output,
    rule: async (caseId, by) => (await fleet().call(skills.proposeRule, { case_id: caseId, by })).output,
    rules: async (limit) => (await fleet().call(skills.listProposals, { limit })).output.proposals,
  };
}

/** The fleet as the terminal reaches it: with the `operator` certificate of the configuration. */
export function operatorPeers(config: FleetConfig): Peers {
  return new Peers(clientComponent("operator", config.certDir), peerOptions(config));
}
