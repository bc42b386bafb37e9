# METADATA
# title: Approvals
# description: >-
#   Who may approve an escalated action: a role allows a set of action types up to
#   a severity (data.soc.settings.approvals.roles), and a blast radius above the
#   action's limit in data.soc.settings.approvals.second_approver_above needs a
#   second, distinct approver. The input is the verdict's input plus "approvers":
#   [{"id": string, "roles": [string]}], roles as asserted by the authenticated
#   front end. An action the verdict rejects can never be approved.
package soc.approvals

import data.soc.verdict

approval_settings := data.soc.settings.approvals

severity_rank := {"low": 1, "medium": 2, "high": 3, "critical": 4}

# METADATA
# title: Decision
# description: >-
#   {"approved": bool, "required_approvers": 1|2, "approved_by": [sorted ids],
#   "reasons": [sorted strings], "policy_version": string}. Defined for every input.
# scope: document
# entrypoint: true
decision := {
	"approved": approved,
	"required_approvers": required_approvers,
	"approved_by": sort(eligible),
	"reasons": sort(reasons),
	"policy_version": verdict.policy_version,
}

default approved := false

approved if {
	count(problems) == 0
	count(verdict.reject_reasons) == 0
	count(eligible) >= required_approvers
}

# Two approvers unless the action has valid limits and stays within them: a missing
# or malformed limit must not lower the bar.
default required_approvers := 2

required_approvers := 1 if {
	verdict.valid_limits(approval_settings.second_approver_above[input.action.type])
	count(over_limit) == 0
}

# Distinct ids: the same person named twice counts once.
eligible contains approver.id if {
	some approver in input.approvers
	may_approve(approver)
}

may_approve(approver) if {
	valid_approver(approver)
	some role in approver.roles
	permission := approval_settings.roles[role]
	input.action.type in permission.actions
	severity_rank[input.severity] <= severity_rank[permission.max_severity]
}

over_limit contains msg if {
	type := input.action.type
	some dimension, limit in approval_settings.second_approver_above[type]
	value := input.blast_radius[dimension]
	value > limit
	msg := concat("", [
		"second approver required: blast radius ", dimension, " ", json.marshal(value),
		" above ", json.marshal(limit), " for ", type,
	])
}

# --- reasons -------------------------------------------------------------------

reasons contains concat("", ["approved by ", concat(", ", sort(eligible))]) if approved

reasons contains msg if {
	not approved
	count(problems) == 0
	count(verdict.reject_reasons) == 0
	count(eligible) < required_approvers
	msg := concat("", [
		"needs ", json.marshal(required_approvers), " approver(s) allowed to approve ", input.action.type,
		" at severity ", input.severity, ", has ", json.marshal(count(eligible)),
	])
}

reasons contains concat("", ["refused by the verdict: ", reason]) if {
	some reason in verdict.reject_reasons
}

reasons contains msg if {
	some msg in over_limit
}

reasons contains msg if {
	some msg in problems
}

reasons contains concat("", [approver.id, " may not approve ", input.action.type, " at severity ", input.severity]) if {
	count(problems) == 0
	some approver in input.approvers
	not may_approve(approver)
}

# --- input and settings checks -------------------------------------------------

problems contains concat("", ["input incomplete: missing or malformed ", concat(", ", sort(missing))]) if {
	missing := verdict.input_problems | approver_problems
	count(missing) > 0
}

problems contains concat("", ["approval settings incomplete: missing or malformed ", concat(", ", sort(invalid))]) if {
	invalid := {"approvals.roles", "approvals.second_approver_above"} - valid_settings
	count(invalid) > 0
}

default approver_problems := {"approvers"}

approver_problems := set() if {
	is_array(input.approvers)
	count(input.approvers) > 0
	every approver in input.approvers {
		valid_approver(approver)
	}
}

valid_approver(approver) if {
	is_string(approver.id)
	approver.id != ""
	verdict.string_array(approver.roles)
}

valid_settings contains "approvals.roles" if {
	is_object(approval_settings.roles)
	every permission in approval_settings.roles {
		verdict.string_array(permission.actions)
		severity_rank[permission.max_severity]
	}
}

valid_settings contains "approvals.second_approver_above" if {
	is_object(approval_settings.second_approver_above)
	every limits in approval_settings.second_approver_above {
		verdict.valid_limits(limits)
	}
}
