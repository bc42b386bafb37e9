package soc.approvals_test

import data.soc.approvals

# Incomplete input and broken approval settings: never approved, and say why.

all_fields_missing := concat("", [
	"input incomplete: missing or malformed action.target.image, action.target.labels, ",
	"action.target.namespace, action.type, approvers, asset_tags, blast_radius.namespaces, ",
	"blast_radius.nodes, blast_radius.pods, confidence, severity",
])

incomplete_cases := {
	"no approvers": {
		"approvers": [],
		"approved": false, "required": 1, "by": [],
		"reasons": ["input incomplete: missing or malformed approvers"],
	},
	"approvers not a list": {
		"approvers": "alice",
		"approved": false, "required": 1, "by": [],
		"reasons": ["input incomplete: missing or malformed approvers"],
	},
	"an approver without an id": {
		"approvers": [{"roles": ["incident-commander"]}, alice],
		"approved": false, "required": 1, "by": ["alice"],
		"reasons": ["input incomplete: missing or malformed approvers"],
	},
	"an approver with an empty id": {
		"approvers": [{"id": "", "roles": ["responder"]}],
		"approved": false, "required": 1, "by": [],
		"reasons": ["input incomplete: missing or malformed approvers"],
	},
	"roles not a list of strings": {
		"approvers": [{"id": "alice", "roles": "responder"}],
		"approved": false, "required": 1, "by": [],
		"reasons": ["input incomplete: missing or malformed approvers"],
	},
	"the verdict's input incomplete": {
		"patch": {"confidence": "sure"},
		"approvers": [alice],
		"approved": false, "required": 1, "by": ["alice"],
		"reasons": ["input incomplete: missing or malformed confidence"],
	},
	"approval settings missing": {
		"settings": json.remove(settings, ["approvals"]),
		"approvers": [bob],
		"approved": false, "required": 2, "by": [],
		"reasons": [concat("", [
			"approval settings incomplete: missing or malformed ",
			"approvals.roles, approvals.second_approver_above",
		])],
	},
	"a role with an unknown severity": {
		"settings": object.union(settings, {"approvals": {"roles": {"responder": {"max_severity": "severe"}}}}),
		"approvers": [bob],
		"approved": false, "required": 1, "by": ["bob"],
		"reasons": ["approval settings incomplete: missing or malformed approvals.roles"],
	},
	"a malformed second-approver limit": {
		"settings": object.union(settings, {"approvals": {"second_approver_above": {"isolate_pod": {"pods": -1}}}}),
		"approvers": [alice],
		"approved": false, "required": 2, "by": ["alice"],
		"reasons": [
			"approval settings incomplete: missing or malformed approvals.second_approver_above",
			"second approver required: blast radius pods 1 above -1 for isolate_pod",
		],
	},
	"no second-approver limit for the action": {
		"settings": json.remove(settings, ["approvals/second_approver_above/isolate_pod"]),
		"approvers": [alice],
		"approved": false, "required": 2, "by": ["alice"],
		"reasons": ["needs 2 approver(s) allowed to approve isolate_pod at severity high, has 1"],
	},
}

test_no_input_is_never_approved if {
	d := approvals.decision with data.system.bundles as bundles
	d == {
		"approved": false,
		"required_approvers": 2,
		"approved_by": [],
		"reasons": [all_fields_missing],
		"policy_version": "test-1",
	}
}
