package soc.verdict_test

import data.soc.verdict

# --- documented examples (policies/README.md) --------------------------------

example_auto_execute := {
	"action": {
		"type": "isolate_pod",
		"target": {
			"kind": "Pod",
			"namespace": "shop",
			"name": "checkout-7d9f8",
			"labels": {"app": "checkout"},
			"image": "docker.io/library/nginx",
		},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.9,
	"technique": "T1059.004",
	"severity": "high",
	"asset_tags": [],
}

example_escalate := {
	"action": {
		"type": "isolate_pod",
		"target": {
			"kind": "Pod",
			"namespace": "identity",
			"name": "keycloak-0",
			"labels": {"app": "keycloak"},
			"image": "quay.io/keycloak/keycloak",
		},
	},
	"blast_radius": {"pods": 1, "nodes": 1, "namespaces": 1},
	"confidence": 0.95,
	"technique": "T1078",
	"severity": "critical",
	"asset_tags": ["identity-store"],
}

example_auto_reject := {
	"action": {
		"type": "none",
		"target": {"kind": "None", "namespace": null, "name": null, "labels": {}, "image": null},
	},
	"blast_radius": {"pods": 0, "nodes": 0, "namespaces": 0},
	"confidence": 0.4,
	"technique": null,
	"severity": "low",
	"asset_tags": [],
}

test_documented_example_auto_execute if {
	verdict.decision == {
		"outcome": "auto_execute",
		"reasons": ["action isolate_pod allowed within limits"],
		"policy_version": version,
	} with input as example_auto_execute with data.system.bundles as bundles
}

test_documented_example_escalate if {
	verdict.decision == {
		"outcome": "escalate",
		"reasons": [
			"asset tag identity-store is always escalated",
			"image quay.io/keycloak/keycloak is an identity store",
			"namespace identity is always escalated",
		],
		"policy_version": version,
	} with input as example_escalate with data.system.bundles as bundles
}

test_documented_example_auto_reject if {
	verdict.decision == {
		"outcome": "auto_reject",
		"reasons": ["no response action proposed"],
		"policy_version": version,
	} with input as example_auto_reject with data.system.bundles as bundles
}

# --- explanation: every rule that fired, also those that lost on precedence ------

test_explanation_lists_every_rule_that_fired if {
	patch := {"action": {"type": "terminate_pod", "target": {"namespace": "kube-system"}}}
	input_doc := object.union(example_escalate, patch)
	e := verdict.explanation with input as input_doc with data.system.bundles as bundles
	e.decision.outcome == "auto_reject"
	e.fired == [
		{
			"rule": "reject.destructive_in_protected_namespace",
			"outcome": "auto_reject",
			"reason": "destructive action terminate_pod on protected namespace kube-system is not allowed",
		},
		{"rule": "escalate.asset_tag", "outcome": "escalate", "reason": "asset tag identity-store is always escalated"},
		{
			"rule": "escalate.critical_severity",
			"outcome": "escalate",
			"reason": "severity critical requires a human for terminate_pod",
		},
		{"rule": "escalate.image", "outcome": "escalate", "reason": "image quay.io/keycloak/keycloak is an identity store"},
		{"rule": "escalate.namespace", "outcome": "escalate", "reason": "namespace kube-system is always escalated"},
		{"rule": "execute.allowed", "outcome": "auto_execute", "reason": "action terminate_pod allowed within limits"},
	]
	e.input_problems == []
	e.settings_problems == []
}

test_explanation_of_auto_execute_names_the_allow_rule if {
	e := verdict.explanation with input as example_auto_execute with data.system.bundles as bundles
	e.decision.outcome == "auto_execute"
	e.fired == [{
		"rule": "execute.allowed",
		"outcome": "auto_execute",
		"reason": "action isolate_pod allowed within limits",
	}]
}

test_explanation_reports_input_problems if {
	e := verdict.explanation with input as {"action": {"type": "isolate_pod"}} with data.system.bundles as bundles
	e.decision.outcome == "escalate"
	e.input_problems == [
		"action.target.image", "action.target.labels", "action.target.namespace", "asset_tags",
		"blast_radius.namespaces", "blast_radius.nodes", "blast_radius.pods", "confidence", "severity",
	]
}
