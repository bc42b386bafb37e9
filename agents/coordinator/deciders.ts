import { SocError } from "../../runtime/errors.js";

/** Who may decide cases (SOC_APPROVERS, with their roles) and whom the terminal decides as. */
export interface Deciders {
  approvers: Readonly<Record<string, readonly string[]>>;
  operatorApprover: string | null;
}

/**
 * Who a decision is made by, as the coordinator accepts it whatever front end sent it. The
 * terminal's `operator` certificate decides as the approver configured for it, never as the name
 * its request gives (any holder of the certificate could give any name). The bot decides for the
 * approver it names, who must be one. With no approvers configured (one machine, no Mattermost)
 * the terminal decides as `operator`.
 */
export function decider({ approvers, operatorApprover }: Deciders, caller: string, by: string): string {
  const configured = Object.keys(approvers).length > 0;
  if (caller === "operator") {
    if (!configured) return "operator";
    if (operatorApprover) return operatorApprover;
    throw new SocError(
      "not_approver",
      "the operator certificate decides as SOC_OPERATOR_APPROVER, which is not set: decide in Mattermost, or set it to one of SOC_APPROVERS",
    );
  }
  if (configured && !Object.hasOwn(approvers, by))
    throw new SocError("not_approver", `${by} may not decide cases: not one of SOC_APPROVERS`);
  return by;
}
