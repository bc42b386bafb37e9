package soc.approvals_test

import data.soc.approvals

settings := data.soc.settings

bundles := {"policies": {"manifest": {"revision": "test-1", "roots": ["soc"]}}}

# The verdict's input for an isolate_pod at severity high within every limit,
# plus the approvers; cases patch it (object.union) and replace the approvers.
base_input := {
	"action": {
		"type": "isolate_pod",
		"target": {"kind": "Pod", "namespace": "shop", "name": "checkout-7d9f8", "labels": {}, "image": "nginx"},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.9,
	"technique": null,
	"severity": "high",
	"asset_tags": [],
	"approvers": [],
}

alice := {"id": "alice", "roles": ["responder"]}

bob := {"id": "bob", "roles": ["incident-commander"]}

carol := {"id": "carol", "roles": ["responder", "incident-commander"]}

dan := {"id": "dan", "roles": ["platform-oncall"]}

case_input(tc) := object.union(object.union(base_input, object.get(tc, "patch", {})), {"approvers": tc.approvers})

matches(got, tc) if {
	[got.approved, got.required_approvers, got.approved_by, got.reasons] == [tc.approved, tc.required, tc.by, tc.reasons]
	got.policy_version == "test-1"
}

# Each table test compares the set of cases that match with every case name, so a
# case without a decision fails instead of being skipped; `with` stays in the test
# rules (Regal: no `with` in helper functions).
test_approval_cases if {
	passed := {name |
		some name, tc in approval_cases
		d := approvals.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(approval_cases) - passed == set()
}

test_refusal_cases if {
	passed := {name |
		some name, tc in refusal_cases
		d := approvals.decision with input as case_input(tc) with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(refusal_cases) - passed == set()
}

test_incomplete_cases if {
	passed := {name |
		some name, tc in incomplete_cases
		d := approvals.decision with input as case_input(tc)
			with data.soc.settings as object.get(tc, "settings", settings)
			with data.system.bundles as bundles
		matches(d, tc)
	}
	object.keys(incomplete_cases) - passed == set()
}

approval_cases := {
	"a responder approves isolate_pod at high": {
		"approvers": [alice],
		"approved": true, "required": 1, "by": ["alice"],
		"reasons": ["approved by alice"],
	},
	"an incident commander approves terminate_pod at critical": {
		"patch": {"action": {"type": "terminate_pod"}, "severity": "critical"},
		"approvers": [bob],
		"approved": true, "required": 1, "by": ["bob"],
		"reasons": ["approved by bob"],
	},
	"one role of several is enough": {
		"patch": {"severity": "critical"},
		"approvers": [carol],
		"approved": true, "required": 1, "by": ["carol"],
		"reasons": ["approved by carol"],
	},
	"two approvers above the second-approver limit": {
		"patch": {"action": {"type": "terminate_pod"}, "blast_radius": {"pods": 2}},
		"approvers": [bob, carol],
		"approved": true, "required": 2, "by": ["bob", "carol"],
		"reasons": ["approved by bob, carol", "second approver required: blast radius pods 2 above 1 for terminate_pod"],
	},
	"platform on-call cordons one node": {
		"patch": {
			"action": {"type": "cordon_node", "target": {"kind": "Node", "namespace": null, "image": null}},
			"blast_radius": {"pods": 12, "nodes": 1, "namespaces": 3},
		},
		"approvers": [dan],
		"approved": true, "required": 1, "by": ["dan"],
		"reasons": ["approved by dan"],
	},
	"an extra approver who may not approve does not block": {
		"approvers": [alice, dan],
		"approved": true, "required": 1, "by": ["alice"],
		"reasons": ["approved by alice", "dan may not approve isolate_pod at severity high"],
	},
}

refusal_cases := {
	"a responder may not approve at critical": {
		"patch": {"severity": "critical"},
		"approvers": [alice],
		"approved": false, "required": 1, "by": [],
		"reasons": [
			"alice may not approve isolate_pod at severity critical",
			"needs 1 approver(s) allowed to approve isolate_pod at severity critical, has 0",
		],
	},
	"a responder may not approve terminate_pod": {
		"patch": {"action": {"type": "terminate_pod"}},
		"approvers": [alice],
		"approved": false, "required": 1, "by": [],
		"reasons": [
			"alice may not approve terminate_pod at severity high",
			"needs 1 approver(s) allowed to approve terminate_pod at severity high, has 0",
		],
	},
	"one approver above the second-approver limit": {
		"patch": {"blast_radius": {"pods": 4, "nodes": 3}},
		"approvers": [alice],
		"approved": false, "required": 2, "by": ["alice"],
		"reasons": [
			"needs 2 approver(s) allowed to approve isolate_pod at severity high, has 1",
			"second approver required: blast radius nodes 3 above 2 for isolate_pod",
			"second approver required: blast radius pods 4 above 3 for isolate_pod",
		],
	},
	"the same person twice counts once": {
		"patch": {"action": {"type": "terminate_pod"}, "blast_radius": {"namespaces": 2}},
		"approvers": [bob, bob],
		"approved": false, "required": 2, "by": ["bob"],
		"reasons": [
			"needs 2 approver(s) allowed to approve terminate_pod at severity high, has 1",
			"second approver required: blast radius namespaces 2 above 1 for terminate_pod",
		],
	},
	"an unknown role approves nothing": {
		"approvers": [{"id": "eve", "roles": ["cluster-admin"]}],
		"approved": false, "required": 1, "by": [],
		"reasons": [
			"eve may not approve isolate_pod at severity high",
			"needs 1 approver(s) allowed to approve isolate_pod at severity high, has 0",
		],
	},
	"what the verdict rejects cannot be approved": {
		"patch": {"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}}},
		"approvers": [bob],
		"approved": false, "required": 1, "by": ["bob"],
		"reasons": [concat("", [
			"refused by the verdict: destructive action terminate_pod ",
			"on protected namespace kube-system is not allowed",
		])],
	},
	"an action outside the allowed set needs two and is refused": {
		"patch": {"action": {"type": "delete_namespace"}},
		"approvers": [bob, carol],
		"approved": false, "required": 2, "by": [],
		"reasons": [
			"bob may not approve delete_namespace at severity high",
			"carol may not approve delete_namespace at severity high",
			"refused by the verdict: action delete_namespace is not an allowed action",
		],
	},
}
