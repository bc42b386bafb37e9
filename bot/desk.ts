import { skills } from "../contracts/skills.js";
import type { Peers } from "../runtime/a2a/client.js";
import type { CaseDesk } from "../commands/index.js";

/** The commands' view of the fleet, over A2A to the coordinator. */
export function a2aDesk(peers: Peers): CaseDesk {
  return {
    decide: async (caseId, action, by, reason) =>
      (await peers.call(skills.decide, { case_id: caseId, action, by, reason })).output,
    undo: async (caseId, by) => (await peers.call(skills.undo, { case_id: caseId, by })).output,
    cases: async (status, limit) => (await peers.call(skills.listCases, { status, limit })).output.cases,
    trace: async (id) => (await peers.call(skills.trace, { id })).output,
    status: async () => (await peers.call(skills.status, {})).output,
  };
}
