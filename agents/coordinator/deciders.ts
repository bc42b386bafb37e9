import type { Approver } from "../../contracts/policy.js";
import { SocError } from "../../runtime/errors.js";

/** Who may decide cases (SOC_APPROVERS, with their roles) and whom the terminal decides as. */
export interface Deciders {
  approvers: Readonly<Record<string, readonly string[]>>;
  operatorApprover: string | null;
}

/**
 * The terminal on a machine with no approvers configured (one machine, no Mattermost): the person
 * at it holds every role of the shipped approvals policy; a blast radius that needs a second
 * approver still needs one.
 */
const machineOperator: Approver = { id: "operator", roles: ["incident-commander", "platform-oncall"] };

/**
 * Who a decision is made by, with the roles the approvals policy judges, as the coordinator accepts
 * it whatever front end sent it. The terminal's `operator` certificate decides as the approver
 * configured for it, never as the name its request gives (any holder of the certificate could give
 * any name). The bot decides for the approver it names, who must be one: the bot has mapped the
 * Mattermost user id it authenticated to that name. Roles come from this process's configuration,
 * never from the request.
 */
export function decider({ approvers, operatorApprover }: Deciders, caller: string, by: string): Approver {
  const configured = Object.keys(approvers).length > 0;
  const approver = (id: string): Approver => ({ id, roles: [...(approvers[id] ?? [])] });
  if (caller === "operator") {
    if (!configured) return machineOperator;
    if (operatorApprover) return approver(operatorApprover);
    throw new SocError(
      "not_approver",
      "the operator certificate decides as SOC_OPERATOR_APPROVER, which is not set: decide in Mattermost, or set it to one of SOC_APPROVERS",
    );
  }
  if (!Object.hasOwn(approvers, by))
    throw new SocError("not_approver", `${by} may not decide cases: not one of SOC_APPROVERS`);
  return approver(by);
}
